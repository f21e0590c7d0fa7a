"""Live totals against trajectories worked out by hand (adult profile: sprint entry 25.2 km/h = 7.0 m/s,
exit 23.4 km/h = 6.5 m/s, at least 1.0 s)."""

import pytest

from edge_app.metrics.kinematics import LiveSample
from edge_app.metrics.live_stats import LiveStats


def feed(stats, track, speeds, rate=10.0, start_t=0.0, start_x=0.0):
    """A straight run along x at the given speed per sample; returns the end time and x."""
    t, x = start_t, start_x
    stats.update(track, LiveSample(t, (x, 10.0), speeds[0], 0.0))
    for v in speeds[1:]:
        t += 1 / rate
        x += v / rate
        stats.update(track, LiveSample(t, (x, 10.0), v, 0.0))
    return t, x


def test_constant_run_distance_and_work_rate():
    s = LiveStats("adult")
    feed(s, 1, [5.0] * 101)  # 10 s at 5 m/s: 50 m, 300 m/min
    snap = s.snapshot()[1]
    assert snap["distance"] == pytest.approx(50.0, abs=0.05)
    assert snap["work_rate_per_min"] == pytest.approx(300.0, abs=0.5)
    assert snap["load"] == 1.0  # capped
    assert snap["sprints"] == 0 and snap["top_speed"] == 5.0
    feed(s, 2, [1.0] * 11)
    assert set(s.snapshot([2, 99])) == {2} and set(s.snapshot()) == {1, 2}  # only the ids asked for and seen


def test_sprint_needs_the_minimum_duration_and_hysteresis():
    s = LiveStats("adult")
    # 0.5 s above 7 m/s: too short; then 1.5 s at 8 m/s: one sprint; a dip to 6.8 (above exit 6.5) does not split it.
    speeds = [3.0] * 10 + [8.0] * 5 + [3.0] * 10 + [8.0] * 8 + [6.8] * 3 + [8.0] * 5 + [3.0] * 10
    feed(s, 7, speeds)
    assert s.snapshot()[7]["sprints"] == 1
    # Below the exit threshold, then 1.2 s above the entry again: a second sprint.
    feed(s, 7, [3.0] * 2 + [7.5] * 13, start_t=5.1, start_x=100.0)
    assert s.snapshot()[7]["sprints"] == 2


def test_u13_thresholds_are_lower():
    adult, u13 = LiveStats("adult"), LiveStats("u13")
    speeds = [6.0] * 25  # 21.6 km/h for 2.4 s: under the adult sprint threshold, over the u13 one
    feed(adult, 1, speeds)
    feed(u13, 1, speeds)
    assert adult.snapshot()[1]["sprints"] == 0
    assert u13.entry < 6.0 and u13.snapshot()[1]["sprints"] == 1


def test_a_gap_is_not_distance():
    s = LiveStats()
    s.update(1, LiveSample(0.0, (0.0, 0.0), 1.0, 0.0))
    s.update(1, LiveSample(0.1, (0.1, 0.0), 1.0, 0.0))
    s.update(1, LiveSample(5.0, (30.0, 0.0), 1.0, 0.0))  # re-found 30 m away after 4.9 s
    s.update(1, LiveSample(5.1, (30.1, 0.0), 1.0, 0.0))
    assert s.snapshot()[1]["distance"] == pytest.approx(0.2, abs=1e-6)
