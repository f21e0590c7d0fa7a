"""Drill choice: library drills for each player's points to work on and the team's focus, with their reasons."""

import pytest

from edge_app.feedback.drill_choice import age_band_for_profile, choose_drills, choose_drills_with_reasons
from edge_app.feedback.drills import DrillLibrary
from edge_app.feedback.insights import derive_insights
from tests.feedback.helpers import history, team, team_with_two_sprintless, walkers


def test_drills_for_each_players_points_to_work_on():
    lib = DrillLibrary()
    facts = derive_insights(team(), history())
    # Lee's only weaknesses are sprint / hsr / top speed; player-3's pose points
    drills = choose_drills(facts, lib, "u13")
    assert set(drills) == {f.player for f in facts} and {"team", "Sam", "Lee", "player-3"} <= set(drills)
    for _who, chosen in drills.items():
        assert len(chosen) <= 2 and len({d.id for d in chosen}) == len(chosen)
        for d in chosen:
            assert lib.get(d.id) == d and "u13" in d.age_bands
    lee_kpis = {f.kpi for f in facts if f.player == "Lee" and f.kind == "weakness"}
    assert len(drills["Lee"]) == 2 and all(set(d.kpis) & lee_kpis for d in drills["Lee"])
    # Sam: the load warning asks for a low-intensity recovery drill first
    assert "recovery" in drills["Sam"][0].kpis and drills["Sam"][0].intensity == "low"
    assert drills.get("Alex", []) == []  # nothing to work on
    p3 = {k for d in drills["player-3"] for k in d.kpis}
    assert p3 & {"knee_control", "posture", "cadence"}
    assert drills["team"] == []  # no team focus: no weakness shared by two players here


def test_the_teams_focus_gets_drills():
    lib = DrillLibrary()
    facts = derive_insights(team_with_two_sprintless())  # the team's focus is sprinting
    team_drills = choose_drills(facts, lib, "u15")["team"]
    assert len(team_drills) == 2 and all("sprint" in d.kpis and "u15" in d.age_bands for d in team_drills)
    adult = choose_drills(facts, lib, "adult", per_player=3)
    assert all(len(v) <= 3 for v in adult.values()) and len(adult["Lee"]) == 3


@pytest.mark.parametrize("seconds", [15.0, 3600.0])
def test_no_sprint_drills_for_a_walking_session(seconds):
    """Issue 15: repeated-sprint drills were recommended for a walking clip."""
    facts = derive_insights(walkers(tracked=seconds, duration=seconds))
    drills = choose_drills(facts, DrillLibrary(), "u13")
    assert not any("sprint" in d.kpis for ds in drills.values() for d in ds)


@pytest.mark.parametrize(
    "name,band",
    [
        ("adult", "adult"),
        ("u17", "u17"),
        ("u15", "u15"),
        ("u13", "u13"),
        ("U16", "u17"),
        ("u14", "u15"),
        ("u11", "u13"),
        ("u19", "adult"),
        ("senior", "adult"),
        ("something", "u13"),
        (None, "u13"),
    ],
)
def test_age_band_for_profile(name, band):
    assert age_band_for_profile(name) == band


@pytest.mark.parametrize("band", ["u13", "u15", "u17", "adult"])
def test_drills_suit_the_age_band_and_say_why_they_were_chosen(band):
    facts = derive_insights(team(), history())
    chosen = choose_drills_with_reasons(facts, DrillLibrary(), band)
    by_fact = {f.id: f for f in facts}
    assert any(chosen.values())
    for who, cs in chosen.items():
        for c in cs:
            assert band in c.drill.age_bands and c.name == c.drill.name
            f = by_fact[c.fact_id]
            assert f.player == who and f.kpi in c.drill.kpis
            assert ("suits adults" if band == "adult" else f"suits {band.upper()}") in c.reason
            assert c.reason.startswith(("for ", "a light session"))
    lee = chosen["Lee"][0]
    assert lee.reason.startswith("for sprinting, a point to work on today")
