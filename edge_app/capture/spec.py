"""What a video source string means: `parse_source` turns it into a `SourceSpec`.

- an int or digits: a camera index; `rtsp(s)://`, `http(s)://`: a network stream;
- a string with " ! ": a GStreamer pipeline (live unless it starts with filesrc); else a file path.

Hardware cameras (issue #7), each a source string:
- `csi:0?width=1920&height=1080&fps=30[&flip=2]`: a Jetson CSI camera through nvarguscamerasrc (see `csi_pipeline`).
- `nvdec:[h264:|h265:|mjpeg:]rtsp://...` or `nvdec:[codec:]/dev/video0?width=..`: an H.264/H.265 stream or a USB
  camera's compressed video decoded by the Jetson's hardware decoder, nvv4l2decoder (see `nvdec_pipeline`).
- `v4l2:0` or `v4l2:/dev/axolotl-camera?width=1920&height=1080&fps=30&fourcc=MJPG`: a V4L2 camera (NUC) opened
  with CAP_V4L2 in MJPEG at 1080p30 by default; the JPEG decode happens in `read()`, on the capture thread.

A source string the user can fix is a one-line `AxolotlError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

import cv2
import numpy as np

from edge_app.capture.gstreamer import NVDEC_CODECS, csi_pipeline, nvdec_pipeline
from edge_app.errors import AxolotlError

SourceKind = Literal["file", "camera", "rtsp", "gstreamer", "csi", "nvdec", "v4l2"]
_GST_KINDS = ("gstreamer", "csi", "nvdec")  # sources that need OpenCV's GStreamer backend
_STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://")
CSI_DEFAULTS = {"width": 1920, "height": 1080, "fps": 30, "flip": 0}
V4L2_DEFAULTS = {"width": 1920, "height": 1080, "fps": 30, "fourcc": "MJPG"}


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


def _redact(text: str) -> str:
    """rtsp://user:secret@host/ -> rtsp://user:***@host/ wherever a URL appears, a GStreamer
    pipeline's rtspsrc location included (messages end up in logs)."""
    return re.sub(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/:@\s\"]*):[^/@\s\"]*@", r"\1:***@", text)


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
            raise AxolotlError(
                f"{key} in {what} must be a whole number {'0-7' if key == 'flip' else 'above 0'}, got '{value}'"
            )
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
            raise AxolotlError(
                f"invalid CSI source '{text}' — write csi:SENSOR_ID, e.g. csi:0?width=1920&height=1080&fps=30"
            )
        return SourceSpec("csi", csi_pipeline(int(sensor), **opts), True, cv2.CAP_GSTREAMER)
    if scheme == "v4l2":
        device, opts = _split_options(rest, V4L2_DEFAULTS, text)
        if not device:
            raise AxolotlError(f"invalid V4L2 source '{text}' — write v4l2:INDEX or v4l2:/dev/videoN")
        # FOURCC first: the driver picks the sizes and rates it offers per pixel format.
        props = (
            (cv2.CAP_PROP_FOURCC, float(cv2.VideoWriter_fourcc(*opts["fourcc"]))),
            (cv2.CAP_PROP_FRAME_WIDTH, float(opts["width"])),
            (cv2.CAP_PROP_FRAME_HEIGHT, float(opts["height"])),
            (cv2.CAP_PROP_FPS, float(opts["fps"])),
        )
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
        raise AxolotlError(
            f"invalid video source {spec!r} — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline"
        )
    if isinstance(spec, (int, np.integer)):
        index = int(spec)
        if index < 0:
            raise AxolotlError(
                f"invalid camera index {index} — camera indexes start at 0 (see `v4l2-ctl --list-devices`)"
            )
        return SourceSpec("camera", index, True)
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        raise AxolotlError(
            f"invalid video source {spec!r} — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline"
        )
    text = spec.strip()
    if not text:
        raise AxolotlError(
            "empty video source — pass a file path, a camera index, an rtsp:// URL or a GStreamer pipeline"
        )
    if text.isdigit():
        return SourceSpec("camera", int(text), True)
    hw = _parse_hw_source(text)
    if hw is not None:
        return hw
    if text.lower().startswith(_STREAM_PREFIXES):
        return SourceSpec("rtsp", text, True, cv2.CAP_FFMPEG)
    if " ! " in text:
        if "appsink" not in text:
            raise AxolotlError(
                "GStreamer pipeline has no appsink — end it with `! videoconvert ! video/x-raw,format=BGR ! appsink`"
            )
        return SourceSpec("gstreamer", text, not text.startswith("filesrc"), cv2.CAP_GSTREAMER)
    return SourceSpec("file", os.path.expanduser(spec), False)
