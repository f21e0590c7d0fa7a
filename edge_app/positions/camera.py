"""The camera model: where the pitch's camera is, and how tall a person appears at every point of its view.

**How tall a person is, everywhere in the image** (`CalibratedScale`): the calibration is an
image ↔ pitch homography G (pitch → image) = K [r1 r2 t] up to scale. With square pixels and
the principal point at the image centre, K has one unknown, the focal length f, and the two
constraints r1 ⟂ r2, |r1| = |r2| give it in closed form (Zhang 2000, one view); then
r3 = r1 × r2 and a 1.8 m person standing on a ground point is projected head and feet.
Where the view gives no focal length (a camera looking straight down, or a fit that breaks
the constraints), the fallback is the ground scale across the image (pixels per metre
along the image's x at that point) times 1.8 m: exact for a person facing a camera at eye
level, a few % tall for an elevated one.

The zoom plans its tiles from it (vision/tiles.py), and the positions stage hangs a player whose feet
are hidden under their head with it (positions/ground.py).
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger(__name__)

PERSON_M = 1.8  # the one stature the box assumes (zoom, hidden feet, stitching); a u13 player is ~1.5 m


def camera_from_homography(G: np.ndarray, size: tuple[int, int], on_ground: tuple[float, float] | None = None):
    """(K, R, t) of a pinhole camera with square pixels and a centred principal point whose
    ground-plane homography (pitch → image) is G, or None where the view does not fix f.

    `on_ground`: an image point known to show the pitch (default: the bottom centre), which
    fixes the sign: that point is in front of the camera."""
    w, h = size
    A = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1.0]]) @ np.asarray(G, float)
    a1, a2 = A[:, 0], A[:, 1]
    candidates = []
    den = a1[2] * a2[2]
    if abs(den) > 1e-12:
        candidates.append(-(a1[0] * a2[0] + a1[1] * a2[1]) / den)  # r1 ⟂ r2
    den = a2[2] ** 2 - a1[2] ** 2
    if abs(den) > 1e-12:
        candidates.append((a1[0] ** 2 + a1[1] ** 2 - a2[0] ** 2 - a2[1] ** 2) / den)  # |r1| = |r2|
    f2 = [c for c in candidates if np.isfinite(c) and c > 0]
    if not f2:
        return None
    f = math.sqrt(f2[0])  # orthogonality is the better-conditioned constraint for oblique views
    if not 0.1 * w <= f <= 50 * w:
        return None
    K = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1.0]])
    Ki = np.linalg.inv(K)
    b1, b2, b3 = Ki @ G[:, 0], Ki @ G[:, 1], Ki @ G[:, 2]
    lam = 2.0 / (np.linalg.norm(b1) + np.linalg.norm(b2))
    ref = np.linalg.solve(G, [*(on_ground or (w / 2, h - 1)), 1.0])
    if lam * (G @ (ref / ref[2]))[2] < 0:
        lam = -lam  # its depth, λ·w, must be positive
    r1, r2, t = lam * b1, lam * b2, lam * b3
    r3 = np.cross(r1, r2)
    # Up is whichever of ±r3 puts the camera above the pitch (its centre is -Rᵀt; a mirrored
    # pitch frame, y to the camera's left, flips r1 × r2).
    if -(r3 @ t) < 0:
        r3 = -r3
    return K, np.c_[r1, r2, r3], t


class CalibratedScale:
    """Person height (px) at image points, from a pitch calibration (see the module docstring)."""

    def __init__(self, calibration, frame_size: tuple[int, int], margin_m: float = 3.0):
        self.calibration = calibration
        self.size = frame_size
        self.margin_m = margin_m
        pts = calibration.image_points
        self.camera = camera_from_homography(calibration.H_inv, frame_size, tuple(pts[0]) if len(pts) else None)
        if self.camera is None:
            log.info("camera: the calibration gives no focal length; person sizes from the ground scale")

    def height_px(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, float).reshape(-1, 2)
        ground = self.calibration.project(pts)
        if self.camera is not None:
            K, R, t = self.camera
            head = np.c_[ground, np.full(len(ground), PERSON_M)]
            cam = head @ R.T + t
            with np.errstate(invalid="ignore", divide="ignore"):
                v_head = (cam @ K.T)[:, 1] / cam[:, 2]
            h = pts[:, 1] - v_head
            h[~np.isfinite(ground[:, 0]) | (cam[:, 2] <= 0)] = np.nan
            return h
        dx = 4.0
        left = self.calibration.project(pts - [dx, 0])
        right = self.calibration.project(pts + [dx, 0])
        metres = np.hypot(*(right - left).T)
        with np.errstate(invalid="ignore", divide="ignore"):
            return PERSON_M * 2 * dx / metres

    def on_pitch(self, points: np.ndarray) -> np.ndarray:
        """Image points whose ground point is on the pitch, within the margin."""
        g = self.calibration.project(np.asarray(points, float).reshape(-1, 2))
        tpl, m = self.calibration.template, self.margin_m
        with np.errstate(invalid="ignore"):
            return (g[:, 0] >= -m) & (g[:, 0] <= tpl.length + m) & (g[:, 1] >= -m) & (g[:, 1] <= tpl.width + m)
