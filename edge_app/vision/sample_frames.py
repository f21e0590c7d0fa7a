"""Frames drawn evenly from a club's own recordings: the calibration sets of INT8 models
(TensorRT's calibrator, OpenVINO's NNCF) come from what the box's camera really sees."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from edge_app.errors import AxolotlError


def video_lengths(videos, option: str) -> list[int]:
    """Frame counts of the videos; a missing or unreadable one is a one-line error naming `option`."""
    totals = []
    for v in videos:
        if not Path(v).is_file():
            raise AxolotlError(f"calibration video not found: {v}; pass your own recordings ({option})")
        cap = cv2.VideoCapture(str(v))
        totals.append(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0)
        cap.release()
        if totals[-1] <= 0:
            raise AxolotlError(f"cannot read calibration video {v}; pass videos OpenCV can open ({option})")
    return totals


def even_frames(videos, count: int, phase: float = 0.5, option: str = "--videos") -> Iterator[np.ndarray]:
    """`count` BGR frames drawn evenly over all the videos: frame (i + phase) * total / count of the
    concatenation. Two phases (0.25 and 0.75) give two disjoint sets: calibration and evaluation."""
    totals = video_lengths(videos, option)
    total = sum(totals)
    n = min(count, total)
    picks = ((np.arange(n) + phase) * total / n).astype(np.int64)
    start = 0
    for video, frames in zip(videos, totals):
        wanted = set((picks[(picks >= start) & (picks < start + frames)] - start).tolist())
        start += frames
        if not wanted:
            continue
        cap = cv2.VideoCapture(str(video))
        for i in range(max(wanted) + 1):
            if not cap.grab():  # grab without decoding; decode only the frames we keep
                break
            if i in wanted:
                ok, frame = cap.retrieve()
                if ok:
                    yield frame
        cap.release()
