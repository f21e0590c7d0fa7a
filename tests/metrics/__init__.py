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
