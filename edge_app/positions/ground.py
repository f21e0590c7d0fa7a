"""Where a detected player stands: the box's bottom centre, or under the head where the feet are hidden.

Hidden feet (`feet_hidden`, `track_ground_points`): the detector boxes what it sees, so a player
whose legs are behind a nearer player (or below the frame) gets a box that ends at the hip, and
its bottom centre lands metres behind them on the pitch. On the accuracy harness's tripod (4 m, a
7v7 corner), 69% of the positions of players less than 90% visible were over 1 m off (median
3.15 m). Where another person's box, ending lower in the image (nearer the camera), covers the
lower part of a box, the feet are placed under the head instead: the camera ray through the
top of the box meets the plane at the player's own stature (learnt from the track's own boxes
in the frames where its feet are seen), and the point under it on the pitch is the ground
point. Numbers in benchmarks/README.md ("The tripod").

The ankles:

The issue asked for the ankles (COCO 15, 16) where the pose model is confident, the box's
bottom centre elsewhere. `ground_points` does that: x the mean of the confident ankles, y the
lower ankle plus the ankle's height above the sole. That height is measured, not taken from
anthropometry: on the accuracy harness's real people (walk cycles cut from vtest.avi),
yolo11n-pose puts the ankles 0.093-0.098 of the box height above its bottom (median over
692 matched boxes of the mast clip), where Winter's table (ankle joint 0.039 of stature)
left the point 0.055 h too high.

Measured against the harness's truth (benchmarks/out/accuracy, mast and tripod7, people at
least 90% visible), median / 90th percentile of the position error on the pitch:

| people | box bottom centre | ankles + 0.039 h | ankles + 0.095 h | ankle x, box y |
|---|---|---|---|---|
| mast, < 60 px | **0.13 / 0.40 m** | 0.63 / 0.98 | 0.19 / 0.46 | 0.17 / 0.40 |
| mast, 60-100 px | **0.06 / 0.18** | 0.31 / 0.61 | 0.11 / 0.23 | 0.10 / 0.19 |
| tripod7, < 60 px | 0.29 / 0.72 | 1.14 / 1.79 | **0.27 / 0.70** | 0.29 / 0.71 |
| tripod7, 60-100 px | **0.11 / 0.26** | 0.75 / 1.03 | 0.14 / 0.30 | 0.11 / 0.26 |

The box wins or ties, so the ground point stays the box's bottom centre (`box_ground_points`). (The
harness draws each person with their truth point at the sprite's bottom, which favours the
box; on real video with shadows and loose boxes the ankles may do better: this function is
the one to switch to when real annotated footage says so.)
"""

from __future__ import annotations

import numpy as np

from edge_app.positions.camera import PERSON_M

LEFT_ANKLE, RIGHT_ANKLE = 15, 16  # COCO keypoint order
COVER_WIDTH = 0.3  # a nearer box hides the feet when it overlaps this much of the box's width
NEARER = 0.05  # ... and ends this much lower in the image (× the box's height): not a neighbour at the same depth
MIN_SEEN = 10  # frames with the feet in view a track needs before its stature is trusted
SHORT = 0.1  # use the head only when the stature says the box ends this much (× its height) above the feet
ANKLE_MIN_CONF = 0.5  # the pose head's visibility score
ANKLE_HEIGHT = 0.095  # the model's ankle above the box's bottom, × box height (measured, see above)


def box_ground_points(xyxy: np.ndarray) -> np.ndarray:
    """(N, 2) the box's bottom centre: the one rule for where a detected player stands (measured
    against the ankles above); every stage that needs a ground point asks here."""
    b = np.asarray(xyxy).reshape(-1, 4)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 3]], axis=1)


def pitch_points(xyxy: np.ndarray, calibration) -> np.ndarray:
    """(N, 2) pitch metres of boxes seen live: the box's bottom centre projected (NaN above the horizon).
    Hidden feet need a track's own stature, learnt over its frames: the summary has them, the live
    speeds do not wait for them."""
    return np.asarray(calibration.project(box_ground_points(xyxy)), float)


def ground_points(
    xyxy: np.ndarray, keypoints: np.ndarray | None = None, min_conf: float = ANKLE_MIN_CONF
) -> np.ndarray:
    """(N, 2) image points where each player stands: from the ankles where confident, else the box."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    out = box_ground_points(xyxy)
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


def feet_hidden(xyxy: np.ndarray, frame_height: float) -> np.ndarray:
    """(N,) for one frame's person boxes: the box's bottom is not where the feet are, because a
    nearer person's box covers its lower part or the frame's bottom edge cuts it."""
    b = np.asarray(xyxy, float).reshape(-1, 4)
    x1, y1, x2, y2 = b.T
    hidden = y2 >= frame_height - 2
    if len(b) < 2:
        return hidden
    h = np.maximum(y2 - y1, 1.0)
    overlap = np.clip(np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]), 0, None)
    covers = (
        (y2[None] > y2[:, None] + NEARER * h[:, None])  # j ends lower: nearer the camera
        & (y1[None] < y2[:, None])  # and starts above i's bottom
        & (overlap >= COVER_WIDTH * np.maximum(x2 - x1, 1.0)[:, None])
    )
    return hidden | covers.any(axis=1)


def feet_under_heads(heads: np.ndarray, stature_m: float, camera) -> np.ndarray:
    """(N, 2) image points of the feet of people `stature_m` tall whose heads are at `heads`:
    the camera ray through each head meets the plane z = stature above the pitch point wanted.
    `camera` is (K, R, t) in pitch metres, z up (`positions.camera.camera_from_homography`)."""
    K, R, t = camera
    centre = -R.T @ t
    rays = np.c_[np.asarray(heads, float).reshape(-1, 2), np.ones(len(heads))] @ np.linalg.inv(K).T @ R
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (stature_m - centre[2]) / rays[:, 2]
        ground = centre + s[:, None] * rays
        ground[:, 2] = 0.0
        uvw = (ground @ R.T + t) @ K.T
        feet = uvw[:, :2] / uvw[:, 2:3]
    feet[~(s > 0) | ~(uvw[:, 2] > 0)] = np.nan  # a head above the horizon: no ground under it
    return feet


def track_ground_points(xyxy: np.ndarray, hidden: np.ndarray, scale=None) -> np.ndarray:
    """(N, 2) image points where one track's player stands, frame by frame: the box's bottom
    centre, or, where `hidden` and the box is shorter than the player, the feet under the head.

    `scale`: `positions.camera.CalibratedScale` of the view (its camera and the 1.8 m person's height in px);
    without one, or without a camera, the box's bottom centre everywhere."""
    b = np.asarray(xyxy, float).reshape(-1, 4)
    out = box_ground_points(b)
    hidden = np.asarray(hidden, bool)
    camera = getattr(scale, "camera", None)
    if camera is None or not hidden.any():
        return out
    height = b[:, 3] - b[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = height / scale.height_px(out)
    head_seen = b[:, 1] > 2  # a box cut by the frame's top has no head to hang the feet from
    seen = ~hidden & head_seen & np.isfinite(ratio) & (ratio > 0)
    if seen.sum() < MIN_SEEN:
        return out
    stature = PERSON_M * float(np.median(ratio[seen]))
    todo = np.flatnonzero(hidden & head_seen)
    feet = feet_under_heads(np.c_[out[todo, 0], b[todo, 1]], stature, camera)
    longer = np.isfinite(feet).all(axis=1) & (feet[:, 1] > b[todo, 3] + SHORT * height[todo])
    out[todo[longer]] = feet[longer]
    return out
