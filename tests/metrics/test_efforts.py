"""Sprints (hysteresis, minimum duration) and accelerations/decelerations, on hand-made speed series
(no smoothing: `Segment` built directly, so every number below is exact arithmetic) and on smoothed
synthetic tracks."""

import numpy as np
import pytest

from edge_app.metrics.efforts import accel_efforts, hysteresis_runs, sprints
from edge_app.metrics.kinematics import Segment, compute_kinematics
from edge_app.metrics.profiles import get_profile
from tests.metrics import sprint_pair_knots, track

ADULT = get_profile("adult").thresholds()  # sprint entry 25.2 km/h = 7.0 m/s, exit 23.4 km/h = 6.5 m/s


def segment_from_speed(t, v):
    """A straight-line Segment with the given speed; a = dv/dt by central differences."""
    x = np.r_[0.0, np.cumsum((v[1:] + v[:-1]) / 2 * np.diff(t))]
    return Segment(t, np.stack([x, np.zeros_like(x)], axis=1), v, np.gradient(v, t))


def test_thresholds_in_ms():
    assert ADULT.sprint_entry == pytest.approx(7.0)
    assert ADULT.sprint_exit == pytest.approx(6.5)
    assert ADULT.sprint_min_duration == 1.0


def test_hysteresis_keeps_one_sprint_through_a_dip():
    # 100 Hz; 7.2 m/s from 1.00 to 2.00 s, a dip to 6.8 (below entry, above exit) until 2.20 s,
    # 7.2 again until 2.70 s, then 5 m/s. One sprint of 1.70 s, not two.
    t = np.arange(0, 4, 0.01)
    v = np.full_like(t, 5.0)
    v[(t >= 1.0 - 1e-9) & (t < 2.7 - 1e-9)] = 7.2
    v[(t >= 2.0 - 1e-9) & (t < 2.2 - 1e-9)] = 6.8
    seg = segment_from_speed(t, v)
    out = sprints(seg, ADULT)
    assert len(out) == 1
    # the crossings are interpolated inside the 10 ms step where the speed jumps:
    # entry 7.0 between 0.99 (5.0) and 1.00 (7.2): 0.99 + 0.01 * 2.0/2.2; exit 6.5 between 2.69 and 2.70
    start = 0.99 + 0.01 * (2.0 / 2.2)
    end = 2.69 + 0.01 * (0.7 / 2.2)
    assert out[0].start_s == pytest.approx(start, abs=1e-3)
    assert out[0].duration_s == pytest.approx(end - start, abs=1e-3)
    assert out[0].peak == pytest.approx(7.2)
    # without hysteresis (exit = entry) the dip splits it into 1.0 s and 0.5 s: only the first is a sprint
    runs = hysteresis_runs(t, v, 7.0, 7.0)
    assert len(runs) == 2


def test_sprint_minimum_duration_is_exclusive_of_short_bursts():
    # 7.5 m/s plateaus of 0.95 s and 1.05 s (100 Hz, vertical edges): only the second is a sprint
    t = np.arange(0, 10, 0.01)
    v = np.full_like(t, 4.0)
    v[(t >= 2.0 - 1e-9) & (t < 2.95 - 1e-9)] = 7.5
    v[(t >= 6.0 - 1e-9) & (t < 7.05 - 1e-9)] = 7.5
    out = sprints(segment_from_speed(t, v), ADULT)
    assert [round(e.start_s) for e in out] == [6]
    # its distance: 7.5 m/s over ~1.05 s (the interpolated edges add/remove < 1 cm)
    assert out[0].distance == pytest.approx(7.5 * out[0].duration_s, abs=0.05)


def test_accel_efforts_need_half_a_second():
    # a = +4 m/s² for 0.4 s (too short), later +4 for 0.6 s and -4 for 0.8 s: 1 acceleration, 1 deceleration
    t = np.arange(0, 10, 0.01)
    a = np.zeros_like(t)
    a[(t >= 1.0 - 1e-9) & (t < 1.4 - 1e-9)] = 4.0
    a[(t >= 4.0 - 1e-9) & (t < 4.6 - 1e-9)] = 4.0
    a[(t >= 7.0 - 1e-9) & (t < 7.8 - 1e-9)] = -4.0
    v = 1.0 + np.r_[0.0, np.cumsum(a[:-1] * 0.01)]
    seg = Segment(t, np.stack([np.r_[0.0, np.cumsum(v[:-1] * 0.01)], np.zeros_like(t)], axis=1), v, a)
    acc, dec = accel_efforts(seg, ADULT)
    assert len(acc) == 1 and len(dec) == 1
    assert acc[0].start_s == pytest.approx(4.0, abs=0.01)
    assert acc[0].duration_s == pytest.approx(0.6, abs=0.011)
    assert acc[0].peak == pytest.approx(4.0)
    assert dec[0].duration_s == pytest.approx(0.8, abs=0.011)
    assert dec[0].peak == pytest.approx(4.0)  # |a|


@pytest.mark.parametrize("method", ["butterworth", "savgol"])
@pytest.mark.parametrize("rate", [10, 25])
def test_sprint_of_0_9_s_is_not_one_of_1_2_s_is(rate, method):
    t, xy = track(sprint_pair_knots(), rate)
    kin = compute_kinematics(t, xy, smoothing=method)
    assert kin.distance == pytest.approx(106.25, rel=0.02)
    out = sprints(kin.segments[0], ADULT)
    assert len(out) == 1
    s = out[0]
    # the low-pass rounds the corners: ~1.18-1.21 s (Butterworth; on this clean track the residual analysis
    # keeps 1.3 Hz at 10 Hz, 3.2 Hz at 25 Hz; the old fixed 0.6 Hz gave ~1.07 s), ~1.16-1.18 s (Savitzky-Golay)
    assert s.start_s == pytest.approx(12.4, abs=0.15)
    assert s.duration_s == pytest.approx(1.2, abs=0.15)
    assert s.peak == pytest.approx(7.5, abs=0.3)
    assert s.distance == pytest.approx(8.875, rel=0.15)
