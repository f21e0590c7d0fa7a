"""Pitch calibration: a homography from the camera image to the pitch, in metres.

Coordinates on the pitch: metres, origin at one corner, x along the length (goal line to
goal line), y along the width (touchline to touchline). ``y = 0`` is the "bottom"
touchline, ``x = 0`` the "left" goal line, as seen on a plan of the pitch.

A calibration is fitted from at least four image ↔ pitch point pairs (pixels ↔ metres);
pitch points may be given as landmark names of a template ("corner_bottom_left",
"centre_spot", "left_box_edge_top", …). The homography maps the image to the pitch and
is found with RANSAC; its error is reported in metres on the pitch (RMS over the inliers)
and a calibration that is degenerate or too inaccurate is refused with a one-line
:class:`AxolotlError`.

This module imports only numpy and OpenCV (no matplotlib: charts live in ``charts.py``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.timeutil import utc_now_iso

SCHEMA = "axolotl.calibration/1"


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PitchTemplate:
    """A rectangle of ``length`` × ``width`` metres with named landmarks (x, y) in metres."""

    name: str
    length: float
    width: float
    landmarks: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def point(self, name: str) -> tuple[float, float]:
        try:
            return self.landmarks[name]
        except KeyError:
            close = [n for n in self.landmarks if name.split("_")[0] in n][:6]
            hint = f" (did you mean one of: {', '.join(close)})" if close else ""
            raise AxolotlError(
                f"unknown landmark {name!r} on the {self.name} template{hint}: "
                f"use one of {len(self.landmarks)} names listed by get_template({self.name!r}).landmarks"
            ) from None

    def to_dict(self) -> dict:
        return {"name": self.name, "length": self.length, "width": self.width}

    def lines(self, circle_points: int = 48) -> list[np.ndarray]:
        """The markings as polylines in metres (N×2 each): boundary, halfway line, centre circle, boxes.

        Drawn through a calibration (`Calibration.to_image`) they show the coach whether the fit is right.
        """
        lm, L, W = self.landmarks, self.length, self.width
        out = [np.array([(0, 0), (L, 0), (L, W), (0, W), (0, 0)], float), np.array([(L / 2, 0), (L / 2, W)], float)]
        if "centre_circle_top" in lm:
            r = lm["centre_circle_top"][1] - W / 2
            a = np.linspace(0, 2 * np.pi, circle_points + 1)
            out.append(np.c_[L / 2 + r * np.cos(a), W / 2 + r * np.sin(a)])
        for side in ("left", "right"):
            for tag in ("box", "goal_area"):
                keys = [f"{side}_{tag}_{k}" for k in ("goal_bottom", "edge_bottom", "edge_top", "goal_top")]
                if all(k in lm for k in keys):
                    out.append(np.array([lm[k] for k in keys], float))
        return out


def _landmarks(
    length: float,
    width: float,
    *,
    circle_r: float,
    box_depth: float,
    box_width: float,
    spot: float,
    goal_depth: float | None = None,
    goal_width: float | None = None,
) -> dict[str, tuple[float, float]]:
    L, W = float(length), float(width)
    cy = W / 2
    lm: dict[str, tuple[float, float]] = {
        "corner_bottom_left": (0.0, 0.0),
        "corner_top_left": (0.0, W),
        "corner_bottom_right": (L, 0.0),
        "corner_top_right": (L, W),
        "halfway_bottom": (L / 2, 0.0),
        "halfway_top": (L / 2, W),
        "centre_spot": (L / 2, cy),
        "centre_circle_top": (L / 2, cy + circle_r),
        "centre_circle_bottom": (L / 2, cy - circle_r),
        "centre_circle_left": (L / 2 - circle_r, cy),
        "centre_circle_right": (L / 2 + circle_r, cy),
        "left_penalty_spot": (spot, cy),
        "right_penalty_spot": (L - spot, cy),
    }
    boxes = [("box", box_depth, box_width)]
    if goal_depth and goal_width:
        boxes.append(("goal_area", goal_depth, goal_width))
    for tag, depth, wid in boxes:
        lo, hi = cy - wid / 2, cy + wid / 2
        lm[f"left_{tag}_goal_bottom"] = (0.0, lo)  # where the box meets the goal line
        lm[f"left_{tag}_goal_top"] = (0.0, hi)
        lm[f"left_{tag}_edge_bottom"] = (depth, lo)  # the box's corners in the field
        lm[f"left_{tag}_edge_top"] = (depth, hi)
        lm[f"right_{tag}_goal_bottom"] = (L, lo)
        lm[f"right_{tag}_goal_top"] = (L, hi)
        lm[f"right_{tag}_edge_bottom"] = (L - depth, lo)
        lm[f"right_{tag}_edge_top"] = (L - depth, hi)
    return lm


YARD = 0.9144

# Full size: IFAB Laws of the Game, Law 1 (105 × 68 m is the FIFA/UEFA recommended size):
# centre circle radius 9.15 m, penalty area 16.5 m deep and 40.32 m wide (16.5 m either side
# of the 7.32 m goal), penalty mark 11 m, goal area 5.5 m deep and 18.32 m wide.
FULL = PitchTemplate(
    "full",
    105.0,
    68.0,
    _landmarks(
        105.0, 68.0, circle_r=9.15, box_depth=16.5, box_width=40.32, spot=11.0, goal_depth=5.5, goal_width=18.32
    ),
)

# 9v9 (U11–U12): The FA, "Guide to Pitch and Goalpost Dimensions" (2012, youth
# development review): recommended 80 × 50 yd (given by the FA as 73 × 46 m); penalty
# area 13 yd deep × 32 yd wide, penalty mark 9 yd, centre circle radius 7 yd. These are
# the FA's documented youth sizes, not the full-size ones scaled.
NINE = PitchTemplate(
    "9v9",
    73.0,
    46.0,
    _landmarks(73.0, 46.0, circle_r=7 * YARD, box_depth=13 * YARD, box_width=32 * YARD, spot=9 * YARD),
)

# 7v7 (U9–U10): same FA guide: recommended 60 × 40 yd (55 × 37 m); penalty area 10 yd deep
# × 18 yd wide, penalty mark 8 yd, centre circle radius 6 yd (optional at this size).
SEVEN = PitchTemplate(
    "7v7",
    55.0,
    37.0,
    _landmarks(55.0, 37.0, circle_r=6 * YARD, box_depth=10 * YARD, box_width=18 * YARD, spot=8 * YARD),
)

TEMPLATES = {"full": FULL, "9v9": NINE, "7v7": SEVEN}


def custom(length: float, width: float) -> PitchTemplate:
    """A custom rectangle. Its markings are the full-size ones scaled by length / 105
    (a custom area has no documented markings; only the corners, halfway line and centre
    are exact)."""
    try:
        length, width = float(length), float(width)
    except (TypeError, ValueError):
        raise AxolotlError(
            "a custom pitch needs a numeric length and width in metres: pass e.g. length=60, width=40"
        ) from None
    if not (math.isfinite(length) and math.isfinite(width)) or length <= 0 or width <= 0 or length > 500 or width > 500:
        raise AxolotlError(
            f"custom pitch {length}×{width} m is not a plausible area: give a length and width in metres between 0 and 500"
        )
    k = length / 105.0
    return PitchTemplate(
        "custom",
        length,
        width,
        _landmarks(
            length,
            width,
            circle_r=9.15 * k,
            box_depth=16.5 * k,
            box_width=min(40.32 * k, width),
            spot=11.0 * k,
            goal_depth=5.5 * k,
            goal_width=min(18.32 * k, width),
        ),
    )


def get_template(name: str, length: float | None = None, width: float | None = None) -> PitchTemplate:
    """``full`` (105×68), ``9v9`` (73×46), ``7v7`` (55×37) or ``custom`` (needs length and width)."""
    key = str(name).strip().lower()
    key = {"11v11": "full", "full-size": "full", "9-a-side": "9v9", "7-a-side": "7v7"}.get(key, key)
    if key == "custom":
        if length is None or width is None:
            raise AxolotlError("the custom pitch template needs a size: pass length and width in metres")
        return custom(length, width)
    if key in TEMPLATES:
        return TEMPLATES[key]
    raise AxolotlError(f"unknown pitch template {name!r}: use one of full, 9v9, 7v7 or custom (with length and width)")


def draw_template(template: PitchTemplate, pitch_to_image, size: tuple[int, int]) -> np.ndarray:
    """A synthetic camera view of the pitch markings (grass, white lines) through a homography
    from metres to pixels: a still frame with a known answer, for tests and demonstrations."""
    import cv2

    w, h = size
    img = np.full((h, w, 3), (40, 120, 40), np.uint8)
    H = np.asarray(pitch_to_image, np.float64)
    for line in template.lines():
        px = cv2.perspectiveTransform(line.reshape(-1, 1, 2), H).reshape(-1, 2)
        cv2.polylines(img, [np.int32(np.round(px))], False, (255, 255, 255), 2, cv2.LINE_AA)
    return img


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def _as_points(a, what: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise AxolotlError(f"{what} must be numbers as (x, y) pairs: pass an N×2 list or array") from None
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise AxolotlError(
            f"{what} must be an N×2 list of (x, y) pairs, got shape {arr.shape}: pass one (x, y) per point"
        )
    if not np.all(np.isfinite(arr)):
        raise AxolotlError(f"{what} contain NaN or infinite values: pass finite coordinates")
    return arr


def _normaliser(p: np.ndarray) -> np.ndarray:
    """Hartley normalisation: centroid to 0, mean distance √2."""
    c = p.mean(axis=0)
    d = np.sqrt(((p - c) ** 2).sum(axis=1)).mean()
    s = math.sqrt(2) / d if d > 0 else 1.0
    return np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1.0]])


def _check_spread(p: np.ndarray, what: str, tol: float) -> None:
    """Refuse points that are duplicated or that do not span a plane (collinear)."""
    n = len(p)
    dist = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1))
    iu = np.triu_indices(n, 1)
    i, j = iu[0][dist[iu] <= tol], iu[1][dist[iu] <= tol]
    if len(i):
        raise AxolotlError(
            f"{what} {i[0] + 1} and {j[0] + 1} are the same point: every pair must use a distinct point; remove or move the duplicate"
        )
    centred = p - p.mean(axis=0)
    sv = np.linalg.svd(centred, compute_uv=False)
    if sv[1] <= 1e-3 * sv[0] or sv[1] / math.sqrt(n) <= tol:
        raise AxolotlError(
            f"the {what} lie on one line, so they cannot fix a plane: use at least 4 points spread over the area, no 3 of any 4 in a row"
        )
    # A homography needs 4 points in general position: some 4 of them with no 3 collinear.
    # Check that the most spread 4-subset (greedy) is non-degenerate.
    if not _has_general_quad(p, tol):
        raise AxolotlError(
            f"no 4 of the {what} are in general position (3 or more lie on a line): add a point off that line, e.g. a corner of the area"
        )


def _has_general_quad(p: np.ndarray, tol: float) -> bool:
    n = len(p)
    scale = max(np.ptp(p[:, 0]), np.ptp(p[:, 1]), 1e-12)

    def area(a, b, c):
        return abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2

    min_area = max(1e-3 * scale * scale, tol * scale)
    if n <= 12:
        from itertools import combinations

        for q in combinations(range(n), 4):
            pts = p[list(q)]
            if all(area(*pts[list(t)]) > min_area for t in combinations(range(4), 3)):
                return True
        return False
    # Many points: try the 12 most spread out (farthest-point sampling).
    idx = [int(np.argmax(((p - p.mean(axis=0)) ** 2).sum(1)))]
    d = ((p - p[idx[0]]) ** 2).sum(1)
    while len(idx) < 12:
        k = int(np.argmax(d))
        idx.append(k)
        d = np.minimum(d, ((p - p[k]) ** 2).sum(1))
    return _has_general_quad(p[idx], tol)


class Calibration:
    """An image → pitch homography for one camera, with its provenance and error in metres."""

    def __init__(
        self,
        H,
        *,
        template: PitchTemplate,
        camera: str = "default",
        image_size: tuple[int, int] | None = None,
        image_points=None,
        pitch_points=None,
        landmarks: Sequence[str | None] | None = None,
        inliers=None,
        reprojection_error_m: float = float("nan"),
        max_error_m: float = 1.0,
        created_at: str | None = None,
        notes: str = "",
    ):
        H = np.asarray(H, dtype=np.float64)
        if H.shape != (3, 3) or not np.all(np.isfinite(H)) or abs(np.linalg.det(H)) < 1e-300:
            raise AxolotlError("the calibration's homography is not an invertible 3×3 matrix: recalibrate the camera")
        self.H = H / H[2, 2] if abs(H[2, 2]) > 1e-12 else H
        self.H_inv = np.linalg.inv(self.H)
        self.template = template
        self.camera = str(camera)
        self.image_size = tuple(int(v) for v in image_size) if image_size is not None else None
        # the tapped points (a saved file's too) must be finite: a NaN would make every projection NaN
        self.image_points = (
            np.zeros((0, 2)) if image_points is None else _as_points(image_points, "calibration image points")
        )
        self.pitch_points = (
            np.zeros((0, 2)) if pitch_points is None else _as_points(pitch_points, "calibration pitch points")
        )
        self.landmarks = list(landmarks) if landmarks is not None else [None] * len(self.image_points)
        self.inliers = (
            np.ones(len(self.image_points), bool) if inliers is None else np.asarray(inliers, bool).reshape(-1)
        )
        self.reprojection_error_m = float(reprojection_error_m)
        self.max_error_m = float(max_error_m)
        self.created_at = created_at or utc_now_iso("seconds")
        self.notes = notes
        # Which sign of w is "in front of the camera", for each direction (points across
        # the horizon get the other sign and project to NaN).
        img_ref = (
            self.image_points
            if len(self.image_points)
            else (np.array([[self.image_size[0] / 2, self.image_size[1] - 1]]) if self.image_size else np.zeros((1, 2)))
        )
        pit_ref = self.pitch_points if len(self.pitch_points) else np.array([[template.length / 2, template.width / 2]])
        self._sign = float(np.sign(np.median(np.c_[img_ref, np.ones(len(img_ref))] @ self.H[2]))) or 1.0
        self._sign_inv = float(np.sign(np.median(np.c_[pit_ref, np.ones(len(pit_ref))] @ self.H_inv[2]))) or 1.0

    # -- fitting ---------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        image_points,
        pitch_points,
        *,
        template: PitchTemplate | str = "full",
        camera: str = "default",
        image_size: tuple[int, int] | None = None,
        ransac_threshold_m: float = 1.0,
        max_error_m: float = 1.0,
        min_inliers: int = 5,
        notes: str = "",
    ) -> "Calibration":
        """Fit image (N×2 px) → pitch (N×2 m, or N landmark names) with RANSAC.

        ``ransac_threshold_m`` is the reprojection distance on the pitch beyond which a pair
        is an outlier. Refuses (:class:`AxolotlError`) fewer than 4 pairs, duplicate or
        collinear points, a degenerate or ill-conditioned homography, fewer than
        ``min_inliers`` inliers, and an RMS error over the inliers above ``max_error_m``.
        """
        import cv2

        tpl = get_template(template) if isinstance(template, str) else template
        img = _as_points(image_points, "image points")
        names: list[str | None]
        pp = list(pitch_points) if not isinstance(pitch_points, np.ndarray) else pitch_points
        if len(pp) and all(isinstance(v, str) for v in pp):
            names = [str(v) for v in pp]
            pitch = np.array([tpl.point(v) for v in names], dtype=np.float64)
        else:
            if len(pp) and any(isinstance(v, str) for v in pp):
                names = [v if isinstance(v, str) else None for v in pp]
                pitch = np.array([tpl.point(v) if isinstance(v, str) else tuple(v) for v in pp], dtype=np.float64)
                pitch = _as_points(pitch, "pitch points")
            else:
                pitch = _as_points(pp, "pitch points")
                names = [None] * len(pitch)
        n = len(img)
        if len(pitch) != n:
            raise AxolotlError(
                f"got {n} image points but {len(pitch)} pitch points: give one pitch point per image point"
            )
        if n < 4:
            raise AxolotlError(
                f"a calibration needs at least 4 image↔pitch point pairs, got {n}: tap at least 4 landmarks spread over the pitch"
            )
        _check_spread(img, "image points", tol=0.5)
        _check_spread(pitch, "pitch points", tol=0.01)

        # Work in normalised coordinates (conditioning), RANSAC threshold given in metres.
        Ti, Tp = _normaliser(img), _normaliser(pitch)
        img_n = cv2.perspectiveTransform(img.reshape(-1, 1, 2), Ti).reshape(-1, 2)
        pit_n = cv2.perspectiveTransform(pitch.reshape(-1, 1, 2), Tp).reshape(-1, 2)
        thr_n = float(ransac_threshold_m) * Tp[0, 0]
        Hn, mask = cv2.findHomography(img_n, pit_n, cv2.RANSAC, thr_n, maxIters=5000, confidence=0.999)
        if Hn is None or mask is None:
            raise AxolotlError(
                "no homography fits these points (they may be degenerate or mismatched): check that each image point is tapped on its own landmark"
            )
        inl = mask.reshape(-1).astype(bool)
        # Any 4 points fit a homography exactly, so with more than 4 pairs a fit must be
        # confirmed by a 5th point and by most of the points.
        need = 4 if n == 4 else max(5, math.ceil(0.6 * n), min_inliers)
        if inl.sum() < need:
            raise AxolotlError(
                f"only {int(inl.sum())} of {n} point pairs agree on one homography (need {need}): re-tap the mismatched points or raise ransac_threshold_m"
            )
        # Refine: least squares on the inliers, then re-select the inliers with the refined
        # homography (RANSAC's minimal-sample model can wrongly drop good far-field points).
        for _ in range(3):
            Hr, _ = cv2.findHomography(img_n[inl], pit_n[inl], 0)
            if Hr is None or not np.all(np.isfinite(Hr)):
                break
            Hn = Hr
            res = cv2.perspectiveTransform(img_n.reshape(-1, 1, 2), Hn).reshape(-1, 2) - pit_n
            new_inl = np.sqrt((res**2).sum(axis=1)) <= thr_n
            if new_inl.sum() < need or np.array_equal(new_inl, inl):
                break
            inl = new_inl
        H = np.linalg.inv(Tp) @ Hn @ Ti
        if not np.all(np.isfinite(H)) or abs(H[2, 2]) < 1e-12:
            raise AxolotlError(
                "the fitted homography is degenerate: use at least 4 points spread over the pitch, no 3 in a row"
            )
        H = H / H[2, 2]
        cond = np.linalg.cond(Hn)
        if not np.isfinite(cond) or cond > 1e7:
            raise AxolotlError(
                f"the fitted homography is ill-conditioned (condition number {cond:.1e}): spread the points over the whole visible pitch"
            )
        # Every inlier must be in front of the camera (same sign of w) — a flip means a
        # mirrored or impossible mapping.
        hom = np.c_[img, np.ones(n)] @ H.T
        w = hom[:, 2]
        if np.any(w[inl] * np.sign(np.median(w[inl])) <= 0):
            raise AxolotlError(
                "the points fold the pitch over the horizon (the horizon runs between them): check the point order or remove points near the horizon"
            )
        proj = hom[:, :2] / w[:, None]
        err = np.sqrt(((proj - pitch) ** 2).sum(axis=1))
        rms = float(np.sqrt(np.mean(err[inl] ** 2)))
        if not math.isfinite(rms) or rms > max_error_m:
            raise AxolotlError(
                f"calibration error {rms:.2f} m exceeds the {max_error_m:.2f} m limit: re-tap the landmarks more precisely or add more points"
            )
        return cls(
            H,
            template=tpl,
            camera=camera,
            image_size=image_size,
            image_points=img,
            pitch_points=pitch,
            landmarks=names,
            inliers=inl,
            reprojection_error_m=rms,
            max_error_m=max_error_m,
            notes=notes,
        )

    # -- projection ------------------------------------------------------------
    def project(self, points_px) -> np.ndarray:
        """Image pixels (N×2) → pitch metres (N×2). Points on or above the horizon give NaN."""
        return self._apply(self.H, points_px, self._sign)

    def to_image(self, points_m) -> np.ndarray:
        """Pitch metres (N×2) → image pixels (N×2)."""
        return self._apply(self.H_inv, points_m, self._sign_inv)

    @staticmethod
    def _apply(H: np.ndarray, pts, sign: float) -> np.ndarray:
        p = np.asarray(pts, dtype=np.float64)
        shape = p.shape
        p = p.reshape(-1, 2)
        if len(p) == 0:
            return np.zeros((0, 2))
        hom = p @ H[:, :2].T + H[:, 2]
        w = hom[:, 2:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = hom[:, :2] / w
        # On or beyond the horizon the point is "behind" the camera: w is 0 or flips sign.
        out[(w[:, 0] * sign) <= 1e-12] = np.nan
        return out.reshape(shape)

    # -- persistence -----------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "camera": self.camera,
            "template": self.template.to_dict(),
            "image_size": list(self.image_size) if self.image_size else None,
            "points": [
                {"image": [float(a), float(b)], "pitch": [float(c), float(d)], "landmark": name, "inlier": bool(ok)}
                for (a, b), (c, d), name, ok in zip(self.image_points, self.pitch_points, self.landmarks, self.inliers)
            ],
            "H": self.H.tolist(),
            "reprojection_error_m": self.reprojection_error_m,
            "max_error_m": self.max_error_m,
            "created_at": self.created_at,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, d: Mapping, *, source: str = "calibration") -> "Calibration":
        if not isinstance(d, Mapping):
            raise AxolotlError(f"{source} is not a calibration object: recalibrate and save it again")
        if d.get("schema") != SCHEMA:
            raise AxolotlError(
                f"{source} has schema {d.get('schema')!r}, expected {SCHEMA!r}: recalibrate and save it with this version"
            )
        try:
            t = d["template"]
            name = t["name"]
            tpl = custom(t["length"], t["width"]) if name == "custom" else get_template(name)
            pts = d.get("points") or []
            img = [p["image"] for p in pts]
            pit = [p["pitch"] for p in pts]
            names = [p.get("landmark") for p in pts]
            inl = [bool(p.get("inlier", True)) for p in pts]
            return cls(
                d["H"],
                template=tpl,
                camera=d.get("camera", "default"),
                image_size=d.get("image_size"),
                image_points=img or None,
                pitch_points=pit or None,
                landmarks=names,
                inliers=inl or None,
                reprojection_error_m=float(d.get("reprojection_error_m", float("nan"))),
                max_error_m=float(d.get("max_error_m", 1.0)),
                created_at=d.get("created_at"),
                notes=str(d.get("notes", "")),
            )
        except AxolotlError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise AxolotlError(
                f"{source} is missing or has a malformed field ({type(e).__name__}: {e}): recalibrate and save it again"
            ) from None

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path) -> "Calibration":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise AxolotlError(
                f"calibration file {path} does not exist: check the path or calibrate the camera first"
            ) from None
        except (OSError, UnicodeDecodeError) as e:
            raise AxolotlError(
                f"cannot read calibration file {path} ({e.__class__.__name__}): check its permissions"
            ) from None
        except json.JSONDecodeError as e:
            raise AxolotlError(
                f"calibration file {path} is not valid JSON (line {e.lineno}): recalibrate or restore the file"
            ) from None
        return cls.from_dict(data, source=f"calibration file {path}")

    def __repr__(self) -> str:
        return (
            f"Calibration(camera={self.camera!r}, template={self.template.name} "
            f"{self.template.length}×{self.template.width} m, points={len(self.image_points)}, "
            f"inliers={int(self.inliers.sum())}, error={self.reprojection_error_m:.3f} m)"
        )
