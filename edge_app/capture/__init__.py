"""Video sources: files, cameras, RTSP streams and GStreamer pipelines, decoded on a capture thread.

    with open_source("samples/vtest-15s.avi") as src:     # or 0, "rtsp://cam/stream", "v4l2src ! ... ! appsink"
        for frame in src:                                  # Frame(index, t_ns, pts_s, image)
            ...

One module per job:
- `spec`: what a source string means (`parse_source` -> `SourceSpec`), hardware camera strings included;
- `gstreamer`: the Jetson GStreamer pipelines (CSI camera, hardware decoder) and whether OpenCV can run them;
- `buffer`: the bounded frame queue with its two overflow policies (files wait, live drops the oldest);
- `source`: `VideoSource`, the capture thread that decodes, timestamps and reconnects (`open_source`);
- `paced`: `PacedSource`, a file played as a live camera at its own frame rate (`bench --paced`).
"""

from edge_app.capture.buffer import FrameBuffer
from edge_app.capture.gstreamer import NVDEC_CODECS, csi_pipeline, gstreamer_available, nvdec_pipeline
from edge_app.capture.paced import PacedSource, open_paced
from edge_app.capture.source import (
    BACKOFF_JITTER,
    DEFAULT_BACKOFF,
    DEFAULT_LIVE_FPS,
    STREAM_TIMEOUT_MS,
    CaptureFactory,
    Frame,
    VideoSource,
    default_capture_factory,
    open_source,
)
from edge_app.capture.spec import CSI_DEFAULTS, V4L2_DEFAULTS, SourceKind, SourceSpec, parse_source

__all__ = [
    "BACKOFF_JITTER",
    "CSI_DEFAULTS",
    "DEFAULT_BACKOFF",
    "DEFAULT_LIVE_FPS",
    "NVDEC_CODECS",
    "STREAM_TIMEOUT_MS",
    "V4L2_DEFAULTS",
    "CaptureFactory",
    "Frame",
    "FrameBuffer",
    "PacedSource",
    "SourceKind",
    "SourceSpec",
    "VideoSource",
    "csi_pipeline",
    "default_capture_factory",
    "gstreamer_available",
    "nvdec_pipeline",
    "open_paced",
    "open_source",
    "parse_source",
]
