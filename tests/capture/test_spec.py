"""Source strings: what `parse_source` makes of each (hardware camera strings: test_hardware.py)."""

from __future__ import annotations

import cv2
import pytest

from edge_app.capture import parse_source
from edge_app.errors import AxolotlError
from tests.capture.helpers import one_line_error


@pytest.mark.parametrize(
    "spec, kind, target, live",
    [
        (0, "camera", 0, True),
        (3, "camera", 3, True),
        ("1", "camera", 1, True),
        (" 2 ", "camera", 2, True),
        ("rtsp://cam.local/stream", "rtsp", "rtsp://cam.local/stream", True),
        ("RTSPS://cam.local/s", "rtsp", "RTSPS://cam.local/s", True),
        ("http://cam.local/mjpg", "rtsp", "http://cam.local/mjpg", True),
        ("https://cam.local/live.m3u8", "rtsp", "https://cam.local/live.m3u8", True),
        ("v4l2src ! videoconvert ! appsink", "gstreamer", "v4l2src ! videoconvert ! appsink", True),
        (
            "filesrc location=a.mp4 ! decodebin ! videoconvert ! appsink",
            "gstreamer",
            "filesrc location=a.mp4 ! decodebin ! videoconvert ! appsink",
            False,
        ),
        ("samples/vtest-15s.avi", "file", "samples/vtest-15s.avi", False),
        ("my clip 2.mp4", "file", "my clip 2.mp4", False),
        ("2024", "camera", 2024, True),
    ],
)
def test_parse_source(spec, kind, target, live):
    parsed = parse_source(spec)
    assert (parsed.kind, parsed.target, parsed.is_live) == (kind, target, live)
    assert parse_source(parsed) is parsed


def test_parse_source_gstreamer_backend():
    assert parse_source("v4l2src ! appsink").api == cv2.CAP_GSTREAMER


@pytest.mark.parametrize("bad", ["", "   ", -1, True, None, 1.5, "videotestsrc ! videoconvert ! autovideosink"])
def test_parse_source_rejects(bad):
    with pytest.raises(AxolotlError) as e:
        parse_source(bad)
    one_line_error(e)
