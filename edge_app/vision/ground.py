"""Where a detected player stands: the image point that is projected onto the pitch.

The box's bottom centre is off on small players (a stride or an arm widens the box, a
lifted foot or a loose box bottom moves it): 0.1-0.3 m on the pitch. The ankles of a pose
model are sharper: where both (or one) are confident, the ground point is under them,
x the mean of the confident ankles, y the lowest ankle plus the ankle's height above the
sole (0.039 of the stature: Winter, "Biomechanics and Motor Control of Human Movement",
anthropometric table; the box height stands in for the stature). Elsewhere, and for detect
models, the box's bottom centre.
"""

from __future__ import annotations

import numpy as np

LEFT_ANKLE, RIGHT_ANKLE = 15, 16  # COCO keypoint order
ANKLE_MIN_CONF = 0.5  # the pose head's visibility score
ANKLE_HEIGHT = 0.039  # ankle joint above the sole, as a fraction of stature (Winter 2009)


def ground_points(xyxy: np.ndarray, keypoints: np.ndarray | None = None, min_conf: float = ANKLE_MIN_CONF) -> np.ndarray:
    """(N, 2) image points where each player stands: from the ankles where confident, else the box."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    out = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]], axis=1)
    if keypoints is None or len(xyxy) == 0 or keypoints.shape[1] <= RIGHT_ANKLE:
        return out
    ankles = keypoints[:, [LEFT_ANKLE, RIGHT_ANKLE], :]
    ok = ankles[:, :, 2] >= min_conf
    any_ok = ok.any(axis=1)
    if not any_ok.any():
        return out
    n_ok = np.maximum(ok.sum(axis=1), 1)
    x = np.where(ok, ankles[:, :, 0], 0).sum(axis=1) / n_ok
    y = np.where(ok, ankles[:, :, 1], -np.inf).max(axis=1)
    height = xyxy[:, 3] - xyxy[:, 1]
    y = y + ANKLE_HEIGHT * height
    out[any_ok, 0] = x[any_ok]
    out[any_ok, 1] = y[any_ok]
    return out
