"""The capture thread of ARCHITECTURE §1: an opened source, decoded on its own thread, reopened when it drops.

It decodes each frame once (`cv2.VideoCapture.read` allocates a fresh array per frame, which is
handed on as is, never copied), timestamps it with `time.monotonic_ns()` and puts it in a bounded
queue (`buffer.FrameBuffer`).

- Files never lose a frame: when the queue is full the capture thread waits for the consumer.
- Live sources (camera, RTSP, live GStreamer) never wait for the consumer: when the queue is
  full the OLDEST queued frame is dropped (and counted), so the consumer always gets the newest.
- A live source that stops delivering (camera unplugged, stream dropped) is released and
  reopened with exponential backoff (0.5 s doubling to 8 s, ±10 % jitter); frames resume when it
  comes back, with indexes and `pts_s` carrying on. `close()` interrupts the backoff at once.

Problems the user can fix (missing file, undecodable file, unknown camera, unreachable stream,
no GStreamer in this OpenCV) are raised by `open_source` as a one-line `AxolotlError`.

`capture_factory` (a `SourceSpec -> VideoCapture-like` callable; see `default_capture_factory`)
is where `cv2.VideoCapture` is built, so tests can hand in a fake camera.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import cv2
import numpy as np

from edge_app.capture.buffer import FrameBuffer
from edge_app.capture.gstreamer import gstreamer_available
from edge_app.capture.spec import SourceKind, SourceSpec, parse_source
from edge_app.errors import AxolotlError

log = logging.getLogger("axolotl.capture")

CaptureFactory = Callable[[SourceSpec], Any]  # returns an object with isOpened/read/get/release

DEFAULT_LIVE_FPS = 25.0
DEFAULT_BACKOFF = (0.5, 8.0)  # first wait and cap, seconds; doubles in between
BACKOFF_JITTER = 0.1  # each wait is scaled by uniform(1 - j, 1 + j)
STREAM_TIMEOUT_MS = 5000  # RTSP open/read timeout, so a dead stream fails in seconds, not 30
_CLOSE_JOIN_S = 2.0


@dataclass(frozen=True)
class Frame:
    index: int  # 0-based frame number (live: gaps where frames were dropped)
    t_ns: int  # time.monotonic_ns() when decoded
    pts_s: float  # media time, s: files: container time (or index/fps); live: monotonic s since open
    image: np.ndarray  # HxWx3 BGR uint8, as decoded (not copied)
    decode_ms: float | None = None  # how long read() took (decode, plus waiting for a live frame)


def _one_line(text: str) -> str:
    """Messages are one line, even when a path holds a newline."""
    return " ".join(str(text).splitlines())


def default_capture_factory(spec: SourceSpec, video_capture: Callable[..., Any] = cv2.VideoCapture):
    """Build the real cv2.VideoCapture for a spec (streams get open/read timeouts; V4L2 gets its format).
    `video_capture` is there so tests can check what is asked of a camera they do not have."""
    if spec.kind == "rtsp":
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
        return video_capture(spec.target, spec.api, params)
    cap = video_capture(spec.target, spec.api)
    if spec.props and cap.isOpened():
        for prop, value in spec.props:
            cap.set(prop, value)
        got = int(cap.get(cv2.CAP_PROP_FOURCC))
        want = int(dict(spec.props).get(cv2.CAP_PROP_FOURCC, got))
        if got != want:  # the camera refused the format: it still works, but uncompressed 1080p is slow over USB 2
            log.warning(
                "%s: asked for %s, the driver gave %s (`v4l2-ctl --list-formats-ext` lists what it offers)",
                spec.describe(),
                _fourcc_text(want),
                _fourcc_text(got),
            )
    return cap


def _fourcc_text(code: int) -> str:
    return "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).strip("\x00") or "?"


def _valid_fps(value) -> float | None:
    try:
        fps = float(value)
    except (TypeError, ValueError):
        return None
    return fps if math.isfinite(fps) and 0.0 < fps <= 1000.0 else None


class VideoSource:
    """An opened source with its capture thread running. Iterate for frames; use as a context manager."""

    def __init__(
        self,
        spec: SourceSpec,
        *,
        queue_size: int = 8,
        reopen: bool = True,
        capture_factory: CaptureFactory | None = None,
        backoff: tuple[float, float] = DEFAULT_BACKOFF,
    ):
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self.spec = spec
        self.kind: SourceKind = spec.kind
        self.is_live: bool = spec.is_live
        self._factory = capture_factory or default_capture_factory
        self._reopen = reopen
        self._backoff_base, self._backoff_max = float(backoff[0]), float(backoff[1])
        self._delay = self._backoff_base
        self._rng = random.Random()
        self._buf = FrameBuffer(queue_size)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._decoded = 0
        self._dropped = 0  # by the capture thread
        self._skipped = 0  # by the consumer (`newest`): two counters, never one written from two threads
        self._reopened = 0
        self._last_pts = -math.inf
        self._cap = None

        self._check_before_open()
        self._opened_ns = time.monotonic_ns()
        self._cap = self._open()
        if self._cap is None:
            raise AxolotlError(self._open_failed_message())
        try:
            fps = _valid_fps(self._cap.get(cv2.CAP_PROP_FPS))
            self.fps: float = fps or DEFAULT_LIVE_FPS
            n = self._cap.get(cv2.CAP_PROP_FRAME_COUNT) if not self.is_live else 0
            self.frame_count: int | None = int(n) if n and math.isfinite(n) and n > 0 else None
            # First frame read here, not on the thread: a file that opens but cannot be decoded is
            # an error from open_source, and `size` is the real decoded size. It is frame 0.
            try:
                first = self._read_frame()
            except cv2.error:
                first = None
            if first is None:
                raise AxolotlError(self._no_frame_message())
        except BaseException:
            self._release()
            raise
        h, w = first.image.shape[:2]
        self.size: tuple[int, int] = (int(w), int(h))
        self._buf.put_drop_oldest(first)
        self._thread = threading.Thread(target=self._run, name=f"capture-{self.kind}", daemon=True)
        self._thread.start()

    # -- opening and messages -------------------------------------------------------------------

    def _check_before_open(self) -> None:
        spec = self.spec
        if spec.kind == "file":
            path = Path(str(spec.target))
            if not path.exists():
                raise AxolotlError(_one_line(f"video not found: {path} — check the path"))
            if path.is_dir():
                raise AxolotlError(_one_line(f"video source is a directory: {path} — pass a video file"))
        elif spec.kind in ("csi", "nvdec") and not gstreamer_available():
            raise AxolotlError(
                f"{spec.kind}: sources need OpenCV with GStreamer, and this one has none (pip's opencv-python never has) — "
                "on the Jetson run packaging/jetson/install.sh, which uses JetPack's OpenCV (apt nvidia-opencv, "
                "GStreamer: YES) through a venv made with --system-site-packages and removes pip's opencv from it"
            )
        elif spec.kind == "gstreamer" and not gstreamer_available():
            raise AxolotlError(
                "this OpenCV build has no GStreamer support (cv2.getBuildInformation() shows 'GStreamer: NO') — "
                "install an OpenCV built with GStreamer (e.g. JetPack's) or pass a camera index or rtsp:// URL instead"
            )

    def _open(self):
        """A capture from the factory, or None if it did not open (released)."""
        try:
            cap = self._factory(self.spec)
        except cv2.error:
            return None
        if cap is not None and cap.isOpened():
            return cap
        if cap is not None:
            try:
                cap.release()
            except Exception:
                pass
        return None

    def _open_failed_message(self) -> str:
        spec = self.spec
        if spec.kind == "file":
            return _one_line(
                f"cannot read video {spec.target}: OpenCV cannot open or decode it — re-encode it with ffmpeg "
                f"to H.264 (`ffmpeg -i INPUT -c:v libx264 -pix_fmt yuv420p out.mp4`) or MJPEG (`-c:v mjpeg -q:v 3 out.avi`)"
            )
        if spec.kind == "v4l2":
            return (
                f"V4L2 camera {spec.target} not found or busy — list cameras with `v4l2-ctl --list-devices`, "
                f"check you are in the video group (`id`), or close the program using it"
            )
        if spec.kind == "csi":
            return _one_line(
                f"cannot open CSI camera `{spec.target}` — check the ribbon cable and the sensor id, "
                f"and restart the camera daemon: `sudo systemctl restart nvargus-daemon`"
            )
        if spec.kind == "camera":
            return (
                f"camera {spec.target} not found or busy — list cameras with `v4l2-ctl --list-devices` "
                f"and pass another index, or close the program using it"
            )
        if spec.kind == "rtsp":
            url = spec.describe()
            return _one_line(
                f"cannot open stream {url} — check the URL, credentials and network (try `ffprobe '{url}'`)"
            )
        return _one_line(
            f"cannot open GStreamer pipeline `{spec.describe()}` — test it with gst-launch-1.0 (with fakesink instead of appsink)"
        )

    def _no_frame_message(self) -> str:
        spec = self.spec
        if spec.kind == "file":
            return self._open_failed_message()
        return _one_line(
            f"{spec.describe()} opened but delivered no frame — check it works in another player, "
            f"or that no other program is using it"
        )

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            try:
                cap.release()
            except Exception:
                pass

    # -- capture thread -------------------------------------------------------------------------

    def _read_frame(self) -> Frame | None:
        start = time.monotonic_ns()
        ok, image = self._cap.read()
        t_ns = time.monotonic_ns()
        if not ok or image is None:
            return None
        index = self._decoded
        if self.is_live:
            pts = (t_ns - self._opened_ns) / 1e9
        else:
            pts = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0  # after read(): the time of this frame
            if not math.isfinite(pts) or pts < 0 or (index > 0 and pts <= self._last_pts):
                pts = 0.0 if index == 0 else max(index / self.fps, self._last_pts + 1.0 / self.fps)
        self._last_pts = pts
        self._decoded += 1
        return Frame(index, t_ns, pts, image, (t_ns - start) / 1e6)

    def _run(self) -> None:
        try:
            if self.is_live:
                self._run_live()
            else:
                self._run_file()
        except BaseException as exc:  # surfaced to the consumer at the end of iteration
            self._error = exc
        finally:
            self._release()
            self._buf.finish()

    def _run_file(self) -> None:
        while not self._stop.is_set():
            frame = self._read_frame()
            if frame is None or not self._buf.put_wait(frame):
                return

    def _run_live(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._read_frame() if self._cap is not None else None
            except cv2.error:  # some backends raise instead of returning False when a stream dies
                frame = None
            if frame is not None:
                self._delay = self._backoff_base
                self._dropped += self._buf.put_drop_oldest(frame)
                continue
            if self._stop.is_set() or not self._reopen:
                return
            self._release()
            if not self._reconnect():
                return

    def _reconnect(self) -> bool:
        """Reopen with exponential backoff; False if close() came first."""
        while True:
            wait = self._delay * self._rng.uniform(1.0 - BACKOFF_JITTER, 1.0 + BACKOFF_JITTER)
            self._delay = min(self._delay * 2.0, self._backoff_max)
            if self._stop.wait(wait):
                return False
            cap = self._open()
            if cap is not None:
                if self._stop.is_set():
                    cap.release()
                    return False
                self._cap = cap
                self._reopened += 1
                return True

    # -- consumer side --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        while True:
            frame = self._buf.get()
            if frame is None:
                break
            yield frame
        if self._error is not None and not self._stop.is_set():
            err, self._error = self._error, None
            raise err

    def newest(self) -> Iterator[Frame]:
        """Iterate live: each time the newest queued frame, the older ones dropped (counted in
        `stats["dropped"]`), so a consumer slower than the camera works on what is happening now."""
        while True:
            frame, skipped = self._buf.get_newest()
            if frame is None:
                break
            self._skipped += skipped
            yield frame
        if self._error is not None and not self._stop.is_set():
            err, self._error = self._error, None
            raise err

    @property
    def stats(self) -> dict:
        """decoded, dropped (live overflow, and frames `newest` passed over), reopened (live
        reconnections), queued now, max_queued ever."""
        return dict(
            decoded=self._decoded,
            dropped=self._dropped + self._skipped,
            reopened=self._reopened,
            queued=len(self._buf),
            max_queued=self._buf.high_water,
        )

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Stop the capture thread (interrupting a backoff wait) and release the device. Idempotent."""
        self._stop.set()
        self._buf.close()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            # A read blocked inside OpenCV cannot be interrupted; the daemon thread then releases
            # the capture itself when that read returns.
            thread.join(_CLOSE_JOIN_S)

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VideoSource({self.kind} {self.spec.describe()!r}, {self.size[0]}x{self.size[1]} "
            f"@ {self.fps:g} fps, live={self.is_live})"
        )


def open_source(
    spec: str | int | os.PathLike | SourceSpec,
    *,
    queue_size: int = 8,
    reopen: bool = True,
    capture_factory: CaptureFactory | None = None,
    backoff: tuple[float, float] = DEFAULT_BACKOFF,
) -> VideoSource:
    """Open a source and start its capture thread. Raises AxolotlError (one line) when it cannot."""
    return VideoSource(
        parse_source(spec), queue_size=queue_size, reopen=reopen, capture_factory=capture_factory, backoff=backoff
    )
