"""How tall a person is, everywhere in the image, learnt from the detections themselves.

Without a calibration (which gives it by `positions.camera.CalibratedScale`), a person's pixel
height is fitted as linear in the image row of their feet, as it is for a level camera over flat
ground: h = a·(v − v0). The zoom (zoom.py) plans its tiles (tiles.py) from either scale.
"""

from __future__ import annotations

import numpy as np

from edge_app.vision.detections import Detections


class ObservedScale:
    """Person height fitted from confident detections: h = a·v + b over the feet row v."""

    MIN_SAMPLES = 8

    def __init__(self, frame_size: tuple[int, int], min_person_px: float):
        self.size = frame_size
        self.min_person_px = min_person_px
        self.rows: list[np.ndarray] = []
        self.fit: tuple[float, float] | None = None

    def observe(self, dets: Detections, min_conf: float = 0.5) -> None:
        w, h = self.size
        b = dets.xyxy[(dets.confidence >= min_conf) & (dets.class_id == 0)]
        inside = (b[:, 1] > 2) & (b[:, 3] < h - 2)  # cut by the frame: not its full height
        if inside.any():
            self.rows.append(np.c_[b[inside, 3], b[inside, 3] - b[inside, 1]])
            self.rows = self.rows[-200:]

    def refit(self) -> bool:
        """Fit the line when the samples span enough of the frame; True when it changed."""
        if not self.rows:
            return False
        s = np.concatenate(self.rows)
        if len(s) < self.MIN_SAMPLES or np.ptp(s[:, 0]) < 0.1 * self.size[1]:
            return False
        a, b = np.polyfit(s[:, 0], s[:, 1], 1)
        resid = np.abs(s[:, 1] - (a * s[:, 0] + b))
        keep = resid <= 2.5 * max(np.median(resid), 1.0)  # sitting, crouched or merged boxes
        a, b = np.polyfit(s[keep, 0], s[keep, 1], 1)
        if a <= 0:
            return False  # farther people must be higher in the frame and smaller
        self.fit = (float(a), float(b))
        return True

    def height_px(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, float).reshape(-1, 2)
        a, b = self.fit
        h = a * pts[:, 1] + b
        return np.where(h > 0, h, np.nan)

    def on_pitch(self, points: np.ndarray) -> np.ndarray:
        return self.height_px(points) >= self.min_person_px
