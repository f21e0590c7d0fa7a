"""A live session from a camera (or a file), run in the background for the local API and the kiosk.

The pipeline runs on its own thread. Two ways to watch it, neither of which can slow it down:
`on_frame(FrameResult, stats)` gets every frame with the running totals per player key (the kiosk
hands it to the UI thread through a signal and draws only the latest), and `publish` gets
throttled metrics (positions, causal speeds, totals) that the API streams. The UI and the API
only watch.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from edge_app.capture import open_source
from edge_app.config import AppConfig
from edge_app.errors import AxolotlError, first_line
from edge_app.metrics.live_stats import LiveStats
from edge_app.pipeline import FrameResult, Pipeline
from edge_app.session_run import run_and_summarize
from edge_app.store import SessionStore

log = logging.getLogger(__name__)


class LiveSession:
    def __init__(
        self,
        config: AppConfig,
        db_path,
        *,
        publish: Callable[[dict], None] | None = None,
        on_frame: Callable[[FrameResult, dict], None] | None = None,
        on_end: Callable[["LiveSession"], None] | None = None,
        calibration=None,
        profile: str = "adult",
        rate_hz: float = 2.0,
    ):
        self.config, self.db_path, self.publish, self.on_frame, self.on_end = config, db_path, publish, on_frame, on_end
        self.calibration, self.profile, self.period = calibration, profile, 1.0 / rate_hz
        self._thread: threading.Thread | None = None
        self._pipeline: Pipeline | None = None
        self._last = 0.0
        self.stats = LiveStats(profile)
        self.session_id: str | None = None
        self.summary: dict | None = None
        self.providers: tuple[str, ...] = ()
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def current_session_id(self) -> str | None:
        """The stored session being recorded (set once the pipeline has started it)."""
        return self._pipeline.session_id if self._pipeline is not None else self.session_id

    def start(self, source="0") -> None:
        if self.running:
            raise AxolotlError("a live session is already running; stop it first")
        src = open_source(source, queue_size=self.config.pipeline.queue_size)  # errors here reach the caller
        self.error, self.session_id, self.summary, self._pipeline = None, None, None, None
        self.stats = LiveStats(self.profile)
        self._thread = threading.Thread(target=self._run, args=(src,), name="live-session", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> str | None:
        if self._pipeline is not None:
            self._pipeline.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.session_id

    def _on_result(self, r: FrameResult) -> None:
        # Totals by player key: a track that breaks and resumes keeps its card (FrameResult.players).
        self.stats.update_all({r.key(tid): s for tid, s in r.live.items()})
        ids = r.tracked.tracker_id.tolist() if r.tracked.tracker_id is not None else []
        # Only the players in this frame: a long session has seen hundreds of players.
        totals = self.stats.snapshot([r.key(tid) for tid in ids])
        if self.on_frame is not None:
            self.on_frame(r, totals)
        now = time.monotonic()
        if self.publish is None or now - self._last < self.period:
            return
        self._last = now
        players = []
        for i, tid in enumerate(ids):
            live = r.live.get(tid)
            players.append(
                {
                    "player": r.key(tid),
                    "track_id": tid,
                    "box": [round(float(v), 1) for v in r.tracked.xyxy[i]],
                    "speed": None if live is None else round(live.speed, 2),
                    "xy": None if live is None else [round(v, 2) for v in live.xy],
                    "totals": totals.get(r.key(tid)),
                }
            )
        self.publish(
            {
                "t": round(r.frame.pts_s, 2),
                "frame": r.frame.index,
                "players": players,
                "fps_ms": round(sum(r.timings_ms.values()), 1),
            }
        )

    def _run(self, src) -> None:
        store = SessionStore(self.db_path)
        try:
            result, self.summary = run_and_summarize(
                self.config,
                store,
                src,
                calibration=self.calibration,
                profile=self.profile,
                on_result=self._on_result,
                on_pipeline=self._started,
            )
            self.session_id = result.session_id
        except Exception as exc:  # reported through the API / the kiosk, not lost in a thread
            self.error = first_line(exc)
            log.error("live session failed: %s", self.error)
        finally:
            if self._pipeline is not None:
                self.session_id = self.session_id or self._pipeline.session_id
            store.close()
            if self.on_end is not None:
                self.on_end(self)

    def _started(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self.providers = pipeline.detector.info.providers
