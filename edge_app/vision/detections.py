"""The one canonical detection type that every vision stage reads and writes.

Like supervision's `Detections`: a struct of arrays, one row per object. Backends
adapt their raw output into it at the edge; trackers fill `tracker_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from edge_app.positions.ground import box_ground_points

PERSON = 0  # COCO class ids used by the app
SPORTS_BALL = 32


@dataclass(frozen=True)
class Detections:
    xyxy: np.ndarray  # (N, 4) float32, pixels in the original frame
    confidence: np.ndarray  # (N,) float32
    class_id: np.ndarray  # (N,) int32, COCO ids
    keypoints: np.ndarray | None = None  # (N, K, 3) float32: x, y, visibility (pose models)
    tracker_id: np.ndarray | None = None  # (N,) int64, set by the tracker
    data: dict = field(default_factory=dict)  # extra per-row arrays, kept aligned

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        for name in ("confidence", "class_id"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Detections.{name} has {len(getattr(self, name))} rows, xyxy has {n}")
        for name in ("keypoints", "tracker_id"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"Detections.{name} has {len(value)} rows, xyxy has {n}")

    @classmethod
    def empty(cls, num_keypoints: int | None = None) -> "Detections":
        kps = None if num_keypoints is None else np.zeros((0, num_keypoints, 3), np.float32)
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), kps)

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> "Detections":
        """Rows by boolean mask, integer array or slice."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            keypoints=None if self.keypoints is None else self.keypoints[index],
            tracker_id=None if self.tracker_id is None else self.tracker_id[index],
            data={k: v[index] for k, v in self.data.items()},
        )

    def with_tracker_id(self, tracker_id: np.ndarray) -> "Detections":
        return replace(self, tracker_id=np.asarray(tracker_id, dtype=np.int64))

    @property
    def ground_point(self) -> np.ndarray:
        """(N, 2) where each player stands, for pitch projection (the positions stage's one rule)."""
        return box_ground_points(self.xyxy)

    @property
    def area(self) -> np.ndarray:
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]

    def to_records(self) -> list[dict]:
        """Plain JSON-ready rows (CLI output, store)."""
        rows = []
        for i in range(len(self)):
            row = {
                "box": [round(float(v), 1) for v in self.xyxy[i]],
                "score": round(float(self.confidence[i]), 4),
                "class_id": int(self.class_id[i]),
            }
            if self.tracker_id is not None:
                row["track_id"] = int(self.tracker_id[i])
            if self.keypoints is not None:
                row["keypoints"] = [
                    [round(float(x), 1), round(float(y), 1), round(float(v), 3)] for x, y, v in self.keypoints[i]
                ]
            rows.append(row)
        return rows
