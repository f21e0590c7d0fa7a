"""Age profiles, the relative mode and per-player overrides."""

import pytest

from edge_app.errors import AxolotlError
from edge_app.metrics import get_profile, player_kpis, session_kpis
from edge_app.metrics.profiles import PROFILES
from tests.metrics import track


def test_adult_values_from_architecture():
    p = get_profile("adult")
    assert (p.jog_kmh, p.run_kmh, p.hsr_kmh, p.sprint_kmh) == (7.2, 14.4, 19.8, 25.2)
    assert (p.sprint_entry_kmh, p.sprint_exit_kmh) == (25.2, 23.4)
    assert (p.sprint_min_duration_s, p.accel_threshold_ms2, p.accel_min_duration_s, p.max_speed_ms) == (
        1.0,
        3.0,
        0.5,
        12.5,
    )
    assert "Bradley" in p.source


def test_youth_profiles_are_lower_and_ordered():
    # adult x 0.92 / 0.83 / 0.75 (see profiles.py for the sources)
    expected = {"u17": (6.6, 13.2, 18.2, 23.2), "u15": (6.0, 12.0, 16.4, 20.9), "u13": (5.4, 10.8, 14.9, 18.9)}
    for name, vals in expected.items():
        p = get_profile(name)
        assert (p.jog_kmh, p.run_kmh, p.hsr_kmh, p.sprint_kmh) == vals
        # the youth method (Harley's per-age scaling) and the paper behind this group's peak speed
        peak_paper = {"u17": "Mendez-Villanueva et al. 2011", "u15": "Atan et al. 2016", "u13": "Atan et al. 2016"}[
            name
        ]
        assert "Harley et al. 2010" in p.source and peak_paper in p.source, p.source
    order = ["adult", "u17", "u15", "u13"]
    for field in ("jog_kmh", "run_kmh", "hsr_kmh", "sprint_kmh"):
        vals = [getattr(PROFILES[n], field) for n in order]
        assert vals == sorted(vals, reverse=True) and len(set(vals)) == 4
    # a U13 player's top speed (~25 km/h) must be able to reach the U13 sprint zone, not the adult one
    assert get_profile("u13").sprint_kmh < 25.0 < get_profile("adult").sprint_kmh


def test_u13_zones_on_a_run():
    # 5 m/s = 18 km/h: adult 'run' (14.4-19.8), u13 'hsr' (14.9-18.9)
    t, xy = track([(0, 5), (20, 5)], 25)
    adult = {z.name: z.time_s for z in player_kpis(t, xy, profile="adult").zones}
    u13 = {z.name: z.time_s for z in player_kpis(t, xy, profile="u13").zones}
    assert adult["run"] == pytest.approx(20.0, abs=0.01) and adult["hsr"] == 0
    assert u13["hsr"] == pytest.approx(20.0, abs=0.01) and u13["run"] == 0


def burst_knots():
    # 4 m/s cruise, 0.5 s ramp to 6 m/s, hold 2 s, ramp back: top speed 6 m/s (21.6 km/h)
    return [(0, 4), (4, 4), (4.5, 6), (6.5, 6), (7, 4), (12, 4)]


def test_relative_mode_scales_with_own_top_speed():
    t, xy = track(burst_knots(), 25)
    absolute = player_kpis(t, xy, profile="adult")
    assert absolute.sprint_count == 0  # 6 m/s < 7 m/s
    rel = player_kpis(t, xy, profile={"mode": "relative"})
    top = rel.top_speed
    assert top == pytest.approx(6.0, abs=0.2)
    zones = {z.name: z for z in rel.zones}
    # lower bounds = fraction x own top speed: sprint 0.79 * ~6.0 = ~4.74 m/s
    assert zones["sprint"].lower == pytest.approx(0.79 * top, abs=1e-3)
    assert zones["hsr"].lower == pytest.approx(0.62 * top, abs=1e-3)
    assert rel.sprint_count == 1
    # twice as fast a player (same shape, speeds x 1.5): thresholds x 1.5
    t2, xy2 = track([(a, 1.5 * b) for a, b in burst_knots()], 25)
    rel2 = player_kpis(t2, xy2, profile={"mode": "relative"})
    assert {z.name: z for z in rel2.zones}["sprint"].lower == pytest.approx(1.5 * zones["sprint"].lower, rel=0.01)


def test_relative_mode_floor_and_reference():
    # a walk: relative thresholds use at least 18 km/h (5 m/s) as top speed -> sprint from 3.95 m/s: none
    t, xy = track([(0, 1.4), (30, 1.4)], 25)
    s = player_kpis(t, xy, profile=get_profile("u13", {"mode": "relative"}))
    assert {z.name: z for z in s.zones}["sprint"].lower == pytest.approx(0.79 * 5.0, abs=1e-4)
    assert s.sprint_count == 0
    # a tested top speed (reference) replaces the session's
    s = player_kpis(t, xy, profile={"mode": "relative", "reference_top_speed_kmh": 36.0})
    assert {z.name: z for z in s.zones}["sprint"].lower == pytest.approx(0.79 * 10.0, abs=1e-4)


def test_per_player_override():
    t, xy = track(burst_knots(), 25)
    out = session_kpis(
        {"A": (t, xy), "B": (t, xy), "C": (t, xy)},
        profile="adult",
        player_profiles={"A": {"sprint_kmh": 20.0}, "C": "u13"},
    )
    by = {p.player: p for p in out}
    assert by["B"].sprint_count == 0  # adult: 25.2 km/h
    assert by["A"].sprint_count == 1  # 20.0 km/h (entry 5.56 m/s, exit 5.06 m/s) < 21.6 km/h
    assert {z.name: z for z in by["A"].zones}["sprint"].lower == pytest.approx(20.0 / 3.6, abs=1e-4)
    assert by["C"].sprint_count == 1  # u13: 18.9 km/h
    # the override derived the exit from the new entry
    assert get_profile("adult", {"sprint_kmh": 20.0}).sprint_exit_kmh == pytest.approx(18.2)


def test_profile_errors_are_one_line():
    with pytest.raises(AxolotlError) as e:
        get_profile("u9")
    assert "adult" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(AxolotlError) as e:
        get_profile("adult", {"jog_kmh": 30.0})
    assert "\n" not in str(e.value)
    with pytest.raises(AxolotlError):
        get_profile("adult", {"colour": "red"})


def test_profile_info_for_the_summary():
    info = get_profile("adult").info()
    assert info.mode == "absolute" and info.thresholds["sprint_lower_ms"] == pytest.approx(7.0)
    assert info.thresholds["accel_ms2"] == 3.0
    rel = get_profile("u15", {"mode": "relative"}).info()
    assert rel.mode == "relative" and rel.thresholds["sprint_fraction"] == 0.79
