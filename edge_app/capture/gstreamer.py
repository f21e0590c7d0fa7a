"""GStreamer pipelines for Jetson cameras (issue #7), and whether this OpenCV can run them.

`csi_pipeline` (a CSI camera through nvarguscamerasrc) and `nvdec_pipeline` (an H.264/H.265 stream
or a USB camera's compressed video through the hardware decoder, nvv4l2decoder) build the pipeline
strings that `cv2.VideoCapture(..., cv2.CAP_GSTREAMER)` opens; `spec.parse_source` calls them for
`csi:` and `nvdec:` sources.
"""

from __future__ import annotations

import re

import cv2

from edge_app.errors import AxolotlError

# The end of every Jetson pipeline: nvvidconv (the VIC engine, not the CPU) converts the decoder's/ISP's NV12 and
# copies the frame out of NVMM (device memory) into CPU memory as BGRx. That is the one copy off the accelerator,
# and it cannot be avoided with OpenCV: its appsink reader maps CPU buffers only (NVMM stays zero-copy up to here).
# videoconvert then drops the x byte on the CPU (OpenCV wants 3-channel BGR) and OpenCV copies the sample into the
# numpy array it returns. drop=true max-buffers=1: a slow reader gets the newest frame, the camera never waits.
_JETSON_TAIL = (
    "nvvidconv{flip} ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
    "appsink drop=true max-buffers=1 sync=false"
)
NVDEC_CODECS = ("h264", "h265", "mjpeg")


def csi_pipeline(sensor_id: int = 0, width: int = 1920, height: int = 1080, fps: int = 30, flip: int = 0) -> str:
    """nvarguscamerasrc (Argus: the ISP debayers into NVMM) → nvvidconv → BGR appsink, for cv2.CAP_GSTREAMER."""
    return (
        f"nvarguscamerasrc sensor-id={sensor_id} ! "
        f"video/x-raw(memory:NVMM),width={width},height={height},framerate={fps}/1 ! "
        + _JETSON_TAIL.format(flip=f" flip-method={flip}" if flip else "")
    )


def nvdec_pipeline(
    target: str,
    codec: str = "h264",
    width: int | None = None,
    height: int | None = None,
    fps: int | None = None,
    latency_ms: int = 200,
) -> str:
    """Hardware decode on a Jetson: an RTSP stream (rtspsrc, depayload, parse) or a USB camera's compressed video
    (v4l2src) into nvv4l2decoder, which decodes into NVMM; then the common tail (one copy out, in nvvidconv)."""
    if codec not in NVDEC_CODECS:
        raise AxolotlError(f"unknown codec '{codec}' for nvdec: — use one of {', '.join(NVDEC_CODECS)}")
    if target.lower().startswith(("rtsp://", "rtsps://")):
        if codec == "mjpeg":
            raise AxolotlError(
                "nvdec: decodes H.264 or H.265 RTSP streams — drop `mjpeg:` or pass the stream as rtsp://..."
            )
        src = f'rtspsrc location="{target}" latency={latency_ms} ! rtp{codec}depay ! {codec}parse'
    else:
        caps = {"h264": "video/x-h264", "h265": "video/x-h265", "mjpeg": "image/jpeg"}[codec]
        caps += "".join(f",{k}={v}" for k, v in (("width", width), ("height", height)) if v)
        caps += f",framerate={fps}/1" if fps else ""
        src = f"v4l2src device={target} ! {caps} ! " + ("jpegparse" if codec == "mjpeg" else f"{codec}parse")
    decoder = "nvv4l2decoder mjpeg=1" if codec == "mjpeg" else "nvv4l2decoder"
    return f"{src} ! {decoder} ! " + _JETSON_TAIL.format(flip="")


def gstreamer_available() -> bool:
    """Whether this OpenCV build has the GStreamer backend (the 'GStreamer: YES' line of its build info)."""
    return re.search(r"GStreamer:\s*YES", cv2.getBuildInformation()) is not None
