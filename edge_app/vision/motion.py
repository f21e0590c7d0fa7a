"""Where the picture moved since the last processed frame: the live crops look there too.

The camera stands still, so what changed between two processed frames (0.1-0.5 s apart live)
is people moving (and a ball, shadows, a flag). A player nobody follows yet who moves (coming
on, lost, or where the first scan of the pitch has not been yet) shows up here a frame later,
not when the sweep's turn comes round to them (20 tiles on the harness's mast: 4-20 s); one who
stands still is found by the sweep, as before. Frame differencing on a small grey copy (~2 ms a
1080p frame here), not a background model: live frames come irregularly and the box must not
learn a standing player into the background.
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH = 480  # px of the grey copy: a 40 px player at 1080p is ~10 px tall in it
THRESHOLD = 20  # grey levels: above the harness's sensor noise and compression after the blur


class MotionMap:
    """`update(image)` each processed frame; `blobs()`: boxes round what moved since the one before."""

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
        self.moving = None
        if self._prev is not None and self._prev.shape == grey.shape:
            self.moving = cv2.absdiff(grey, self._prev) > self.threshold
        self._prev = grey

    def blobs(self, covered: np.ndarray | None = None, min_px: int = 12) -> np.ndarray:
        """(N, 4) frame-px boxes round the places that moved outside `covered` (x1, y1, x2, y2 boxes:
        the crops, players already followed), `min_px` small-copy px each at least (dilated: a
        moved dot is 25); parts closer than ~4 px are one place (a walker's legs and arms)."""
        if self.moving is None:
            return np.zeros((0, 4))
        m = self.moving.astype(np.uint8)
        s = self.scale
        for x1, y1, x2, y2 in covered if covered is not None else ():
            m[
                max(0, int(y1 * s)) : max(0, int(np.ceil(y2 * s))), max(0, int(x1 * s)) : max(0, int(np.ceil(x2 * s)))
            ] = 0
        _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(m, np.ones((5, 5), np.uint8)), connectivity=8)
        big = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= min_px + 24]  # the dilation adds ~24 px round a dot
        x, y, w, h = (big[:, i].astype(np.float64) for i in range(4))
        return np.stack([x, y, x + w, y + h], axis=1) / s
