"""Video sources: real video for files, a FakeCamera (there is no camera here) for live sources."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time

import cv2
import numpy as np
import pytest

from edge_app import capture
from edge_app.capture import Frame, SourceSpec, open_source, parse_source
from edge_app.capture import source as capture_source
from edge_app.errors import AxolotlError
from tests.capture.helpers import one_line_error
from tests.conftest import SAMPLE

pytestmark = pytest.mark.timeout(60)


def _digest(image: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).hexdigest()


def _direct_digests(path) -> list[str]:
    """Every frame of a file, decoded straight with OpenCV (the reference)."""
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        out.append(_digest(img))
    cap.release()
    return out


def _check_file_delivery(path, *, n_frames, fps, size, slow_for: int, queue_size: int = 2):
    """Every frame exactly once, in order (same pixels as a direct decode), with a slow consumer."""
    reference = _direct_digests(path)
    assert len(reference) == n_frames
    with open_source(path, queue_size=queue_size) as src:
        assert (src.kind, src.is_live) == ("file", False)
        assert src.frame_count == n_frames and src.fps == pytest.approx(fps) and src.size == size
        indexes, pts, digests = [], [], []
        for frame in src:
            if len(indexes) < slow_for:
                time.sleep(0.005)  # slower than decoding: the capture thread must wait, not drop
            assert frame.image.shape == (size[1], size[0], 3) and frame.image.dtype == np.uint8
            indexes.append(frame.index)
            pts.append(frame.pts_s)
            digests.append(_digest(frame.image))
        stats = src.stats
    assert indexes == list(range(n_frames))
    assert digests == reference
    assert all(b > a for a, b in zip(pts, pts[1:]))
    assert pts[0] == 0.0 and pts[-1] == pytest.approx((n_frames - 1) / fps, abs=1e-3)
    assert stats["decoded"] == n_frames and stats["dropped"] == 0 and stats["reopened"] == 0
    assert stats["max_queued"] <= queue_size


def test_sample_clip_every_frame_once_in_order_with_slow_consumer():
    assert SAMPLE.exists(), "run scripts/make_sample.py"
    _check_file_delivery(SAMPLE, n_frames=150, fps=10.0, size=(768, 576), slow_for=150)


def test_vtest_every_frame_once_in_order(vtest):
    _check_file_delivery(vtest, n_frames=795, fps=10.0, size=(768, 576), slow_for=40, queue_size=3)


def test_file_producer_waits_when_queue_full():
    with open_source(SAMPLE, queue_size=3) as src:
        time.sleep(0.4)  # nobody reads: decoding 150 frames would take ~0.2 s
        stats = src.stats
        assert stats["queued"] == 3 and stats["dropped"] == 0
        assert stats["decoded"] <= 4  # the queue plus the one frame the thread holds while waiting
        assert sum(1 for _ in src) == 150


def test_file_frames_are_not_copied_or_reused():
    """Frames are decoded into fresh arrays: one kept while later ones decode stays intact."""
    reference = _direct_digests(SAMPLE)[:10]
    with open_source(SAMPLE, queue_size=2) as src:
        kept = [f for f, _ in zip(src, range(10))]
        for _ in src:
            pass
    assert [_digest(f.image) for f in kept] == reference
    assert not any(np.shares_memory(a.image, b.image) for a, b in zip(kept, kept[1:]))


# -- live sources, with a fake camera -------------------------------------------------------------


class FakeDevice:
    """The physical camera behind FakeCamera: can be unplugged, paused, and records what happened."""

    def __init__(self, *, width=32, height=24, period=0.0, fps=0.0):
        self.width, self.height, self.period, self.fps = width, height, period, fps
        self.plugged = True
        self.produced = 0
        self.images: dict[int, np.ndarray] = {}
        self.open_times: list[float] = []
        self.failed_reads = 0
        self.cameras: list[FakeCamera] = []
        self._running = threading.Event()
        self._running.set()
        self.blocked = threading.Event()  # set while a read waits in pause()

    def pause(self):
        """From now on read() blocks (like a camera waiting for its next frame) until resume()."""
        self.blocked.clear()
        self._running.clear()

    def resume(self):
        self._running.set()

    def read(self):
        if not self.plugged:
            self.failed_reads += 1
            time.sleep(0.001)
            return False, None
        if not self._running.is_set():
            self.blocked.set()
            self._running.wait()
            self.blocked.clear()
        if self.period:
            time.sleep(self.period)
        n = self.produced
        image = np.zeros((self.height, self.width, 3), np.uint8)
        image[0, 0] = (n & 255, (n >> 8) & 255, (n >> 16) & 255)
        self.images[n] = image
        self.produced += 1
        return True, image


def _counter(image: np.ndarray) -> int:
    b, g, r = (int(v) for v in image[0, 0])
    return b | g << 8 | r << 16


class FakeCamera:
    """Stands in for cv2.VideoCapture: isOpened, read, get, release."""

    def __init__(self, device: FakeDevice):
        self.device = device
        self.released = False
        self.opened = device.plugged
        device.open_times.append(time.monotonic())
        device.cameras.append(self)

    def isOpened(self):
        return self.opened and not self.released

    def read(self):
        if self.released or not self.opened:
            return False, None
        return self.device.read()

    def get(self, prop):
        return {
            cv2.CAP_PROP_FRAME_WIDTH: float(self.device.width),
            cv2.CAP_PROP_FRAME_HEIGHT: float(self.device.height),
            cv2.CAP_PROP_FPS: float(self.device.fps),
        }.get(prop, 0.0)

    def release(self):
        self.released = True


def _wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_fake_camera_source_properties():
    dev = FakeDevice(width=40, height=30)
    with open_source(0, capture_factory=lambda spec: FakeCamera(dev)) as src:
        assert (src.kind, src.is_live, src.size, src.frame_count) == ("camera", True, (40, 30), None)
        assert src.fps == 25.0  # the camera reports 0: the live default
        frame = next(iter(src))
        assert isinstance(frame, Frame) and frame.image is dev.images[_counter(frame.image)]  # not copied
        assert frame.pts_s >= 0.0 and frame.t_ns <= time.monotonic_ns()
    assert all(cam.released for cam in dev.cameras)


def test_live_full_queue_drops_oldest_and_never_blocks_camera():
    dev = FakeDevice()
    with open_source(0, queue_size=4, capture_factory=lambda spec: FakeCamera(dev)) as src:
        dev.pause()
        _wait_for(dev.blocked.is_set)
        n0 = dev.produced
        t0 = time.monotonic()
        dev.resume()
        _wait_for(lambda: dev.produced >= n0 + 100, timeout=10)
        dev.pause()
        _wait_for(dev.blocked.is_set)
        # Nobody read anything, yet the camera kept delivering: the capture thread never waited.
        assert time.monotonic() - t0 < 5.0
        n = dev.produced
        stats = src.stats
        assert stats["decoded"] == n and stats["queued"] == 4 and stats["max_queued"] == 4
        assert stats["dropped"] == n - 4
        it = iter(src)
        got = [next(it) for _ in range(4)]
        # The newest four survive, in order; the image is the camera's own array.
        assert [f.index for f in got] == list(range(n - 4, n))
        assert [_counter(f.image) for f in got] == list(range(n - 4, n))
        assert all(f.image is dev.images[f.index] for f in got)
        assert [f.pts_s for f in got] == sorted(f.pts_s for f in got)
        assert src.stats["queued"] == 0
        dev.resume()


def test_live_slow_consumer_gets_increasing_frames_and_counts_add_up():
    dev = FakeDevice(period=0.0005)
    with open_source(0, queue_size=3, capture_factory=lambda spec: FakeCamera(dev)) as src:
        got = []
        for frame in src:
            got.append(frame)
            time.sleep(0.01)
            if len(got) == 20:
                break
        dev.pause()
        _wait_for(dev.blocked.is_set)
        stats = src.stats
        assert stats["max_queued"] <= 3
        assert stats["dropped"] > 0
        assert stats["decoded"] == len(got) + stats["dropped"] + stats["queued"]
        idx = [f.index for f in got]
        assert all(b > a for a, b in zip(idx, idx[1:])) and idx[-1] - idx[0] > len(idx)  # gaps: drops
        dev.resume()


def test_live_source_reopens_with_backoff_and_resumes():
    dev = FakeDevice(period=0.002)
    with open_source(0, queue_size=4, backoff=(0.05, 0.4), capture_factory=lambda spec: FakeCamera(dev)) as src:
        it = iter(src)
        before = [next(it) for _ in range(5)]
        dev.plugged = False  # cable pulled: reads fail and so do opens
        _wait_for(lambda: len(dev.open_times) >= 5, timeout=5)  # initial open + 4 failed reopens
        dev.plugged = True
        after = []
        for frame in it:
            after.append(frame)
            if src.stats["reopened"] and len(after) >= 10:
                break
        stats = src.stats
    assert stats["reopened"] == 1
    frames = before + after
    assert all(b.index > a.index for a, b in zip(frames, frames[1:]))
    assert all(b.pts_s > a.pts_s for a, b in zip(frames, frames[1:]))
    # Waits between reopen attempts double (±10 % jitter), capped at 0.4 s.
    waits = np.diff(dev.open_times[1:])
    assert len(waits) >= 3
    for a, b in zip(waits[:2], waits[1:3]):  # 0.1 → 0.2 → 0.4 (the first wait, 0.05, precedes open_times[1])
        assert 1.4 < b / a < 2.8
    assert max(waits) < 0.4 * 1.1 + 0.15
    assert all(cam.released for cam in dev.cameras)


def test_close_during_backoff_is_prompt():
    dev = FakeDevice(period=0.001)
    src = open_source(0, backoff=(5.0, 8.0), capture_factory=lambda spec: FakeCamera(dev))
    consumed, errors = [], []

    def consume():
        try:
            for f in src:
                consumed.append(f)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    consumer = threading.Thread(target=consume)
    consumer.start()
    _wait_for(lambda: len(consumed) >= 3)
    dev.plugged = False
    _wait_for(lambda: dev.failed_reads > 0)
    time.sleep(0.1)  # now in the 5 s backoff wait
    t0 = time.monotonic()
    src.close()
    consumer.join(3.0)
    assert time.monotonic() - t0 < 3.0  # the backoff wait is 5 s: close cut it short (slack for a busy machine)
    assert not consumer.is_alive() and not errors
    assert len(dev.open_times) == 1 and all(cam.released for cam in dev.cameras)


def test_live_without_reopen_ends_when_camera_fails():
    dev = FakeDevice(period=0.001)
    with open_source(0, reopen=False, capture_factory=lambda spec: FakeCamera(dev)) as src:
        it = iter(src)
        next(it)
        dev.plugged = False
        rest = list(it)
        assert src.stats["reopened"] == 0
    assert len(rest) < dev.produced


# -- errors: one line, naming the problem and the fix ---------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.avi"
    with pytest.raises(AxolotlError) as e:
        open_source(path)
    assert one_line_error(e) == f"video not found: {path} — check the path"


def test_text_file_renamed_avi(tmp_path):
    path = tmp_path / "notes.avi"
    path.write_text("these are not video frames\n" * 50)
    with pytest.raises(AxolotlError) as e:
        open_source(str(path))
    msg = one_line_error(e)
    assert str(path) in msg and "ffmpeg" in msg and "H.264" in msg


def test_truncated_video_file(tmp_path):
    path = tmp_path / "cut.avi"
    path.write_bytes(SAMPLE.read_bytes()[:4096])  # the header, no frame
    with pytest.raises(AxolotlError) as e:
        open_source(path)
    assert str(path) in one_line_error(e)


def test_directory_is_not_a_video(tmp_path):
    with pytest.raises(AxolotlError) as e:
        open_source(tmp_path)
    assert str(tmp_path) in one_line_error(e)


class NeverOpens(FakeCamera):
    def __init__(self):
        self.released, self.opened = False, False


def test_unknown_camera_index():
    with pytest.raises(AxolotlError) as e:
        open_source(7, capture_factory=lambda spec: NeverOpens())
    msg = one_line_error(e)
    assert "camera 7" in msg and "v4l2-ctl --list-devices" in msg


def test_camera_that_opens_but_gives_no_frame():
    dev = FakeDevice()
    dev.plugged = False
    cam = FakeCamera(dev)
    cam.opened = True
    with pytest.raises(AxolotlError) as e:
        open_source("2", capture_factory=lambda spec: cam)
    assert "camera 2" in one_line_error(e)
    assert cam.released


def test_rtsp_that_cannot_be_opened_hides_password():
    seen = []

    def factory(spec):
        seen.append(spec)
        return NeverOpens()

    with pytest.raises(AxolotlError) as e:
        open_source("rtsp://admin:hunter2@10.0.0.9:554/stream1", capture_factory=factory)
    msg = one_line_error(e)
    assert "rtsp://admin:***@10.0.0.9:554/stream1" in msg and "hunter2" not in msg
    assert seen[0].kind == "rtsp" and seen[0].api == cv2.CAP_FFMPEG


def test_gstreamer_without_support(monkeypatch):
    monkeypatch.setattr(capture_source, "gstreamer_available", lambda: False)
    with pytest.raises(AxolotlError) as e:
        open_source(
            "v4l2src device=/dev/video0 ! videoconvert ! appsink",
            capture_factory=lambda spec: pytest.fail("must not try to open"),
        )
    assert "GStreamer" in one_line_error(e) and "getBuildInformation" in str(e.value)


def test_gstreamer_pipeline_on_this_opencv():
    if capture.gstreamer_available():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(AxolotlError) as e:
        open_source("videotestsrc num-buffers=3 ! videoconvert ! appsink")
    assert "GStreamer: NO" in one_line_error(e)


def test_frame_is_frozen():
    f = Frame(0, 1, 0.0, np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(dataclasses.FrozenInstanceError):  # what @dataclass(frozen=True) raises, nothing else
        f.index = 1  # type: ignore[misc]
    assert f.index == 0
    # an int is camera index 0, live, any backend, no properties: every field, not just the type
    assert parse_source(0) == SourceSpec("camera", 0, True, cv2.CAP_ANY, ())
