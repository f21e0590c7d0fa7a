import re

import pytest

from edge_app.feedback.drills import KPIS
from edge_app.feedback.facts import KINDS, Fact, format_number
from edge_app.feedback.insights import derive_insights
from edge_app.summary import PoseKPIs
from tests.feedback.helpers import history, player, summary, team, team_with_two_sprintless, walkers

NUMBER = re.compile(r"\d+(?:\.\d+)?")
MEDICAL = ("injur", "diagnos", "strain", "sprain", "tear", "pain", "overtrain", "medical", "damage", "risk")


def by_id(facts):
    ids = [f.id for f in facts]
    assert len(ids) == len(set(ids))
    return {f.id: f for f in facts}


def check_numbers_in_text(facts, labels):
    for f in facts:
        text = f.text
        for label in sorted(labels, key=len, reverse=True):
            text = text.replace(label, "")
        said = sorted(NUMBER.findall(text))
        assert said == sorted(format_number(v) for v in f.numbers.values()), (f.id, f.text, f.numbers)
        assert set(f.unit_text) <= set(f.numbers)
        assert f.kind in KINDS and f.kpi in KPIS and isinstance(f, Fact)


LABELS = ["Sam", "Alex", "Jo", "player-3", "Lee"]


def test_fastest_player_gets_a_top_speed_strength():
    facts = by_id(derive_insights(team()))
    # top speeds 7.0, 6.0, 6.2, 5.9, 5.0 m/s -> median 6.0 m/s = 21.6 km/h; Sam 7.0 m/s = 25.2 km/h;
    # 7.0 / 6.0 = 1.1667 -> 17 % above the median
    f = facts["sam.top_speed.high"]
    assert f.kind == "strength" and f.kpi == "top_speed" and f.player == "Sam"
    assert f.numbers == {"top_speed_kmh": 25.2, "team_median_kmh": 21.6, "pct_vs_team": 17.0}
    assert f.unit_text["top_speed_kmh"] == "km/h"
    assert "25.2 km/h" in f.text and "21.6 km/h" in f.text and "17 %" in f.text
    assert (
        facts["team.top_speed.fastest"].numbers == {"top_speed_kmh": 25.2}
        and "Sam" in facts["team.top_speed.fastest"].text
    )
    # 7000 + 5500 + 5800 + 5600 + 5200 m = 29.1 km; Sam covered the most (7 km)
    assert facts["team.distance.total"].numbers == {"total_km": 29.1, "max_km": 7.0}
    assert facts["team.sprint_count.most"].numbers == {"sprint_count": 4.0}
    assert not any(f.kind == "strength" and f.player == "Lee" for f in facts.values())


def test_player_without_sprints_gets_a_weakness():
    facts = derive_insights(team())
    lee = [f for f in facts if f.player == "Lee"]
    # sprint counts 4, 3, 2, 3, 0 -> median 3; Lee made 0
    sprint = [f for f in lee if f.kpi == "sprint"]
    assert len(sprint) == 1 and sprint[0].kind == "weakness"
    assert sprint[0].numbers == {"sprint_count": 0.0, "team_median": 3.0}
    # HSR 150 m against a median of 400 m -> 62 % below
    hsr = next(f for f in lee if f.kpi == "hsr")
    assert hsr.kind == "weakness" and hsr.numbers == {"hsr_m": 150.0, "team_median_m": 400.0, "pct_vs_team": 62.0}
    assert not [f for f in facts if f.player == "Alex" and f.kind == "weakness"]
    # alone (no team median) the profile says it: a sprint counts from 20.9 km/h (u15) for at least 1 s
    solo = derive_insights(summary([player("Lee", top=5.0, dist=5200.0, hsr=150.0, sprints=0)]))
    f = next(f for f in solo if f.id == "lee.sprint_count.none")
    assert f.kind == "weakness" and f.numbers == {
        "sprint_count": 0.0,
        "sprint_threshold_kmh": 20.9,
        "min_duration_s": 1.0,
    }
    assert not any("team_median" in k for f in solo for k in f.numbers)


def test_load_warning_mentions_the_physio_and_no_medical_words():
    facts = by_id(derive_insights(team(), history()))
    f = facts["sam.distance.load"]
    # 3 previous sessions of 4 km, today 7 km > 1.5 x 4 km
    assert f.kind == "load_warning" and f.player == "Sam"
    assert f.numbers == {"distance_km": 7.0, "recent_avg_km": 4.0, "sessions": 3.0}
    assert "physio" in f.text and "well above their recent average" in f.text
    assert not any(w in f.text.lower() for w in MEDICAL)
    # the first fact about Sam is the load warning
    assert next(x for x in derive_insights(team(), history()) if x.player == "Sam").id == "sam.distance.load"
    # one previous session is not enough, and 5.9 km is not 1.5 x 4 km
    assert "sam.distance.load" not in by_id(derive_insights(team(), history()[-1:]))
    sam = dict(top=7.0, dist=5900.0, hsr=500.0, sprints=4, acc=10, dec=9, wr=100.0)
    assert "sam.distance.load" not in by_id(derive_insights(team(sam=sam), history()))
    for x in derive_insights(team(), history(), max_per_player=20):
        assert not any(w in x.text.lower() for w in MEDICAL), x.text


def test_trends_against_own_history():
    facts = by_id(derive_insights(team(), history(), max_per_player=20))
    # previous top speeds 6.0, 6.5, 6.25 m/s -> 6.25 m/s = 22.5 km/h; today 7.0 m/s = 25.2 km/h: +12 %
    up = facts["sam.top_speed.trend_up"]
    assert up.kind == "trend_up" and up.kpi == "top_speed"
    assert up.numbers == {"top_speed_kmh": 25.2, "previous_avg_kmh": 22.5, "change_pct": 12.0, "sessions": 3.0}
    assert "up 12 %" in up.text
    # previous sprints 6, 6, 6; today 4: -33 %
    down = facts["sam.sprint_count.trend_down"]
    assert down.kind == "trend_down" and down.numbers == {
        "sprints_count": 4.0,
        "previous_avg_count": 6.0,
        "change_pct": 33.0,
        "sessions": 3.0,
    }
    assert "down 33 %" in down.text
    # HSR and work rate unchanged (500 m, 100 m/min): no trend; distance is a load warning, not a trend
    assert not any(
        k.startswith(("sam.hsr_distance.trend", "sam.work_rate_per_min.trend", "sam.distance.trend")) for k in facts
    )
    # Alex: identical history -> no trend at all; Jo has no history -> none either
    assert not any(f.player in ("Alex", "Jo") and f.kind.startswith("trend") for f in facts.values())
    # one previous session: said as "previous session", without a session count
    one = by_id(derive_insights(team(), history()[-1:], max_per_player=20))["sam.top_speed.trend_up"]
    # 6.25 m/s = 22.5 km/h -> +12 %
    assert one.numbers == {"top_speed_kmh": 25.2, "previous_avg_kmh": 22.5, "change_pct": 12.0}
    check_numbers_in_text([up, down, one], LABELS)


def test_px_sessions_give_no_absolute_speeds():
    hist = [dict(h, units="px", calibration=None) for h in history()]
    facts = derive_insights(team(units="px"), hist, max_per_player=20)
    # alone and slow in pixels: no profile threshold (km/h) facts either
    facts += derive_insights(summary([player("Lee", top=3.0, dist=5200.0, hsr=150.0, sprints=0)], units="px"))
    # medians of the five: top speed 6.0, sprints 3, HSR 400, accelerations 8, decelerations 8, work rate 96.
    # Sam 7.0 / 6.0 >= 1.08 (his 4 sprints / 3 < 1.5, 500 / 400 < 1.3); Lee 5.0 / 6.0 <= 0.92, 0 sprints,
    # 150 / 400 <= 0.7 (6 / 8 > 0.6, 90 / 96 > 0.9): weaknesses by priority 50 + 10 x gap (sprints 1.0, HSR
    # 0.625, top speed 0.17). player-3 sprinted, so its pose (knee 11.6 < 15 deg, lean 27.4 > 20 deg, cadence
    # 141.2 < 150) is judged: priorities 45, 44, 43. No pixel trends; no weakness shared by two players, so no
    # team focus. Lee alone: no team median, 0 sprints but HSR 150 > 0 (room for effort): "nobody sprinted".
    assert [f.id for f in facts] == [
        "team.sprint_count.most",
        "sam.top_speed.high",
        "player-3.knee_flexion.low",
        "player-3.trunk_lean.high",
        "player-3.cadence.low",
        "lee.sprint_count.low",
        "lee.hsr_distance.low",
        "lee.top_speed.low",
        "team.sprint_count.none",
    ]
    for f in facts:
        assert f.kind not in ("trend_up", "trend_down", "load_warning")
        assert not any("km" in k or k.endswith("_m") or "m_per_min" in k for k in f.numbers), f.id
        assert not any(u in ("km/h", "km", "m", "m/min") for u in f.unit_text.values()), f.id
        assert "km" not in f.text and " m " not in f.text
    by = by_id(facts)
    assert by["sam.top_speed.high"].numbers == {"pct_vs_team": 17.0}
    assert by["lee.sprint_count.low"].kind == "weakness"
    assert "team.distance.total" not in by and "team.top_speed.fastest" not in by
    check_numbers_in_text(facts, LABELS)


def test_pose_observations_are_cautious():
    facts = by_id(derive_insights(team(units="px")))
    knee, lean, cad = (
        facts["player-3.knee_flexion.low"],
        facts["player-3.trunk_lean.high"],
        facts["player-3.cadence.low"],
    )
    assert (knee.kpi, lean.kpi, cad.kpi) == ("knee_control", "posture", "cadence")
    assert knee.numbers == {"knee_flexion_deg": 12.0, "threshold_deg": 15.0}
    assert lean.numbers == {"trunk_lean_deg": 27.0, "threshold_deg": 20.0}
    assert cad.numbers == {"cadence_spm": 141.0, "threshold_spm": 150.0}
    for f in (knee, lean, cad):
        assert f.kind == "pose" and "suggests" in f.text and "player-3" in f.text
        assert not any(w in f.text.lower() for w in MEDICAL)


def test_every_text_says_exactly_its_numbers_and_order_is_stable():
    for facts in (
        derive_insights(team()),
        derive_insights(team(), history(), max_per_player=20),
        derive_insights(team(units="px"), max_per_player=20),
        derive_insights(summary([player("Lee", top=5.0, dist=5200.0, hsr=150.0, sprints=0)]), history()),
    ):
        check_numbers_in_text(facts, LABELS)
    a = derive_insights(team(), history())
    b = derive_insights(team(), history())
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]
    assert a[0].player == "team"
    players = [f.player for f in a]
    assert players == sorted(players, key=["team", *LABELS].index)  # team first, then summary order
    assert all(players.count(p) <= 4 for p in set(players))
    assert len([f for f in derive_insights(team(), history(), max_per_player=2) if f.player == "Sam"]) == 2


def test_fewer_than_three_players_no_team_comparison():
    facts = derive_insights(
        summary(
            [
                player("Sam", top=7.0, dist=7000.0, hsr=500.0, sprints=4),
                player("Lee", top=5.0, dist=5200.0, hsr=150.0, sprints=1),
            ]
        )
    )
    assert not any("team_median" in k or "pct_vs_team" in k for f in facts for k in f.numbers)
    assert not any(f.kind == "strength" for f in facts)


def test_team_focus():
    # Lee's only weaknesses are sprint / hsr / top speed; player-3's pose points
    facts = derive_insights(team(), history())
    assert not [f for f in facts if f.id.endswith(".focus")]  # no weakness shared by two players here
    facts = derive_insights(team_with_two_sprintless())
    focus = by_id(facts)["team.sprint.focus"]
    assert focus.kind == "team" and focus.numbers == {"n_players": 2.0, "team_size": 5.0}
    check_numbers_in_text(facts, LABELS)


def test_fact_texts_pass_the_youth_safety_check():
    safety = pytest.importorskip("edge_app.feedback.safety")
    facts = (
        derive_insights(team(), history(), max_per_player=20)
        + derive_insights(team(units="px"), max_per_player=20)
        + derive_insights(summary([player("Lee", top=3.0, dist=5200.0, hsr=150.0, sprints=0)]))
    )
    for f in facts:
        assert safety.check(f.text, youth=True, allowed_names={"Sam", "Alex", "Jo", "Lee"}) == [], f.text


# ---- issue 15: insights that fit the session ---------------------------------------------------------------


@pytest.mark.parametrize("seconds", [15.0, 3600.0])
def test_a_walking_session_is_not_a_failed_sprint_session(seconds):
    """Issue 15: "6 of 6 players had sprinting among their points to work on today" on a walking clip, with
    repeated-sprint drills recommended."""
    facts = derive_insights(walkers(tracked=seconds, duration=seconds))
    texts = " ".join(f.text for f in facts)
    assert not any(f.kpi in ("sprint", "hsr", "top_speed") and f.kind in ("weakness", "strength") for f in facts)
    assert not any(f.id.endswith(".focus") for f in facts) and "points to work on" not in texts
    assert "made 0 sprints" not in texts and "No player made a sprint" not in texts
    context = [f for f in facts if f.kind == "context" and f.player == "team"]
    assert len(context) == 1
    if seconds < 300:
        assert "too little to judge" in context[0].text and "15 s" in context[0].text
    else:
        assert "low-intensity session" in context[0].text and "not judged" in context[0].text


def test_a_short_session_says_there_is_too_little_to_judge_and_nothing_else_about_efforts():
    # 15 s of a real match pace: fast, but far too short to judge anyone's efforts
    s = team()
    s["duration_s"] = 15.0
    for p in s["players"]:
        p["quality"]["tracked_time_s"] = 15.0
        p["distance"] = 60.0
    facts = derive_insights(s, history())
    assert facts[0].id == "team.session.short" and "too little to judge" in facts[0].text
    assert {f.kind for f in facts} <= {"context", "team"}
    assert not any(f.kpi in ("sprint", "hsr", "top_speed", "acceleration", "deceleration") for f in facts)
    sam = [f for f in facts if f.player == "Sam"]
    assert [f.text for f in sam] == ["Sam covered 60 m in the 15 s they were tracked."]
    check_numbers_in_text(facts, LABELS)


def test_distances_below_a_kilometre_are_said_in_metres():
    """Issue 15: the sample clip's team total was said as "0 km"."""
    facts = by_id(derive_insights(walkers()))
    total = facts["team.distance.total"]
    # 18 + 19 + 20 + 21 + 22 + 23 m
    assert total.numbers == {"total_m": 123.0, "max_m": 23.0} and "123 m" in total.text and " km" not in total.text
    mixed = team(sam=dict(top=7.0, dist=700.0, hsr=500.0, sprints=4, acc=10, dec=9, wr=100.0))
    t = by_id(derive_insights(mixed))["team.distance.total"]
    # 700 + 5500 + 5800 + 5600 + 5200 m = 22.8 km, Jo the most with 5.8 km
    assert t.numbers == {"total_km": 22.8, "max_km": 5.8}
    # a trend on a short distance stays in metres, its average too
    hist = [
        summary([player("Sam", top=7.0, dist=600.0, hsr=500.0, sprints=4, acc=10, dec=9, wr=100.0)], sid=f"h{i}")
        for i in range(2)
    ]
    trend = by_id(derive_insights(mixed, hist, max_per_player=20))["sam.distance.trend_up"]
    assert trend.numbers["distance_m"] == 700.0 and trend.numbers["previous_avg_m"] == 600.0
    assert "700 m today" in trend.text and "600 m" in trend.text
    for fs in (derive_insights(walkers()), derive_insights(mixed, hist, max_per_player=20)):
        assert not any(re.search(r"(?<![\d.])0(?:\.0)? km", f.text) for f in fs)
        check_numbers_in_text(fs, LABELS + [f"track-{i}" for i in range(2, 8)])


@pytest.mark.parametrize("knee,said", [(14.93, 14.9), (14.96, 14.96), (14.4, 14.0)])
def test_no_self_contradicting_threshold_sentences(knee, said):
    """Issue 15: "a median knee bend of 15 degrees, below 15" (the clip's 14.93 degrees rounded)."""
    s = team(units="px")
    s["players"][3]["pose"]["knee_flexion_deg"] = knee
    f = by_id(derive_insights(s))["player-3.knee_flexion.low"]
    assert f.numbers["knee_flexion_deg"] == said < f.numbers["threshold_deg"] == 15.0
    assert f"knee bend of {format_number(said)} degrees, below 15" in f.text
    lean = team(units="px")
    lean["players"][3]["pose"]["trunk_lean_sprint_deg"] = 20.2
    assert by_id(derive_insights(lean))["player-3.trunk_lean.high"].numbers["trunk_lean_deg"] == 20.2
    # a profile threshold too: 4.135 m/s = 14.886 km/h against the u13 high-speed bound of 14.9 km/h
    solo = summary(
        [
            player("Lee", top=4.135, dist=5200.0, hsr=0.0, sprints=0),
            player("Jo", top=6.0, dist=5200.0, hsr=100.0, sprints=2),
        ],
        profile="u13",
    )
    below = by_id(derive_insights(solo))["lee.top_speed.below_hsr"]
    assert below.numbers["top_speed_kmh"] < below.numbers["hsr_threshold_kmh"] == 14.9


def test_pose_points_only_for_players_who_ran():
    """A walker's straight knees are walking, not running technique."""
    pose = PoseKPIs(samples=40, knee_flexion_deg=11.6, trunk_lean_sprint_deg=None, stride_cadence_spm=141.2)
    facts = derive_insights(walkers(tracked=3600.0, duration=3600.0, pose=pose))
    assert not any(f.kind == "pose" for f in facts)


def test_no_trend_on_a_handful_of_sprints():
    """Issue 15's spirit: "0 sprints, down 100 % on their average of 0.5" / "up 900 %" say nothing."""
    hist = [
        summary([player("Sam", top=7.0, dist=7000.0, hsr=500.0, sprints=s)], sid=f"h{i}") for i, s in enumerate((0, 1))
    ]
    facts = derive_insights(team(), hist, max_per_player=20)
    assert not any(f.id.startswith("sam.sprint_count.trend") for f in facts)
