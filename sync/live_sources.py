"""What a paired phone may start a live session from (`POST /live/start` with a `source`): one of the
box's configured cameras (`serve --camera`, the config's `session.camera`), or a video file in the
box's recordings folder (`<data dir>/recordings`, by name or by a path inside it). Anything else (a
path elsewhere, an rtsp:// URL the phone made up, a GStreamer pipeline) is refused without being
looked at, and every refusal has the same wording, so the answer tells nothing about the box's files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from edge_app.errors import AxolotlError

RECORDINGS = "recordings"
REFUSED = (
    "that source is not one of this box's cameras or a video in its recordings folder; "
    "leave source out for the box's camera, or name a recording"
)


class SourceRefused(AxolotlError):
    """A live source the phone may not use (or that is not there: the same answer)."""


class LiveSources:
    def __init__(self, cameras: Iterable[str] = (), recordings: str | Path | None = None):
        self.cameras = {str(c) for c in cameras if c is not None and str(c) != ""}
        self.recordings = Path(recordings).expanduser() if recordings is not None else None

    @staticmethod
    def refused() -> SourceRefused:
        return SourceRefused(REFUSED)

    def check(self, source: str | None) -> str | None:
        """The source to open (None: the box's default camera), or SourceRefused. May read the file's first
        frame (blocking: call it off the event loop)."""
        if source is None or source == "":
            return None
        source = str(source)
        if source in self.cameras:
            return source
        if self.recordings is None or "\0" in source or "://" in source or len(source) > 1024:
            raise self.refused()
        folder = self.recordings.resolve()
        if not Path(os.path.normpath(folder / source)).is_relative_to(folder):  # not looked at: no file is touched
            raise self.refused()
        try:
            path = (folder / source).resolve(strict=True)  # a link out of the folder is refused below
        except (OSError, RuntimeError):
            raise self.refused() from None
        if not path.is_relative_to(folder) or not path.is_file() or not os.access(path, os.R_OK) or not _is_video(path):
            raise self.refused()
        return str(path)


def _is_video(path: Path) -> bool:
    """Whether OpenCV decodes a first frame from the file."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return bool(cap.isOpened() and cap.read()[0])
    finally:
        cap.release()
