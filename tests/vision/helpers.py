"""Helpers shared by the vision tests."""

import numpy as np


def iou(a, b):
    """IoU of two xyxy boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def recall(dets, truth, iou=0.5):
    """Share of `truth` boxes a detection overlaps with IoU >= `iou`."""
    found = 0
    for t in truth:
        ix = np.clip(np.minimum(t[2], dets.xyxy[:, 2]) - np.maximum(t[0], dets.xyxy[:, 0]), 0, None)
        iy = np.clip(np.minimum(t[3], dets.xyxy[:, 3]) - np.maximum(t[1], dets.xyxy[:, 1]), 0, None)
        inter = ix * iy
        union = (
            (t[2] - t[0]) * (t[3] - t[1])
            + (dets.xyxy[:, 2] - dets.xyxy[:, 0]) * (dets.xyxy[:, 3] - dets.xyxy[:, 1])
            - inter
        )
        found += bool(len(dets)) and (inter / union).max() >= iou
    return found / len(truth)
