"""ByteTrack's matching of tracks to detections: box overlap and linear assignment, as supervision's
`matching` module computes them (same clipped costs, so the Hungarian solver breaks ties alike)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

_ONE_EPS = 1e-4  # supervision clips costs above a threshold to threshold + 1e-4
_TINY = 1e-12  # added to IoU unions: 0/0 -> 0 without a warning; a no-op for any real box


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU (len(a), len(b)) of xyxy boxes (float64); 0 where the union is empty or not
    a number (a degenerate box), as supervision's box_iou_batch."""
    wh = np.minimum(a[:, None, 2:], b[:, 2:])
    wh -= np.maximum(a[:, None, :2], b[:, :2])
    np.maximum(wh, 0, out=wh)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    out = inter / ((area_a[:, None] + area_b - inter) + _TINY)
    return np.fmax(out, 0.0, out=out)


def buffered(tlbr: np.ndarray, b: float) -> np.ndarray:
    """Boxes grown by b × their width and height on every side (C-BIoU, Yang et al. 2023)."""
    wh = tlbr[:, 2:] - tlbr[:, :2]
    return np.concatenate([tlbr[:, :2] - b * wh, tlbr[:, 2:] + b * wh], axis=1)


def colour_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise Bhattacharyya distance (len(a), len(b)) of L1-normalised histograms (OpenCV's
    HISTCMP_BHATTACHARYYA for them: sqrt(1 - sum sqrt(a b))); nan where a row is nan (unknown)."""
    bc = np.sqrt(np.maximum(a, 0)) @ np.sqrt(np.maximum(b, 0)).T
    return np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))


def fused_cost(overlap: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1 - IoU × the detection's score (supervision's fuse_score), with its rounding: it fuses the
    similarity 1 - (1 - IoU) of its IoU cost matrix."""
    sim = 1.0 - (1.0 - overlap)
    return 1.0 - sim * score


def assign(cost: np.ndarray, thresh: float) -> tuple[np.ndarray, np.ndarray]:
    """supervision's linear_assignment: Hungarian on costs clipped to thresh + 1e-4, keep <= thresh.
    `cost` is clipped in place.

    Returns (rows, cols) of the matches, sorted by row. When the acceptable pairs already form
    a one-to-one matching, the Hungarian optimum is exactly that set (any other assignment
    gives up a strictly positive saving), so it is returned without calling the solver.
    """
    ok = cost <= thresh
    if ok.sum(0).max() <= 1 and ok.sum(1).max() <= 1:
        return np.nonzero(ok)
    cost[~ok] = thresh + _ONE_EPS
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] <= thresh
    return rows[keep], cols[keep]


def unmatched(n: int, matched: np.ndarray) -> np.ndarray:
    """The indices in range(n) not in `matched`, in order."""
    mask = np.ones(n, bool)
    mask[matched] = False
    return mask.nonzero()[0]
