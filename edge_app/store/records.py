"""How rows are encoded: JSON columns, float32 blobs, and the read-back types (`StoredFrame`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from edge_app.vision.detections import Detections


class BoxRows(NamedTuple):
    """Person boxes read back as columns (`person_boxes`), one row per box."""

    frame: np.ndarray  # (n,) int64
    t: np.ndarray  # (n,) s, the frame's time
    track_id: np.ndarray  # (n,) int64, -1 where untracked
    xyxy: np.ndarray  # (n, 4) float32, px


@dataclass(frozen=True)
class StoredPose:
    """A pose sample read back (same attribute names as `vision.pose.PoseSample`)."""

    track_id: int
    landmarks: np.ndarray  # (K, 4) float32
    world_landmarks: np.ndarray | None  # (K, 4) float32
    score: float | None


@dataclass(frozen=True)
class StoredFrame:
    """One analysed frame read back: what `add_frame` was given."""

    frame: int
    t: float
    detections: Detections
    poses: list[StoredPose]


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Path, datetime)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value) -> str | None:
    return None if value is None else json.dumps(value, default=json_default, separators=(",", ":"))


def loads(text):
    return None if text is None else json.loads(text)


def blob(array, cols: int) -> bytes:
    return np.ascontiguousarray(array, dtype="<f4").reshape(-1, cols).tobytes()


def unblob(data: bytes | None, cols: int) -> np.ndarray | None:
    if data is None:
        return None
    return np.frombuffer(data, dtype="<f4").reshape(-1, cols).astype(np.float32)


def detections_from_rows(rows: list[tuple]) -> Detections:
    """`Detections` from rows of (frame, track_id, class_id, score, x1, y1, x2, y2, keypoints)."""
    if not rows:
        return Detections.empty()
    xyxy = np.array([r[4:8] for r in rows], dtype=np.float32)
    kps = [unblob(r[8], 3) for r in rows]
    keypoints = None
    if any(k is not None for k in kps):
        k = max(len(a) for a in kps if a is not None)
        keypoints = np.zeros((len(rows), k, 3), np.float32)
        for i, a in enumerate(kps):
            if a is not None:
                keypoints[i, : len(a)] = a
    tid = None
    if any(r[1] is not None for r in rows):
        tid = np.array([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    return Detections(
        xyxy=xyxy,
        confidence=np.array([r[3] for r in rows], dtype=np.float32),
        class_id=np.array([r[2] for r in rows], dtype=np.int32),
        keypoints=keypoints,
        tracker_id=tid,
    )
