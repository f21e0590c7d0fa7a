"""A video file played as a live camera: frames come at the file's own rate by the wall clock.

`bench --paced` and the tests use it to see what a live run does with a recording: frame i
is due at start + i / fps (start: when frame 0 was decoded); the capture thread waits for
that time (an Event wait, no busy loop), decodes and queues it with the live policy (a full
queue drops the OLDEST frame), and never waits for the consumer. `Frame.index` stays the
file's index, so the gaps show the drops; `Frame.t_ns` is the frame's due time, so "now -
t_ns" is how far behind the camera a result is; `Frame.pts_s` is the file's time. A frame
that is decoded after its due time (a busy machine) is still delivered, stamped with its
due time: the lag then counts the late decoding too, as it would for a real camera. The
file's end ends the source (no reopening).
"""

from __future__ import annotations

import time

from edge_app.capture.source import Frame, VideoSource
from edge_app.capture.spec import parse_source
from edge_app.errors import AxolotlError


def paced_spec(spec):
    """The file's SourceSpec; a one-line AxolotlError for anything else (a camera is live already)."""
    spec = parse_source(spec)
    if spec.kind != "file":
        raise AxolotlError(
            f"--paced plays a video file as a live camera; {spec.describe()} is a {spec.kind} source, "
            "which is live already: drop --paced"
        )
    return spec


class PacedSource(VideoSource):
    """A file at its own frame rate, live: `is_live` is True, the file's `frame_count` is kept."""

    def __init__(self, spec, *, queue_size: int = 8, capture_factory=None):
        spec = paced_spec(spec)
        self._start_ns: int | None = None
        super().__init__(spec, queue_size=queue_size, reopen=False, capture_factory=capture_factory)
        self.is_live = True  # from here on: drop the oldest, never block the camera

    def due_ns(self, index: int) -> int:
        """When frame `index` is due on the paced clock (time.monotonic_ns)."""
        return self._start_ns + round(index * 1e9 / self.fps)

    def _read_frame(self) -> Frame | None:
        frame = super()._read_frame()
        if frame is None:
            return None
        if self._start_ns is None:
            self._start_ns = frame.t_ns
        # The file's time from its index (the base class reads the clock for live sources).
        return Frame(frame.index, self.due_ns(frame.index), frame.index / self.fps, frame.image, frame.decode_ms)

    def _run_live(self) -> None:
        while not self._stop.is_set():
            # Wait until the next frame is due, then decode it: a camera delivers a frame when it is taken.
            wait = (self.due_ns(self._decoded) - time.monotonic_ns()) / 1e9
            if wait > 0 and self._stop.wait(wait):
                return
            frame = self._read_frame()
            if frame is None:  # the file's end (no reopening)
                return
            self._dropped += self._buf.put_drop_oldest(frame)

    # The base class's capture thread starts in its __init__, before `is_live` is set here: either
    # branch of its loop is the paced one.
    _run_file = _run_live

    def __repr__(self) -> str:
        return f"PacedSource({self.spec.describe()!r}, {self.size[0]}x{self.size[1]} @ {self.fps:g} fps)"


def open_paced(spec, *, queue_size: int = 8, capture_factory=None) -> PacedSource:
    """Open a file as a paced live source. Raises AxolotlError (one line) when it cannot be read."""
    return PacedSource(spec, queue_size=queue_size, capture_factory=capture_factory)
