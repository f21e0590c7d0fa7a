"""Pose KPIs from MediaPipe world landmarks.

Input: a list of `(t_s, landmarks)` where `landmarks` is a (33, 4) array of MediaPipe Pose *world*
landmarks (x, y, z in metres, origin between the hips, y pointing down; 4th column: visibility), plus
the player's sprint intervals `[(start_s, end_s), ...]`. Landmarks used: shoulders 11/12, hips 23/24,
knees 25/26, ankles 27/28. A landmark counts only with visibility >= `min_visibility` (default 0.5).

Definitions:
* knee flexion (deg): 180° minus the hip-knee-ankle angle (the angle at the knee between the
  knee→hip and knee→ankle vectors), so a straight leg is 0°. Median over every visible leg in every
  sample.
* trunk lean while sprinting (deg): the angle between the trunk vector (hip midpoint → shoulder
  midpoint) and the vertical (world "up", -y in MediaPipe world coordinates), over samples inside a
  sprint interval; median. Unsigned (forward, backward or sideways). MediaPipe's world frame follows the
  camera's orientation, so with a tilted camera this is an approximation. None without a sprint sample.
* stride cadence (steps/min): in the longest stretch of dense samples (consecutive samples at most
  `max_dt_s` = 0.1 s apart, i.e. >= 10 Hz, since running steps come at ~3 Hz) lasting at least
  `min_span_s` (3 s), the left-minus-right ankle separation in the horizontal plane (x, z), projected
  on its main axis, oscillates once per stride (two steps): every zero crossing (with hysteresis of
  0.3 × its standard deviation against noise) is one step. Crossings in the same direction are one
  stride apart: cadence = 2 × 60 × strides per second, the stride rate being (crossings - 1) / (time
  from the first to the last crossing) for rising and for falling crossings, averaged. None when no
  such stretch exists or with fewer than 3 crossings.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from edge_app.summary import PoseKPIs

L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 11, 12, 23, 24, 25, 26, 27, 28
UP = np.array([0.0, -1.0, 0.0])  # MediaPipe world: y points down


def _vis(lm: np.ndarray, idx: Sequence[int], min_visibility: float) -> bool:
    return lm.shape[1] < 4 or bool((lm[list(idx), 3] >= min_visibility).all())


def _angle(u: np.ndarray, v: np.ndarray) -> float | None:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu < 1e-9 or nv < 1e-9:
        return None
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))


def knee_flexions(lm: np.ndarray, min_visibility: float = 0.5) -> list[float]:
    """Knee flexion (180° - hip-knee-ankle angle) of each visible leg of one sample."""
    out = []
    for hip, knee, ankle in ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE)):
        if _vis(lm, (hip, knee, ankle), min_visibility):
            ang = _angle(lm[hip, :3] - lm[knee, :3], lm[ankle, :3] - lm[knee, :3])
            if ang is not None:
                out.append(180.0 - ang)
    return out


def trunk_lean(lm: np.ndarray, min_visibility: float = 0.5) -> float | None:
    """Angle (deg) of hip-midpoint → shoulder-midpoint from the vertical, or None if not visible."""
    if not _vis(lm, (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP), min_visibility):
        return None
    trunk = (lm[L_SHOULDER, :3] + lm[R_SHOULDER, :3]) / 2 - (lm[L_HIP, :3] + lm[R_HIP, :3]) / 2
    return _angle(trunk, UP)


def _longest_dense_run(t: np.ndarray, max_dt: float) -> tuple[int, int]:
    """[i0, i1) of the longest (in time) stretch whose consecutive samples are at most max_dt apart."""
    breaks = np.r_[0, np.flatnonzero(np.diff(t) > max_dt) + 1, len(t)]
    spans = [(t[b - 1] - t[a], a, b) for a, b in zip(breaks[:-1], breaks[1:])]
    _, a, b = max(spans)
    return int(a), int(b)


def stride_cadence(t: np.ndarray, sep: np.ndarray, *, max_dt_s: float = 0.1, min_span_s: float = 3.0) -> float | None:
    """Steps per minute from the ankle separation series (see the module docstring)."""
    if len(t) < 4:
        return None
    i0, i1 = _longest_dense_run(t, max_dt_s)
    t, sep = t[i0:i1], sep[i0:i1]
    if len(t) < 4 or t[-1] - t[0] < min_span_s:
        return None
    sep = sep - sep.mean(axis=0)
    _, _, vt = np.linalg.svd(sep, full_matrices=False)
    s = sep @ vt[0]
    h = 0.3 * s.std()
    if h <= 0:
        return None
    crossings: dict[int, list[float]] = {1: [], -1: []}  # by direction: rising, falling
    state = 0
    for i in range(len(s)):
        new = 1 if s[i] > h else (-1 if s[i] < -h else 0)
        if new and new != state:
            if state:
                j = i - 1  # last sample on the other side of zero, going backwards
                while j > 0 and np.sign(s[j]) == new:
                    j -= 1
                frac = s[j] / (s[j] - s[j + 1]) if s[j] != s[j + 1] else 0.0
                crossings[new].append(t[j] + frac * (t[j + 1] - t[j]))
            state = new
    # same-direction crossings are one stride apart (unbiased by any offset of the zero line)
    rates = [(len(c) - 1) / (c[-1] - c[0]) for c in crossings.values() if len(c) >= 2 and c[-1] > c[0]]
    if not rates or len(crossings[1]) + len(crossings[-1]) < 3:
        return None
    return float(2 * 60.0 * np.mean(rates))


def pose_kpis(
    samples: Sequence[tuple[float, np.ndarray]],
    sprint_intervals: Sequence[tuple[float, float]] = (),
    *,
    min_visibility: float = 0.5,
    max_dt_s: float = 0.1,
    min_span_s: float = 3.0,
) -> PoseKPIs:
    """Pose KPIs of one player (see the module docstring for the definitions)."""
    knees, leans, ct, csep = [], [], [], []
    for ts, lm in sorted(samples, key=lambda s: s[0]):
        lm = np.asarray(lm, float)
        if lm.shape[0] < 33 or not np.isfinite(lm[:, :3]).all():
            continue
        knees += knee_flexions(lm, min_visibility)
        if any(a <= ts <= b for a, b in sprint_intervals):
            lean = trunk_lean(lm, min_visibility)
            if lean is not None:
                leans.append(lean)
        if _vis(lm, (L_ANKLE, R_ANKLE), min_visibility):
            ct.append(ts)
            csep.append(lm[L_ANKLE, [0, 2]] - lm[R_ANKLE, [0, 2]])
    cadence = (
        stride_cadence(np.array(ct), np.array(csep).reshape(-1, 2), max_dt_s=max_dt_s, min_span_s=min_span_s)
        if ct
        else None
    )
    r = lambda v: None if v is None else round(float(v), 2)  # noqa: E731
    return PoseKPIs(
        samples=len(samples),
        knee_flexion_deg=r(np.median(knees)) if knees else None,
        trunk_lean_sprint_deg=r(np.median(leans)) if leans else None,
        stride_cadence_spm=r(cadence),
    )
