"""Where the picture moved since the last processed frame: the live sweep looks there first.

The camera stands still, so what changed between two processed frames (0.1-0.5 s apart live)
is people moving (and a ball, shadows, a flag). A player nobody follows yet who moves shows
up here before the sweep's turn comes round to them (20 tiles on the harness's mast: 4-20 s);
one who stands still is found by the sweep in turn, as before. Frame differencing on a small
grey copy (~2 ms a 1080p frame here), not a background model: live frames come irregularly
and the box must not learn a standing player into the background.
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH = 480  # px of the grey copy: a 40 px player at 1080p is ~10 px tall in it
THRESHOLD = 20  # grey levels: above the harness's sensor noise and compression after the blur


class MotionMap:
    """`update(image)` → per rectangle, the moving pixels (of the small copy) inside it."""

    def __init__(self, width: int = WIDTH, threshold: int = THRESHOLD):
        self.width = width
        self.threshold = threshold
        self._prev: np.ndarray | None = None
        self.moving: np.ndarray | None = None  # bool mask of the small copy, None before two frames
        self.scale = 1.0  # small-copy px per frame px

    def update(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        self.scale = min(1.0, self.width / w)
        small = cv2.resize(image, (round(w * self.scale), round(h * self.scale)), interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        if self._prev is not None and self._prev.shape == grey.shape:
            self.moving = cv2.absdiff(grey, self._prev) > self.threshold
        self._prev = grey

    def counts(self, rects: np.ndarray, covered: np.ndarray | None = None) -> np.ndarray:
        """Moving pixels inside each of `rects` (x1, y1, x2, y2 frame px), leaving out those inside
        any of `covered` (the crops: players already followed)."""
        if self.moving is None or not len(rects):
            return np.zeros(len(rects))
        m = self.moving.copy()
        s = self.scale
        for x1, y1, x2, y2 in (covered if covered is not None else ()):
            m[max(0, int(y1 * s)):max(0, int(np.ceil(y2 * s))), max(0, int(x1 * s)):max(0, int(np.ceil(x2 * s)))] = False
        total = cv2.integral(m.astype(np.uint8))
        hh, ww = m.shape
        r = np.clip(np.round(np.asarray(rects, np.float64) * s).astype(int), 0, [ww, hh, ww, hh])
        return (total[r[:, 3], r[:, 2]] - total[r[:, 1], r[:, 2]] - total[r[:, 3], r[:, 0]] + total[r[:, 1], r[:, 0]]).astype(float)
