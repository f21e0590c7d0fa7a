"""Hardware camera paths (issue #7): Jetson CSI / hardware-decode pipelines, the NUC's V4L2 MJPEG camera.

There is no camera, no Jetson and no GStreamer in this OpenCV: the pipeline strings are checked exactly, the
V4L2 camera is FakeV4L2Camera handed to the real `default_capture_factory` in place of cv2.VideoCapture (it
decodes real JPEG bytes with cv2.imdecode in read(), as OpenCV's V4L2 backend does for MJPG)."""

from __future__ import annotations

import functools
import logging
import threading
import time

import cv2
import numpy as np
import pytest

from edge_app import capture
from edge_app.capture import csi_pipeline, default_capture_factory, open_source, parse_source
from edge_app.capture import source as capture_source
from edge_app.errors import AxolotlError

pytestmark = pytest.mark.timeout(60)

TAIL = (
    "nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
    "appsink drop=true max-buffers=1 sync=false"
)
MJPG = cv2.VideoWriter_fourcc(*"MJPG")
YUYV = cv2.VideoWriter_fourcc(*"YUYV")


# -- Jetson pipelines -----------------------------------------------------------------------------


def test_csi_default_pipeline_is_exact():
    spec = parse_source("csi:0")
    assert (spec.kind, spec.is_live, spec.api) == ("csi", True, cv2.CAP_GSTREAMER)
    assert spec.target == (
        "nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=30/1 ! "
        "nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
        "appsink drop=true max-buffers=1 sync=false"
    )


def test_csi_options_reach_the_caps_and_nvvidconv():
    spec = parse_source("csi:1?width=1280&height=720&fps=60&flip=2")
    assert spec.target == (
        "nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM),width=1280,height=720,framerate=60/1 ! "
        "nvvidconv flip-method=2 ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
        "appsink drop=true max-buffers=1 sync=false"
    )
    assert csi_pipeline(1, 1280, 720, 60, 2) == spec.target


@pytest.mark.parametrize(
    "source, head",
    [
        (
            "nvdec:rtsp://cam.local/live",
            'rtspsrc location="rtsp://cam.local/live" latency=200 ! rtph264depay ! h264parse ! nvv4l2decoder ! ',
        ),
        (
            "nvdec:h265:rtsp://cam.local/live?channel=2",
            'rtspsrc location="rtsp://cam.local/live?channel=2" latency=200 ! rtph265depay ! h265parse ! nvv4l2decoder ! ',
        ),
        (
            "nvdec:/dev/video0?width=1920&height=1080&fps=30",
            "v4l2src device=/dev/video0 ! video/x-h264,width=1920,height=1080,framerate=30/1 ! h264parse ! nvv4l2decoder ! ",
        ),
        (
            "nvdec:mjpeg:/dev/axolotl-camera?width=1920&height=1080&fps=30",
            "v4l2src device=/dev/axolotl-camera ! image/jpeg,width=1920,height=1080,framerate=30/1 ! jpegparse ! "
            "nvv4l2decoder mjpeg=1 ! ",
        ),
    ],
)
def test_nvdec_pipelines_are_exact(source, head):
    spec = parse_source(source)
    assert (spec.kind, spec.is_live, spec.api) == ("nvdec", True, cv2.CAP_GSTREAMER)
    assert spec.target == head + TAIL


def test_nvdec_hides_the_stream_password_in_messages(monkeypatch):
    monkeypatch.setattr(capture_source, "gstreamer_available", lambda: True)

    class NeverOpens:
        def isOpened(self):
            return False

        def release(self):
            pass

    with pytest.raises(AxolotlError) as e:
        open_source("nvdec:rtsp://admin:hunter2@10.0.0.9/s", capture_factory=lambda spec: NeverOpens())
    msg = str(e.value)
    assert "\n" not in msg and "hunter2" not in msg and "admin:***@10.0.0.9" in msg and "gst-launch-1.0" in msg


@pytest.mark.parametrize(
    "source, words",
    [
        ("csi:front", "csi:SENSOR_ID"),
        ("csi:0?iso=400", "unknown option 'iso'"),
        ("csi:0?width=0", "above 0"),
        ("csi:0?flip=8", "0-7"),
        ("nvdec:mjpeg:rtsp://cam/s", "H.264 or H.265"),
        ("v4l2:", "v4l2:INDEX"),
        ("v4l2:0?fourcc=MJ", "4-letter"),
    ],
)
def test_bad_hardware_sources_are_one_line_errors(source, words):
    with pytest.raises(AxolotlError) as e:
        parse_source(source)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_csi_without_gstreamer_says_what_to_install(monkeypatch):
    monkeypatch.setattr(capture_source, "gstreamer_available", lambda: False)
    with pytest.raises(AxolotlError) as e:
        open_source("csi:0", capture_factory=lambda spec: pytest.fail("must not try to open"))
    msg = str(e.value)
    assert "\n" not in msg
    assert "GStreamer" in msg and "JetPack" in msg and "packaging/jetson/install.sh" in msg


def test_csi_on_this_opencv():
    """The real check, no monkeypatch: pip's OpenCV has no GStreamer, so csi: must stop with the install line."""
    if capture.gstreamer_available():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(AxolotlError) as e:
        open_source("csi:0")
    assert "JetPack" in str(e.value)


def test_csi_that_does_not_open_names_the_camera_daemon(monkeypatch):
    monkeypatch.setattr(capture_source, "gstreamer_available", lambda: True)
    with pytest.raises(AxolotlError) as e:
        open_source("csi:0", capture_factory=lambda spec: FakeV4L2Camera(spec.target, spec.api, plugged=False))
    assert "nvargus-daemon" in str(e.value) and "\n" not in str(e.value)


# -- NUC: V4L2 camera in MJPEG, decoded on the capture thread -------------------------------------


class FakeV4L2Camera:
    """Stands in for cv2.VideoCapture(target, cv2.CAP_V4L2): records the properties set on it; read() decodes a
    real 1080p JPEG with cv2.imdecode (what OpenCV's V4L2 backend does for MJPG) and records the thread."""

    instances: list["FakeV4L2Camera"] = []

    def __init__(self, target, api, *, plugged=True, formats=("MJPG", "YUYV")):
        self.target, self.api, self.opened = target, api, plugged
        self.formats = [cv2.VideoWriter_fourcc(*f) for f in formats]
        self.props = {
            cv2.CAP_PROP_FOURCC: float(YUYV),
            cv2.CAP_PROP_FRAME_WIDTH: 640.0,
            cv2.CAP_PROP_FRAME_HEIGHT: 480.0,
            cv2.CAP_PROP_FPS: 30.0,
        }
        self.set_calls: list[tuple[int, float]] = []
        self.decode_threads: list[str] = []
        self.released = False
        FakeV4L2Camera.instances.append(self)

    def isOpened(self):
        return self.opened and not self.released

    def set(self, prop, value):
        self.set_calls.append((prop, value))
        if prop == cv2.CAP_PROP_FOURCC and int(value) not in self.formats:
            return False
        self.props[prop] = float(value)
        return True

    def get(self, prop):
        return self.props.get(prop, 0.0)

    def read(self):
        if not self.isOpened():
            return False, None
        time.sleep(0.002)  # the camera's frame period, shortened
        w, h = int(self.props[cv2.CAP_PROP_FRAME_WIDTH]), int(self.props[cv2.CAP_PROP_FRAME_HEIGHT])
        self.decode_threads.append(threading.current_thread().name)
        return True, cv2.imdecode(_jpeg(w, h), cv2.IMREAD_COLOR)

    def release(self):
        self.released = True


@functools.lru_cache(maxsize=4)
def _jpeg(w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    image = np.dstack([(x * 255 // w), (y * 255 // h), np.full_like(x, 128)]).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data


@pytest.fixture
def fake_factory():
    FakeV4L2Camera.instances.clear()
    return functools.partial(default_capture_factory, video_capture=FakeV4L2Camera)


def test_v4l2_opens_with_cap_v4l2_and_sets_mjpeg_1080p30_in_order(fake_factory):
    with open_source("v4l2:0", capture_factory=fake_factory) as src:
        assert (src.kind, src.is_live, src.size) == ("v4l2", True, (1920, 1080))
        next(iter(src))
    cam = FakeV4L2Camera.instances[0]
    assert (cam.target, cam.api) == (0, cv2.CAP_V4L2)
    assert cam.set_calls == [
        (cv2.CAP_PROP_FOURCC, float(MJPG)),
        (cv2.CAP_PROP_FRAME_WIDTH, 1920.0),
        (cv2.CAP_PROP_FRAME_HEIGHT, 1080.0),
        (cv2.CAP_PROP_FPS, 30.0),
    ]
    assert cam.released


def test_v4l2_device_path_and_options(fake_factory):
    with open_source("v4l2:/dev/axolotl-camera?width=1280&height=720&fps=60", capture_factory=fake_factory) as src:
        assert src.size == (1280, 720) and src.fps == 60.0
    cam = FakeV4L2Camera.instances[0]
    assert cam.target == "/dev/axolotl-camera"
    assert cam.set_calls[1:] == [
        (cv2.CAP_PROP_FRAME_WIDTH, 1280.0),
        (cv2.CAP_PROP_FRAME_HEIGHT, 720.0),
        (cv2.CAP_PROP_FPS, 60.0),
    ]


def test_v4l2_jpeg_decode_runs_on_the_capture_thread(fake_factory):
    reference = cv2.imdecode(_jpeg(1920, 1080), cv2.IMREAD_COLOR)
    with open_source("v4l2:0", queue_size=4, capture_factory=fake_factory) as src:
        frames = [f for f, _ in zip(src, range(20))]
        consumer = threading.current_thread().name
    cam = FakeV4L2Camera.instances[0]
    assert all(f.image.shape == (1080, 1920, 3) for f in frames)
    assert np.array_equal(frames[-1].image, reference)  # really decoded JPEG, not a stand-in array
    # Frame 0 is read once by open_source (to report a camera that opens but delivers nothing); every later
    # decode happens on the capture thread, never on the consumer's.
    assert cam.decode_threads[0] == consumer
    later = cam.decode_threads[1:]
    assert len(later) >= 19 and set(later) == {"capture-v4l2"} and consumer != "capture-v4l2"


def test_camera_without_mjpeg_logs_what_it_gave(fake_factory, caplog):
    factory = functools.partial(
        default_capture_factory, video_capture=functools.partial(FakeV4L2Camera, formats=("YUYV",))
    )
    with caplog.at_level(logging.WARNING, logger="axolotl.capture"):
        with open_source("v4l2:0", capture_factory=factory):
            pass
    assert "asked for MJPG, the driver gave YUYV" in caplog.text


def test_v4l2_camera_missing(fake_factory):
    factory = functools.partial(default_capture_factory, video_capture=functools.partial(FakeV4L2Camera, plugged=False))
    with pytest.raises(AxolotlError) as e:
        open_source("v4l2:/dev/video9", capture_factory=factory)
    msg = str(e.value)
    assert "V4L2 camera /dev/video9" in msg and "video group" in msg and "\n" not in msg
    assert FakeV4L2Camera.instances[0].set_calls == []  # nothing is set on a camera that did not open
