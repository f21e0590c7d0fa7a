"""Starting and stopping the kiosk process: `axolotl-edge kiosk` calls `run()`.

Only the standard library at import time: the SIGTERM handler goes in before Qt, the store and the
screens load (seconds on a slow box), so a stop that systemd sends during the start is never lost.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys


class StopRequested(BaseException):
    """Raised by the SIGTERM handler inside `StopRequest.cut_short` (a BaseException, like KeyboardInterrupt,
    so that no `except Exception` on the way swallows it)."""


# Where the stop lands in Python that C calls, C prints the exception and drops it (seen: PySide's
# import hook through sys.excepthook, importlib's module-lock callback as "Exception ignored"); the next
# SIGALRM raises it again, so those prints are noise on a clean stop: not shown.
def quiet_excepthook(hook):
    return lambda kind, value, tb: None if issubclass(kind, StopRequested) else hook(kind, value, tb)


def quiet_unraisablehook(hook):
    return lambda unraisable: None if isinstance(unraisable.exc_value, StopRequested) else hook(unraisable)


class StopRequest:
    """systemd's SIGTERM, recorded from the first moment of the start and acted on as soon as it can be.

    The handler records the request; inside `cut_short` (imports and warm-up: seconds of pure Python that
    write nothing) it also raises, so the start ends at once instead of building a window to close; later
    it calls the action set with `on_request` (replayed if the request came first). Qt's event loop runs no
    Python code, so a Python handler would wait for the next Python slot: `wake_qt` gives the interpreter
    a wakeup fd that its C-level handler writes to, and a socket notifier turns that into a Python call.
    """

    def __init__(self):
        self.requested = False
        self._action = None
        self._raise = False
        self._wake: tuple | None = None
        self._previous_fd = -1
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True
        if self._raise:
            # C code that calls Python may swallow it (Shiboken's set-up of a QWidget subclass does, seen
            # here): SIGALRM raises it again every 50 ms until it lands or the cut-short work is over.
            signal.signal(signal.SIGALRM, self._again)
            signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
            raise StopRequested
        if self._action is not None:
            self._action()

    def _again(self, signum, frame) -> None:
        if self._raise:
            raise StopRequested

    def cut_short(self, fn):
        """fn() unless a stop was requested; a request meanwhile ends it. Returns None when stopped.
        Only for work that writes nothing and builds no widget (imports, warm-up)."""
        if self.requested:
            return None
        hooks = sys.excepthook, sys.unraisablehook
        try:
            self._raise = True
            sys.excepthook, sys.unraisablehook = quiet_excepthook(hooks[0]), quiet_unraisablehook(hooks[1])
            try:
                return fn()
            finally:
                self._raise = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.excepthook, sys.unraisablehook = hooks
        except BaseException:  # also when it lands in the finally above
            if self.requested:  # StopRequested, or what an import turned it into (an ImportError "from" it)
                return None
            raise

    def on_request(self, action) -> None:
        self._action = action
        if self.requested:
            action()

    def wake_qt(self, app) -> None:
        from PySide6.QtCore import QSocketNotifier

        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(writer.fileno())
        notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
        notifier.activated.connect(lambda *_: self._drain(reader))
        self._wake = (reader, writer, notifier)

    @staticmethod
    def _drain(reader: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            reader.recv(512)  # the signal numbers; the Python handler runs as this Python code runs

    def close(self) -> None:
        """The process is ending: later requests are only recorded (the app they would act on is gone)."""
        self._action = None
        if self._wake is not None:
            reader, writer, notifier = self._wake
            notifier.setEnabled(False)
            signal.set_wakeup_fd(self._previous_fd)
            reader.close()
            writer.close()
            self._wake = None


def run(*, db_path=None, config_path=None, calibration=None, fullscreen: bool = False, size: str | None = None) -> int:
    # systemd stops the kiosk with SIGTERM: close the window (which ends a live session cleanly)
    # instead of dying mid-write, whenever in the start it comes.
    stop = StopRequest()
    try:
        return _start(
            stop, db_path=db_path, config_path=config_path, calibration=calibration, fullscreen=fullscreen, size=size
        )
    finally:
        stop.close()


def _start(stop: StopRequest, *, db_path, config_path, calibration, fullscreen: bool, size: str | None) -> int:
    modules = stop.cut_short(_import_qt_and_store)
    if modules is None:
        return 0
    Qt, QTimer, QApplication, Kiosk, sample = modules
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("axolotl-edge")
    stop.wake_qt(app)
    # Queued, so it also works before the loop runs: closing the last window ends app.exec() with 0.
    stop.on_request(lambda: QTimer.singleShot(0, app.closeAllWindows))
    if stop.requested:
        return 0
    kiosk = Kiosk(db_path, config_path=config_path, calibration=calibration)  # not cut short: it may migrate
    window_class = stop.cut_short(_import_screens)  # with the chart warm-up: most of the start
    if not stop.requested:
        win = window_class(kiosk, sample)
    if stop.requested:  # the window was never shown: closed here
        kiosk.close()
        return 0
    if fullscreen:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)  # a touch panel has no pointer
        win.show_fullscreen()
    else:
        w, h = (int(v) for v in (size or "1024x600").lower().split("x"))
        win.resize(w, h)
        win.show()
    return app.exec()  # a request from here on comes through the queued closeAllWindows


def _import_qt_and_store():
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from edge_app.config import SAMPLE_CLIP
    from ui.context import Kiosk

    return Qt, QTimer, QApplication, Kiosk, str(SAMPLE_CLIP) if SAMPLE_CLIP.exists() else None


def _import_screens():
    from ui.window import MainWindow, prepare

    prepare()
    return MainWindow
