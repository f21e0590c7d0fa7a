"""Sprints, accelerations and decelerations as efforts.

* Sprint: starts when the speed rises to the entry threshold, ends when it falls below the (lower) exit
  threshold (hysteresis: a dip between the two does not split one sprint into two). Kept when it lasted
  at least the minimum duration (default 1.0 s). Start and end are interpolated between samples.
* Acceleration / deceleration: a contiguous stretch where the acceleration is >= +threshold (or
  <= -threshold), default 3 m/s², lasting at least 0.5 s. Each stretch counts once, however long.

Each effort is an `Effort(start_s, duration_s, distance, peak)`: peak speed for sprints, peak |a| for
accelerations and decelerations.
"""

from __future__ import annotations

import numpy as np

from edge_app.metrics.kinematics import Segment
from edge_app.metrics.profiles import Thresholds
from edge_app.summary import Effort


def _cross(t: np.ndarray, s: np.ndarray, i: int, level: float) -> float:
    """Time at which s crosses `level` between samples i-1 and i (linear interpolation)."""
    if i == 0:
        return float(t[0])
    s0, s1 = s[i - 1], s[i]
    frac = 0.0 if s1 == s0 else float(np.clip((level - s0) / (s1 - s0), 0.0, 1.0))
    return float(t[i - 1] + frac * (t[i] - t[i - 1]))


def hysteresis_runs(t: np.ndarray, s: np.ndarray, enter: float, exit_: float) -> list[tuple[float, float, int, int]]:
    """Stretches where s rose to >= enter and has not yet fallen below exit_.

    Returns (start time, end time, first index, last index inside) for each stretch.
    """
    runs = []
    above_enter = s >= enter
    below_exit = s < exit_
    i, n = 0, len(s)
    while i < n:
        starts = np.flatnonzero(above_enter[i:])
        if not len(starts):
            break
        i0 = i + int(starts[0])
        ends = np.flatnonzero(below_exit[i0:])
        if len(ends):
            i1 = i0 + int(ends[0])  # first sample below exit
            runs.append((_cross(t, s, i0, enter), _cross(t, s, i1, exit_), i0, i1 - 1))
            i = i1
        else:
            runs.append((_cross(t, s, i0, enter), float(t[-1]), i0, n - 1))
            break
    return runs


def _distance_between(seg: Segment, t0: float, t1: float) -> float:
    cum = np.r_[0.0, np.cumsum(seg.step_distance)]
    return float(np.interp(t1, seg.t, cum) - np.interp(t0, seg.t, cum))


def sprints(seg: Segment, th: Thresholds) -> list[Effort]:
    out = []
    for t0, t1, i0, i1 in hysteresis_runs(seg.t, seg.v, th.sprint_entry, th.sprint_exit):
        if t1 - t0 >= th.sprint_min_duration - 1e-9:
            out.append(
                Effort(
                    start_s=round(t0, 3),
                    duration_s=round(t1 - t0, 3),
                    distance=round(_distance_between(seg, t0, t1), 3),
                    peak=round(float(seg.v[i0 : i1 + 1].max()), 3),
                )
            )
    return out


def accel_efforts(seg: Segment, th: Thresholds) -> tuple[list[Effort], list[Effort]]:
    """(accelerations, decelerations) of one segment."""
    result = []
    for sign in (1.0, -1.0):
        s = sign * seg.a
        efforts = []
        for t0, t1, i0, i1 in hysteresis_runs(seg.t, s, th.accel, th.accel):
            if t1 - t0 >= th.accel_min_duration - 1e-9:
                efforts.append(
                    Effort(
                        start_s=round(t0, 3),
                        duration_s=round(t1 - t0, 3),
                        distance=round(_distance_between(seg, t0, t1), 3),
                        peak=round(float(s[i0 : i1 + 1].max()), 3),
                    )
                )
        result.append(efforts)
    return result[0], result[1]
