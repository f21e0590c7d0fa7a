"""Tests of edge_app.metrics, and the synthetic tracks they share.

`track(knots, rate)` builds a straight-line track along x from a piecewise-linear *signed* velocity
profile: knots [(t0, u0), (t1, u1), ...] in seconds and m/s. Position is its exact integral (computed on
a 1 kHz grid by the trapezoid rule, exact for piecewise-linear velocity with knots on the grid), so the
distance, top speed and accelerations of each test can be worked out by hand.
"""

import numpy as np


def track(knots, rate, *, y=34.0, x0=10.0, noise=0.0, seed=0):
    kt = np.array([k[0] for k in knots], float)
    ku = np.array([k[1] for k in knots], float)
    fine = np.arange(0.0, kt[-1] + 5e-4, 1e-3)
    u = np.interp(fine, kt, ku)
    x = x0 + np.r_[0.0, np.cumsum((u[1:] + u[:-1]) / 2 * 1e-3)]
    t = np.arange(0.0, kt[-1] + 1e-9, 1.0 / rate)
    xs = np.interp(t, fine, x)
    xy = np.stack([xs, np.full_like(xs, y)], axis=1)
    if noise:
        xy = xy + np.random.default_rng(seed).normal(0.0, noise, xy.shape)
    return t, xy


# Shuttle: stand 2 s; 0 -> 6 m/s in 1.5 s (4 m/s²); hold 3 s; 6 -> 0 in 1.5 s; turn; 0 -> 6 back in 1.5 s;
# hold 3 s; 6 -> 0 in 1.5 s; stand 2 s. Speed |u| rises twice and falls twice, each for 1.5 s at 4 m/s²
# (>= 3 m/s² for >= 0.5 s): 2 accelerations, 2 decelerations. Each leg: 4.5 + 18 + 4.5 = 27 m -> 54 m.
SHUTTLE = [(0, 0), (2, 0), (3.5, 6), (6.5, 6), (8, 0), (9.5, -6), (12.5, -6), (14, 0), (16, 0)]


def sprint_pair_knots():
    """Cruise at 5 m/s; two bursts ramping 5 -> 7.5 m/s in 0.5 s (5 m/s²), holding H, ramping back in 0.5 s.

    Entry 7.0 m/s is reached 0.4 s into the ramp up; the speed falls below the exit 6.5 m/s 0.2 s into
    the ramp down: sprint duration = 0.1 + H + 0.2 = H + 0.3 s.
      burst 1 at 5.0 s, H = 0.6 -> 0.9 s above threshold: NOT a sprint;
      burst 2 at 12.0 s, H = 0.9 -> 1.2 s: a sprint, from 12.4 s to 13.6 s, peak 7.5 m/s,
      distance 0.1 * 7.25 + 0.9 * 7.5 + 0.2 * 7.0 = 8.875 m.
    Whole track: 20 s at 5 m/s = 100 m plus the bursts' extra: each (2.5 * 0.5 / 2) * 2 + 2.5 * H
    = 1.25 + 2.5 H -> 2.75 + 3.5 = 6.25 m; total 106.25 m.
    """
    return [(0, 5), (5, 5), (5.5, 7.5), (6.1, 7.5), (6.6, 5), (12, 5), (12.5, 7.5), (13.4, 7.5), (13.9, 5), (20, 5)]
