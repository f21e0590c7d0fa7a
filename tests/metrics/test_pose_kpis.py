"""Pose KPIs on synthetic MediaPipe world landmarks whose angles are known by construction."""

import numpy as np
import pytest

from edge_app.metrics.pose import pose_kpis, stride_cadence


def skeleton(knee_deg=0.0, lean_deg=0.0, ankle_sep=0.0, visibility=1.0):
    """33x4 world landmarks (y down). Thigh straight down from each hip (0.45 m); the shank turned by
    `knee_deg` in the sagittal (y, z) plane, so the knee flexion is exactly `knee_deg`; the trunk
    (hip mid -> shoulder mid, 0.5 m) tilted forward by `lean_deg` from vertical; the ankles split
    ±ankle_sep/2 along x."""
    lm = np.zeros((33, 4))
    lm[:, 3] = visibility
    th = np.radians(knee_deg)
    for hip, knee, ankle, side in ((23, 25, 27, 1), (24, 26, 28, -1)):
        lm[hip, :3] = [0.1 * side, 0.0, 0.0]
        lm[knee, :3] = lm[hip, :3] + [0.0, 0.45, 0.0]
        lm[ankle, :3] = lm[knee, :3] + 0.45 * np.array([0.0, np.cos(th), np.sin(th)])
        lm[ankle, 0] += side * ankle_sep / 2
    ph = np.radians(lean_deg)
    mid = np.array([0.0, -0.5 * np.cos(ph), 0.5 * np.sin(ph)])
    lm[11, :3] = mid + [0.2, 0, 0]
    lm[12, :3] = mid - [0.2, 0, 0]
    return lm


def test_knee_flexion_and_trunk_lean():
    # 30 samples at 10 Hz, knee flexion 40° in all; lean 20° while sprinting (1.0-2.0 s), 5° otherwise
    samples = [(i / 10, skeleton(knee_deg=40.0, lean_deg=20.0 if 1.0 <= i / 10 <= 2.0 else 5.0)) for i in range(30)]
    k = pose_kpis(samples, [(1.0, 2.0)])
    assert k.samples == 30
    assert k.knee_flexion_deg == pytest.approx(40.0, abs=0.01)
    assert k.trunk_lean_sprint_deg == pytest.approx(20.0, abs=0.01)
    # 3 s of samples at 10 Hz, but the ankles never move: no cadence
    assert k.stride_cadence_spm is None
    assert pose_kpis(samples, []).trunk_lean_sprint_deg is None  # no sprint, no lean


def test_low_visibility_is_ignored():
    samples = [(i / 10, skeleton(knee_deg=60.0, visibility=0.2)) for i in range(10)]
    k = pose_kpis(samples, [(0, 1)])
    assert k.samples == 10 and k.knee_flexion_deg is None and k.trunk_lean_sprint_deg is None


def ankle_samples(rate, seconds, stride_hz=1.5, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for t in np.arange(0, seconds, 1 / rate):
        sep = 0.4 * np.sin(2 * np.pi * stride_hz * t + 0.3) + noise * rng.normal()
        out.append((t, skeleton(knee_deg=30.0, ankle_sep=sep)))
    return out


def test_stride_cadence():
    # the ankles pass each other twice per stride: 1.5 strides/s = 3 steps/s = 180 steps/min
    k = pose_kpis(ankle_samples(30, 4.0), [])
    assert k.stride_cadence_spm == pytest.approx(180.0, abs=1.0)
    # with noise (2 cm) the hysteresis keeps the count
    assert pose_kpis(ankle_samples(30, 4.0, noise=0.02), []).stride_cadence_spm == pytest.approx(180.0, abs=3.0)
    # 1.4 strides/s at 15 Hz -> 168 steps/min
    assert pose_kpis(ankle_samples(15, 5.0, stride_hz=1.4), []).stride_cadence_spm == pytest.approx(168.0, abs=3.0)


def test_cadence_needs_dense_long_samples():
    assert pose_kpis(ankle_samples(30, 2.0), []).stride_cadence_spm is None  # only 2 s
    assert pose_kpis(ankle_samples(5, 10.0), []).stride_cadence_spm is None  # 5 Hz: too sparse
    # 4 s dense, but with a 0.5 s hole in the middle: the longest dense stretch is < 3 s
    s = [x for x in ankle_samples(30, 4.0) if not 1.8 <= x[0] < 2.3]
    assert pose_kpis(s, []).stride_cadence_spm is None
    assert stride_cadence(np.array([0.0, 0.1]), np.zeros((2, 2))) is None


def test_engine_passes_pose_and_sprints():
    from edge_app.metrics import player_kpis
    from tests.metrics import sprint_pair_knots, track

    t, xy = track(sprint_pair_knots(), 25)
    # lean 25° inside the 1.2 s sprint (12.4-13.6 s), 5° elsewhere: the engine hands its sprints to pose
    pose = [(ti, skeleton(lean_deg=25.0 if 12.6 <= ti <= 13.3 else 5.0)) for ti in np.arange(0, 20, 0.1)]
    s = player_kpis(t, xy, pose=pose)
    assert s.sprint_count == 1
    assert s.pose.trunk_lean_sprint_deg == pytest.approx(25.0, abs=0.01)
