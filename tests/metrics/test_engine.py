"""The engine end to end: PlayerSummary numbers checked against hand arithmetic."""

import numpy as np
import pytest

from edge_app.metrics import LiveKinematics, player_kpis, session_kpis
from edge_app.summary import PlayerSummary
from tests.metrics import SHUTTLE, sprint_pair_knots, track


def test_constant_run_zones_and_work_rate():
    # 5 m/s = 18 km/h for 20 s: adult 'run' zone (14.4-19.8 km/h) holds all 20 s and 100 m;
    # work rate 100 m / (20/60) min = 300 m/min; no sprint, no acceleration
    t, xy = track([(0, 5), (20, 5)], 25)
    s = player_kpis(t, xy, player="A", track_ids=[3, 7], ids_merged=1)
    assert isinstance(s, PlayerSummary)
    assert s.distance == pytest.approx(100.0, abs=0.01)
    assert s.top_speed == pytest.approx(5.0, abs=0.01)
    zones = {z.name: z for z in s.zones}
    assert list(zones) == ["walk", "jog", "run", "hsr", "sprint"]
    assert zones["run"].time_s == pytest.approx(20.0, abs=0.01)
    assert zones["run"].distance == pytest.approx(100.0, abs=0.01)
    assert sum(z.time_s for z in s.zones) == pytest.approx(20.0, abs=0.01)
    assert zones["run"].lower == pytest.approx(4.0) and zones["run"].upper == pytest.approx(5.5)  # 14.4, 19.8 km/h
    assert zones["sprint"].lower == pytest.approx(7.0) and zones["sprint"].upper is None
    assert s.hsr_distance == 0
    assert s.work_rate_per_min == pytest.approx(300.0, abs=0.1)
    assert (s.sprint_count, s.acceleration_count, s.deceleration_count) == (0, 0, 0)
    assert s.quality.tracked_time_s == pytest.approx(20.0)
    assert s.quality.ids_merged == 1 and s.track_ids == [3, 7] and s.player == "A"


def test_hsr_distance_counts_hsr_and_sprint_zones():
    # 6 m/s (21.6 km/h, HSR zone) for 10 s then 7.5 m/s (27 km/h, sprint zone) for 10 s, with a 0.5 s
    # ramp between (6.75 m/s mean): everything is >= 19.8 km/h: hsr_distance = total distance
    # = 6 * 9.75 + 6.75 * 0.5 + 7.5 * 9.75 = 135.0 m
    t, xy = track([(0, 6), (9.75, 6), (10.25, 7.5), (20, 7.5)], 25)
    s = player_kpis(t, xy)
    assert s.distance == pytest.approx(135.0, rel=1e-3)
    assert s.hsr_distance == pytest.approx(s.distance, rel=1e-6)
    zones = {z.name: z for z in s.zones}
    # the boundary 7.0 m/s is crossed 2/3 into the ramp: HSR ~ 9.75 + 0.33 s, sprint ~ 9.75 + 0.17 s
    assert zones["hsr"].time_s == pytest.approx(10.08, abs=0.15)
    assert zones["sprint"].time_s == pytest.approx(9.92, abs=0.15)
    assert s.sprint_count == 1


@pytest.mark.parametrize("method", ["butterworth", "savgol"])
def test_shuttle_accelerations_exact(method):
    t, xy = track(SHUTTLE, 25)
    s = player_kpis(t, xy, filter=method)
    assert s.distance == pytest.approx(54.0, rel=0.02)
    assert s.top_speed == pytest.approx(6.0, abs=0.3)
    assert (s.acceleration_count, s.deceleration_count) == (2, 2)
    starts = [e.start_s for e in s.accelerations] + [e.start_s for e in s.decelerations]
    # accelerations begin at 2.0 s and 8.0 s, decelerations at 6.5 s and 12.5 s (+ smoothing lead/lag)
    assert starts == pytest.approx([2.0, 8.0, 6.5, 12.5], abs=0.3)
    for e in s.accelerations + s.decelerations:
        assert e.peak == pytest.approx(4.0, abs=0.6)
        assert 0.5 <= e.duration_s <= 1.8


@pytest.mark.parametrize("rate,sigma", [(10, 0.1), (25, 0.15)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_acceptance(rate, sigma, seed):
    # acceptance with GPS-like noise: distance within 2 %, top speed within 0.3 m/s, counts exact
    t, xy = track(SHUTTLE, rate, noise=sigma, seed=seed)
    s = player_kpis(t, xy)
    # noise adds a little path length while standing still (4 s of it): still within 2 %
    assert s.distance == pytest.approx(54.0, rel=0.02)
    assert abs(s.top_speed - 6.0) <= 0.3
    assert (s.acceleration_count, s.deceleration_count) == (2, 2)
    t, xy = track(sprint_pair_knots(), rate, noise=sigma, seed=seed)
    s = player_kpis(t, xy)
    assert s.distance == pytest.approx(106.25, rel=0.02)
    assert abs(s.top_speed - 7.5) <= 0.3
    assert s.sprint_count == 1  # the 1.2 s burst, not the 0.9 s one


def test_noisy_walk_invents_no_sprint_post_session():
    """On a noisy walk, a zero-phase recomputation does not invent sprints that the live filter had.

    1.4 m/s for 60 s with σ = 0.2 m noise at 25 Hz. The post-session (zero-phase) top speed stays
    within 0.5 m/s of 1.4 and there is no sprint and no acceleration. The causal live filter (lower
    order, one pass) lets more noise through: its top speed is higher (here ~2.4-2.7 vs ~1.5 m/s:
    the residual analysis smooths this pure-noise track at its 0.3 Hz floor).
    """
    for seed in range(3):
        t, xy = track([(0, 1.4), (60, 1.4)], 25, noise=0.2, seed=seed)
        s = player_kpis(t, xy)
        assert s.sprint_count == 0 and s.acceleration_count == 0 and s.deceleration_count == 0
        assert abs(s.top_speed - 1.4) < 0.5
        assert s.distance == pytest.approx(84.0, rel=0.05)
        assert {z.name: z.time_s for z in s.zones}["walk"] == pytest.approx(60.0, abs=0.01)
        live = LiveKinematics(rate=25).run(t, xy)
        assert live.v.max() > s.top_speed


def test_heatmap_time_fractions():
    # 105 x 68 pitch, 2 x 4 grid (cells 26.25 m x 34 m). 10 s standing at (10, 10) -> row 0, col 0;
    # 30 s standing at (100, 60) -> row 1, col 3. Sampled at 10 Hz: 101 and 301 samples -> 0.25 / 0.75
    t1 = np.arange(0, 10.0001, 0.1)
    t2 = np.arange(20, 50.0001, 0.1)
    t = np.r_[t1, t2]
    xy = np.r_[np.tile([10.0, 10.0], (len(t1), 1)), np.tile([100.0, 60.0], (len(t2), 1))]
    s = player_kpis(t, xy, pitch=(105, 68), heatmap_shape=(2, 4))
    h = np.array(s.heatmap)
    assert h.shape == (2, 4)
    assert h.sum() == pytest.approx(1.0, abs=1e-4)
    assert h[0, 0] == pytest.approx(101 / 402, abs=1e-4)
    assert h[1, 3] == pytest.approx(301 / 402, abs=1e-4)
    assert s.quality.gaps == 1 and s.quality.gap_time_s == pytest.approx(10.0)
    assert player_kpis(t, xy).heatmap == []  # no pitch, no heatmap


def test_pixels_report_distance_only():
    # uncalibrated: 300 px/s for 10 s -> 3000 px, no zones/efforts/heatmap, no 12.5 "m/s" check
    t = np.arange(0, 10.0001, 0.04)
    xy = np.stack([300 * t, np.zeros_like(t)], axis=1)
    s = player_kpis(t, xy, units="px", pitch=(105, 68))
    assert s.distance == pytest.approx(3000.0, abs=0.1)
    assert s.top_speed == pytest.approx(300.0, abs=0.1)
    assert s.zones == [] and s.sprints == [] and s.accelerations == [] and s.heatmap == []
    assert s.quality.outliers_dropped == 0


def test_session_kpis_and_pose_hook():
    t, xy = track([(0, 5), (20, 5)], 25)
    out = session_kpis({"A": (t, xy), "B": {"t": t, "xy": xy * 0.5, "track_ids": [9], "ids_merged": 2}})
    assert [p.player for p in out] == ["A", "B"]
    assert out[1].distance == pytest.approx(50.0, abs=0.01)
    assert out[1].track_ids == [9] and out[1].quality.ids_merged == 2
    assert out[0].pose is None
