"""Handing work between the pipeline's threads and the UI thread, through Qt signals only."""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Signal

from edge_app.errors import AxolotlError, first_line

log = logging.getLogger(__name__)


class FrameBridge(QObject):
    """Latest-frame handover: the pipeline thread `push`es every frame and never waits; the UI
    thread gets a `ready` signal and `take`s the newest one. While one signal is still queued no
    other is sent, so a busy UI drops stale frames instead of piling them up (and the pipeline
    never slows down for the display)."""

    ready = Signal()

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._latest = None
        self._pending = False
        self.pushed = self.taken = 0

    def push(self, *item) -> None:
        with self._lock:
            self._latest = item
            self.pushed += 1
            if self._pending:
                return
            self._pending = True
        self.ready.emit()  # queued to the UI thread: the bridge lives there

    def take(self):
        with self._lock:
            item, self._latest, self._pending = self._latest, None, False
            if item is not None:
                self.taken += 1
            return item


class Job(QObject):
    """Run `fn(job)` on a thread; `progress`, `done` and `failed` arrive on the UI thread.

    `fn` may call `job.progress.emit(x)`. An AxolotlError becomes its one-line message; anything
    else is logged with its traceback and shown as one line.
    """

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    _running: set = set()  # keeps jobs alive until they finish

    def __init__(self, fn: Callable, name: str = "job"):
        super().__init__()
        self.fn, self.name = fn, name
        self.thread = threading.Thread(target=self._run, name=f"ui-{name}", daemon=True)

    def start(self) -> "Job":
        # The job must outlive its queued done/failed signal: it is released on the UI thread,
        # after the slots connected before `start` ran (a collected QObject drops pending signals).
        Job._running.add(self)
        self.done.connect(self._release)
        self.failed.connect(self._release)
        self.thread.start()
        return self

    def _release(self, *_):
        Job._running.discard(self)

    def _run(self) -> None:
        try:
            result = self.fn(self)
        except AxolotlError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: full detail in the log, one line on screen
            log.error("%s failed:\n%s", self.name, traceback.format_exc())
            self.failed.emit(f"{self.name} failed: {type(exc).__name__}: {first_line(exc)}")
        else:
            self.done.emit(result)


def run_job(fn: Callable, *, name: str = "job", done=None, failed=None, progress=None) -> Job:
    job = Job(fn, name)
    for signal, slot in ((job.done, done), (job.failed, failed), (job.progress, progress)):
        if slot is not None:
            signal.connect(slot)
    return job.start()


def run_store_job(db_path, fn: Callable, **kw) -> Job:
    """`run_job` for work on the session database: `fn(store, job)` gets a SessionStore of its own
    (a SQLite connection stays in the thread that opened it; the UI's own is for quick reads)."""

    def work(job):
        from edge_app.store import SessionStore

        with SessionStore(db_path) as store:
            return fn(store, job)

    return run_job(work, **kw)
