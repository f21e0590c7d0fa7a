"""Video sources: files, cameras, RTSP streams and GStreamer pipelines, decoded on a capture thread.

    with open_source("samples/vtest-15s.avi") as src:     # or 0, "rtsp://cam/stream", "v4l2src ! ... ! appsink"
        for frame in src:                                  # Frame(index, t_ns, pts_s, image)
            ...

Hardware cameras (issue #7), each a source string:
- `csi:0?width=1920&height=1080&fps=30[&flip=2]`: a Jetson CSI camera through nvarguscamerasrc (see `csi_pipeline`).
- `nvdec:[h264:|h265:|mjpeg:]rtsp://...` or `nvdec:[codec:]/dev/video0?width=..`: an H.264/H.265 stream or a USB
  camera's compressed video decoded by the Jetson's hardware decoder, nvv4l2decoder (see `nvdec_pipeline`).
- `v4l2:0` or `v4l2:/dev/axolotl-camera?width=1920&height=1080&fps=30&fourcc=MJPG`: a V4L2 camera (NUC) opened
  with CAP_V4L2 in MJPEG at 1080p30 by default; the JPEG decode happens in `read()`, on the capture thread.

The capture thread of ARCHITECTURE §1: it decodes each frame once (`cv2.VideoCapture.read`
allocates a fresh array per frame, which is handed on as is, never copied), timestamps it with
`time.monotonic_ns()` and puts it in a bounded queue.

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
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Literal
from urllib.parse import parse_qsl

import cv2
import numpy as np

from edge_app.errors import AxolotlError

log = logging.getLogger("axolotl.capture")

SourceKind = Literal["file", "camera", "rtsp", "gstreamer", "csi", "nvdec", "v4l2"]
_GST_KINDS = ("gstreamer", "csi", "nvdec")  # sources that need OpenCV's GStreamer backend
CaptureFactory = Callable[["SourceSpec"], Any]  # returns an object with isOpened/read/get/release

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


@dataclass(frozen=True)
class SourceSpec:
    kind: SourceKind
    target: str | int  # file path, camera index, URL or GStreamer pipeline
    is_live: bool
    api: int = cv2.CAP_ANY  # OpenCV backend preference
    props: tuple[tuple[int, float], ...] = ()  # cv2.CAP_PROP_* values set in this order once opened (V4L2)

    def describe(self) -> str:
        """The source for messages and logs (credentials in URLs masked)."""
        if self.kind == "camera":
            return f"camera {self.target}"
        if self.kind == "v4l2":
            return f"V4L2 camera {self.target}"
        if self.kind == "rtsp" or self.kind in _GST_KINDS:
            return _redact(str(self.target))
        return str(self.target)


def _one_line(text: str) -> str:
    """Messages are one line, even when a path holds a newline."""
    return " ".join(str(text).splitlines())


def _redact(text: str) -> str:
    """rtsp://user:secret@host/ -> rtsp://user:***@host/ wherever a URL appears, a GStreamer
    pipeline's rtspsrc location included (messages end up in logs)."""
    return re.sub(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/:@\s\"]*):[^/@\s\"]*@", r"\1:***@", text)


_STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://")

# The end of every Jetson pipeline: nvvidconv (the VIC engine, not the CPU) converts the decoder's/ISP's NV12 and
# copies the frame out of NVMM (device memory) into CPU memory as BGRx. That is the one copy off the accelerator,
# and it cannot be avoided with OpenCV: its appsink reader maps CPU buffers only (NVMM stays zero-copy up to here).
# videoconvert then drops the x byte on the CPU (OpenCV wants 3-channel BGR) and OpenCV copies the sample into the
# numpy array it returns. drop=true max-buffers=1: a slow reader gets the newest frame, the camera never waits.
_JETSON_TAIL = ("nvvidconv{flip} ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
                "appsink drop=true max-buffers=1 sync=false")
CSI_DEFAULTS = {"width": 1920, "height": 1080, "fps": 30, "flip": 0}
V4L2_DEFAULTS = {"width": 1920, "height": 1080, "fps": 30, "fourcc": "MJPG"}
NVDEC_CODECS = ("h264", "h265", "mjpeg")


def csi_pipeline(sensor_id: int = 0, width: int = 1920, height: int = 1080, fps: int = 30, flip: int = 0) -> str:
    """nvarguscamerasrc (Argus: the ISP debayers into NVMM) → nvvidconv → BGR appsink, for cv2.CAP_GSTREAMER."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! "
            f"video/x-raw(memory:NVMM),width={width},height={height},framerate={fps}/1 ! "
            + _JETSON_TAIL.format(flip=f" flip-method={flip}" if flip else ""))


def nvdec_pipeline(target: str, codec: str = "h264", width: int | None = None, height: int | None = None,
                   fps: int | None = None, latency_ms: int = 200) -> str:
    """Hardware decode on a Jetson: an RTSP stream (rtspsrc, depayload, parse) or a USB camera's compressed video
    (v4l2src) into nvv4l2decoder, which decodes into NVMM; then the common tail (one copy out, in nvvidconv)."""
    if codec not in NVDEC_CODECS:
        raise AxolotlError(f"unknown codec '{codec}' for nvdec: — use one of {', '.join(NVDEC_CODECS)}")
    if target.lower().startswith(("rtsp://", "rtsps://")):
        if codec == "mjpeg":
            raise AxolotlError("nvdec: decodes H.264 or H.265 RTSP streams — drop `mjpeg:` or pass the stream as rtsp://...")
        src = f'rtspsrc location="{target}" latency={latency_ms} ! rtp{codec}depay ! {codec}parse'
    else:
        caps = {"h264": "video/x-h264", "h265": "video/x-h265", "mjpeg": "image/jpeg"}[codec]
        caps += "".join(f",{k}={v}" for k, v in (("width", width), ("height", height)) if v)
        caps += f",framerate={fps}/1" if fps else ""
        src = f"v4l2src device={target} ! {caps} ! " + ("jpegparse" if codec == "mjpeg" else f"{codec}parse")
    decoder = "nvv4l2decoder mjpeg=1" if codec == "mjpeg" else "nvv4l2decoder"
    return f"{src} ! {decoder} ! " + _JETSON_TAIL.format(flip="")


def _split_options(text: str, defaults: dict, what: str) -> tuple[str, dict]:
    """'base?k=v&k=v' → (base, defaults updated); ints stay ints (flip may be 0-7), strings are FOURCCs."""
    base, _, query = text.partition("?")
    opts = dict(defaults)
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in defaults:
            raise AxolotlError(f"unknown option '{key}' in {what} — use {', '.join(defaults)}")
        if isinstance(defaults[key], str):
            if len(value) != 4:
                raise AxolotlError(f"{key} in {what} must be a 4-letter code such as MJPG or YUYV, got '{value}'")
            opts[key] = value.upper()
            continue
        limit = 7 if key == "flip" else 100_000
        if not value.isdigit() or not (key == "flip" or int(value) > 0) or int(value) > limit:
            raise AxolotlError(f"{key} in {what} must be a whole number "
                               f"{'0-7' if key == 'flip' else 'above 0'}, got '{value}'")
        opts[key] = int(value)
    return base, opts


def _parse_hw_source(text: str) -> SourceSpec | None:
    """csi:, nvdec:, v4l2: sources (see the module doc), or None for anything else."""
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in ("csi", "nvdec", "v4l2"):
        return None
    if scheme == "csi":
        sensor, opts = _split_options(rest, CSI_DEFAULTS, text)
        if not sensor.isdigit():
            raise AxolotlError(f"invalid CSI source '{text}' — write csi:SENSOR_ID, e.g. csi:0?width=1920&height=1080&fps=30")
        return SourceSpec("csi", csi_pipeline(int(sensor), **opts), True, cv2.CAP_GSTREAMER)
    if scheme == "v4l2":
        device, opts = _split_options(rest, V4L2_DEFAULTS, text)
        if not device:
            raise AxolotlError(f"invalid V4L2 source '{text}' — write v4l2:INDEX or v4l2:/dev/videoN")
        # FOURCC first: the driver picks the sizes and rates it offers per pixel format.
        props = ((cv2.CAP_PROP_FOURCC, float(cv2.VideoWriter_fourcc(*opts["fourcc"]))),
                 (cv2.CAP_PROP_FRAME_WIDTH, float(opts["width"])), (cv2.CAP_PROP_FRAME_HEIGHT, float(opts["height"])),
                 (cv2.CAP_PROP_FPS, float(opts["fps"])))
        return SourceSpec("v4l2", int(device) if device.isdigit() else device, True, cv2.CAP_V4L2, props)
    codec, sep, target = rest.partition(":")
    if codec.lower() not in NVDEC_CODECS or not sep:
        codec, target = "h264", rest
    if target.lower().startswith(("rtsp://", "rtsps://")):
        return SourceSpec("nvdec", nvdec_pipeline(target, codec.lower()), True, cv2.CAP_GSTREAMER)
    device, opts = _split_options(target, {"width": 0, "height": 0, "fps": 0}, text)
    if not device:
        raise AxolotlError(f"invalid nvdec source '{text}' — write nvdec:rtsp://... or nvdec:mjpeg:/dev/video0")
    return SourceSpec("nvdec", nvdec_pipeline(device, codec.lower(), **opts), True, cv2.CAP_GSTREAMER)


def parse_source(spec: str | int | os.PathLike | SourceSpec) -> SourceSpec:
    """Classify a source: int or digits → camera index; rtsp(s)/http(s) URL → network stream;
    a string with " ! " → GStreamer pipeline (live unless it starts with filesrc); else a file path."""
    if isinstance(spec, SourceSpec):
        return spec
    if isinstance(spec, bool):
        raise AxolotlError(f"invalid video source {spec!r} — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline")
    if isinstance(spec, (int, np.integer)):
        index = int(spec)
        if index < 0:
            raise AxolotlError(f"invalid camera index {index} — camera indexes start at 0 (see `v4l2-ctl --list-devices`)")
        return SourceSpec("camera", index, True)
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        raise AxolotlError(f"invalid video source {spec!r} — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline")
    text = spec.strip()
    if not text:
        raise AxolotlError("empty video source — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline")
    if text.isdigit():
        return SourceSpec("camera", int(text), True)
    hw = _parse_hw_source(text)
    if hw is not None:
        return hw
    if text.lower().startswith(_STREAM_PREFIXES):
        return SourceSpec("rtsp", text, True, cv2.CAP_FFMPEG)
    if " ! " in text:
        if "appsink" not in text:
            raise AxolotlError("GStreamer pipeline has no appsink — end it with `! videoconvert ! video/x-raw,format=BGR ! appsink`")
        return SourceSpec("gstreamer", text, not text.startswith("filesrc"), cv2.CAP_GSTREAMER)
    return SourceSpec("file", os.path.expanduser(spec), False)


def gstreamer_available() -> bool:
    """Whether this OpenCV build has the GStreamer backend (the 'GStreamer: YES' line of its build info)."""
    return re.search(r"GStreamer:\s*YES", cv2.getBuildInformation()) is not None


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
            log.warning("%s: asked for %s, the driver gave %s (`v4l2-ctl --list-formats-ext` lists what it offers)",
                        spec.describe(), _fourcc_text(want), _fourcc_text(got))
    return cap


def _fourcc_text(code: int) -> str:
    return "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).strip("\x00") or "?"


class _FrameBuffer:
    """Bounded FIFO with the two overflow policies: block the producer (files) or drop the oldest (live)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = False  # consumer side gone: stop everything, discard what is queued
        self._finished = False  # producer done: the consumer drains what is left
        self.high_water = 0

    def __len__(self) -> int:
        return len(self._items)

    def _append(self, item) -> None:
        self._items.append(item)
        self.high_water = max(self.high_water, len(self._items))
        self._cond.notify_all()

    def put_wait(self, item) -> bool:
        """Wait for room, then append. False if the buffer was closed meanwhile."""
        with self._cond:
            while len(self._items) >= self.maxsize and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            self._append(item)
            return True

    def put_drop_oldest(self, item) -> int:
        """Append without waiting, dropping the oldest items to make room. Returns how many were dropped."""
        with self._cond:
            if self._closed:
                return 0
            dropped = 0
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
            self._append(item)
            return dropped

    def get(self):
        """The next item, waiting for one; None once finished and drained, or closed."""
        with self._cond:
            while not self._items and not self._finished and not self._closed:
                self._cond.wait()
            if self._closed or not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def finish(self) -> None:
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()


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
        self._buf = _FrameBuffer(queue_size)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._decoded = 0
        self._dropped = 0
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
                "GStreamer: YES) through a venv made with --system-site-packages and removes pip's opencv from it")
        elif spec.kind == "gstreamer" and not gstreamer_available():
            raise AxolotlError(
                "this OpenCV build has no GStreamer support (cv2.getBuildInformation() shows 'GStreamer: NO') — "
                "install an OpenCV built with GStreamer (e.g. JetPack's) or pass a camera index or rtsp:// URL instead")

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
                f"to H.264 (`ffmpeg -i INPUT -c:v libx264 -pix_fmt yuv420p out.mp4`) or MJPEG (`-c:v mjpeg -q:v 3 out.avi`)")
        if spec.kind == "v4l2":
            return (f"V4L2 camera {spec.target} not found or busy — list cameras with `v4l2-ctl --list-devices`, "
                    f"check you are in the video group (`id`), or close the program using it")
        if spec.kind == "csi":
            return _one_line(f"cannot open CSI camera `{spec.target}` — check the ribbon cable and the sensor id, "
                             f"and restart the camera daemon: `sudo systemctl restart nvargus-daemon`")
        if spec.kind == "camera":
            return (f"camera {spec.target} not found or busy — list cameras with `v4l2-ctl --list-devices` "
                    f"and pass another index, or close the program using it")
        if spec.kind == "rtsp":
            url = spec.describe()
            return _one_line(f"cannot open stream {url} — check the URL, credentials and network (try `ffprobe '{url}'`)")
        return _one_line(
            f"cannot open GStreamer pipeline `{spec.describe()}` — test it with gst-launch-1.0 (with fakesink instead of appsink)")

    def _no_frame_message(self) -> str:
        spec = self.spec
        if spec.kind == "file":
            return self._open_failed_message()
        return _one_line(f"{spec.describe()} opened but delivered no frame — check it works in another player, "
                         f"or that no other program is using it")

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

    @property
    def stats(self) -> dict:
        """decoded, dropped (live overflow), reopened (live reconnections), queued now, max_queued ever."""
        return dict(decoded=self._decoded, dropped=self._dropped, reopened=self._reopened,
                    queued=len(self._buf), max_queued=self._buf.high_water)

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
        return (f"VideoSource({self.kind} {self.spec.describe()!r}, {self.size[0]}x{self.size[1]} "
                f"@ {self.fps:g} fps, live={self.is_live})")


def open_source(
    spec: str | int | os.PathLike | SourceSpec,
    *,
    queue_size: int = 8,
    reopen: bool = True,
    capture_factory: CaptureFactory | None = None,
    backoff: tuple[float, float] = DEFAULT_BACKOFF,
) -> VideoSource:
    """Open a source and start its capture thread. Raises AxolotlError (one line) when it cannot."""
    return VideoSource(parse_source(spec), queue_size=queue_size, reopen=reopen,
                       capture_factory=capture_factory, backoff=backoff)
