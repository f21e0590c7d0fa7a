"""Appearance (issue #3): torso colour histograms of the people in a frame and their distance.

Written by the pipeline every few frames (`appearance_samples`); read by the stitching and the
session-wide assignment as a fragment's mean histogram (`mean_histogram`).
"""

from __future__ import annotations

from typing import Iterable

import cv2
import numpy as np

# Histogram layout: chromatic pixels (saturation and value high enough for the hue to mean
# something) fall into hue x saturation bins; the others (black, grey, white kits) into value bins.
HUE_BINS, SAT_BINS, GREY_BINS = 16, 4, 4
HIST_SIZE = HUE_BINS * SAT_BINS + GREY_BINS
MIN_SAT, MIN_VAL = 48, 40  # OpenCV HSV: S and V in 0..255, H in 0..179

TORSO_BAND = (0.20, 0.55)  # of the box height, from the top
TORSO_WIDTH = 0.60  # central fraction of the box width
# Shorts, socks and legs: in bibs the torso says only the team (teammates 0.18 apart, as one person's
# own samples), the legs tell teammates apart (one person 0.31, teammates 0.56, median per sample on
# the 10-minute two-kit session render: benchmarks/README.md "Who is who over a session").
LEGS_BAND = (0.60, 0.95)
SAMPLE_SIZE = 2 * HIST_SIZE  # a stored sample with legs: the torso's histogram, then the legs'


def torso_box(box_xyxy, frame_shape, band: tuple[float, float] = TORSO_BAND) -> tuple[int, int, int, int] | None:
    """The torso region (x1, y1, x2, y2, ints, clipped to the frame) of a person box, or None; `band`:
    another height band of the box's central width (LEGS_BAND: the legs)."""
    x1, y1, x2, y2 = (float(v) for v in box_xyxy[:4])
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0:
        return None
    cx = (x1 + x2) / 2
    tx1, tx2 = int(round(cx - w * TORSO_WIDTH / 2)), int(round(cx + w * TORSO_WIDTH / 2))
    ty1, ty2 = int(round(y1 + h * band[0])), int(round(y1 + h * band[1]))
    H, W = frame_shape[:2]
    tx1, ty1 = max(tx1, 0), max(ty1, 0)
    tx2, ty2 = min(tx2, W), min(ty2, H)
    if tx2 - tx1 < 2 or ty2 - ty1 < 2:
        return None
    return tx1, ty1, tx2, ty2


def torso_histogram(frame_bgr: np.ndarray, box_xyxy) -> np.ndarray | None:
    """The colour histogram (float32, (HIST_SIZE,), sums to 1) of a person box's torso.

    The torso is the box's 20-55 % height band, central 60 % width; it is read as a view
    of the frame (no copy of the frame), converted to HSV, and binned: hue x saturation for
    coloured pixels, value for the grey ones (black, grey and white kits have no hue).
    None when the torso is under 2x2 pixels or outside the frame. ~0.05 ms for a 100 px player.
    """
    roi = torso_box(box_xyxy, frame_bgr.shape)
    if roi is None:
        return None
    x1, y1, x2, y2 = roi
    return colour_histogram(frame_bgr[y1:y2, x1:x2])  # a view in, a small array out


def colour_histogram(bgr: np.ndarray) -> np.ndarray:
    """The histogram (float32, (HIST_SIZE,), sums to 1) of a BGR patch's pixels (torso_histogram's bins)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    chroma = (s >= MIN_SAT) & (v >= MIN_VAL)
    idx = np.where(
        chroma,
        (h.astype(np.int32) * HUE_BINS // 180) * SAT_BINS
        + (s.astype(np.int32) - MIN_SAT) * SAT_BINS // (256 - MIN_SAT),
        HUE_BINS * SAT_BINS + v.astype(np.int32) * GREY_BINS // 256,
    )
    hist = np.bincount(idx.ravel(), minlength=HIST_SIZE).astype(np.float32)
    return hist / hist.sum()


def histogram_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance (0 = same colours, 1 = nothing in common); 1.0 if either is missing."""
    if a is None or b is None:
        return 1.0
    a32, b32 = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a32.shape != b32.shape or a32.sum() <= 0 or b32.sum() <= 0:
        return 1.0
    return float(cv2.compareHist(a32, b32, cv2.HISTCMP_BHATTACHARYYA))


def mean_histogram(hists: Iterable[np.ndarray]) -> np.ndarray | None:
    """The mean of L1-normalised histograms, renormalised; None if there are none."""
    arr = [np.asarray(h, np.float32) for h in hists if h is not None]
    if not arr:
        return None
    m = np.mean(np.stack(arr), axis=0).astype(np.float32)
    s = float(m.sum())
    return m / s if s > 0 else None


def _clear_histograms(
    frame_bgr: np.ndarray,
    boxes,
    *,
    min_height: float,
    max_overlap: float,
    class_id: int,
    band: tuple[float, float] = TORSO_BAND,
) -> list[np.ndarray | None]:
    """Per detection the histogram of its `band` (the torso), or None: not a person, under `min_height`
    px, or that band overlapping another box by more than `max_overlap` of its area (an occluded torso
    would mix two players' colours)."""
    n = len(boxes)
    xyxy = np.asarray(boxes.xyxy, np.float32)
    out: list[np.ndarray | None] = [None] * n
    for i in range(n):
        if boxes.class_id[i] != class_id or xyxy[i, 3] - xyxy[i, 1] < min_height:
            continue
        roi = torso_box(xyxy[i], frame_bgr.shape, band)
        if roi is None:
            continue
        if n > 1:
            others = np.delete(xyxy, i, axis=0)
            ix = np.clip(np.minimum(others[:, 2], roi[2]) - np.maximum(others[:, 0], roi[0]), 0, None)
            iy = np.clip(np.minimum(others[:, 3], roi[3]) - np.maximum(others[:, 1], roi[1]), 0, None)
            if (ix * iy).max() > max_overlap * (roi[2] - roi[0]) * (roi[3] - roi[1]):
                continue
        x1, y1, x2, y2 = roi
        out[i] = colour_histogram(frame_bgr[y1:y2, x1:x2])
    return out


def appearance_samples(
    frame_bgr: np.ndarray,
    tracked,
    *,
    min_height: float = 24.0,
    max_overlap: float = 0.3,
    class_id: int = 0,
    legs: bool = False,
) -> dict[int, np.ndarray]:
    """Torso histograms of the tracked people in a frame, for `SessionStore.add_frame(..., appearance=)`.

    Skips boxes under `min_height` px and boxes whose torso overlaps another box by more than
    `max_overlap` of its area (an occluded torso would mix two players' colours). `legs`: where the
    legs are clear too, the sample is the torso's histogram followed by the legs' (`SAMPLE_SIZE`;
    `split_sample` takes it apart).
    """
    if not len(tracked) or tracked.tracker_id is None:
        return {}
    kw = dict(min_height=min_height, max_overlap=max_overlap, class_id=class_id)
    torsos = _clear_histograms(frame_bgr, tracked, **kw)
    lower = _clear_histograms(frame_bgr, tracked, band=LEGS_BAND, **kw) if legs else [None] * len(torsos)
    return {
        int(t): h if g is None else np.concatenate([h, g])
        for t, h, g in zip(tracked.tracker_id.tolist(), torsos, lower)
        if h is not None
    }


def split_sample(h: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A stored sample as (torso histogram, legs histogram or None)."""
    if len(h) == SAMPLE_SIZE:
        return h[:HIST_SIZE], h[HIST_SIZE:]
    return h, None


def torso_colours(
    frame_bgr: np.ndarray, detections, *, min_height: float = 24.0, max_overlap: float = 0.3, legs: bool = False
):
    """(len(detections), HIST_SIZE) float32: each detection's clear torso histogram (as
    `appearance_samples`), a row of nan where there is none: the tracker's colour gate. `legs`: the legs'
    histogram after it ((len, SAMPLE_SIZE), nan where they are not clear)."""
    bands = (TORSO_BAND, LEGS_BAND) if legs else (TORSO_BAND,)
    out = np.full((len(detections), HIST_SIZE * len(bands)), np.nan, np.float32)
    for j, band in enumerate(bands):
        hists = _clear_histograms(
            frame_bgr, detections, min_height=min_height, max_overlap=max_overlap, class_id=0, band=band
        )
        for i, h in enumerate(hists):
            if h is not None:
                out[i, j * HIST_SIZE : (j + 1) * HIST_SIZE] = h
    return out
