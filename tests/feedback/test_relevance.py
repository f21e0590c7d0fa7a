"""The relevance check on the model's prose, on the issue's examples and on a hand-labelled set of real outputs."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from edge_app.feedback.facts import Fact
from edge_app.feedback.relevance import irrelevant, sentences
from edge_app.feedback.wording import validate

LABELLED = Path(__file__).parent / "data" / "labelled_outputs.jsonl"

TEAM = [
    Fact(
        "team.session.short",
        "team",
        "context",
        "work_rate",
        {"tracked_s": 15.0, "min_minutes": 5.0},
        {},
        "This session gave only 15 s of tracking, too little to judge efforts such as sprints, high-speed "
        "running or work rate (that needs at least 5 minutes).",
        90.0,
    ),
    Fact(
        "team.distance.total",
        "team",
        "team",
        "endurance",
        {"total_m": 79.0, "max_m": 21.0},
        {},
        "The team covered 79 m in total; player-1 covered the most with 21 m.",
        8.0,
    ),
]
SAM = [
    Fact(
        "sam.sprint_count.low",
        "Sam",
        "weakness",
        "sprint",
        {"sprint_count": 1.0, "team_median": 3.0},
        {},
        "Sam made 1 sprint today, against a team median of 3.",
        55.0,
    ),
    Fact(
        "sam.top_speed.high",
        "Sam",
        "strength",
        "top_speed",
        {"top_speed_kmh": 25.2, "team_median_kmh": 21.6, "pct_vs_team": 17.0},
        {},
        "Sam reached a top speed of 25.2 km/h, 17 % above the team median of 21.6 km/h.",
        25.0,
    ),
]
RELAY = SimpleNamespace(id="repeated-sprint-relay", name="Repeated sprint relay", reason="for sprinting")
Y_PASSING = SimpleNamespace(id="y-passing-pattern", name="Y passing pattern", reason="for sprinting")


def raw(summary):
    return json.dumps({"summary": summary, "strengths": [], "work_on": []})


@pytest.mark.parametrize(
    "who,facts,text",
    [
        # issue 15, word for word: what the coach read on the sample clip
        (
            "team",
            TEAM,
            ", The best way to solve this problem is by using a structured approach. It's important for the "
            "team of people that they can work together and make their own plans without any external help "
            "or guidance.",
        ),
        ("Sam", SAM, "The camera has been tracking the top-performing athletes for over a decade."),
        ("Sam", SAM, "Sam is a great player."),  # about no fact
        ("Sam", SAM, "Sam reached 25.2 km/h. Alex made 3 sprints."),  # another player
        ("Sam", SAM, "Sam reached a top speed of 25.2 km/h, half the team's."),  # a calculation
        ("Sam", SAM, "Sam worked at a great work rate today."),  # a KPI no fact covers
        ("Sam", SAM, "Sam's sprinting was excellent today."),  # praise of a point to work on
        ("Sam", SAM, "Sam picked from nothing and left the work_on empty."),  # the prompt echoed
        ("team", TEAM, "The team covered 79 m in total, and Alex covered the most."),  # not what the facts say
        ("Sam", SAM, "Sam reached a top speed of 25.2 m per second."),  # a fact's number with another unit
        ("team", TEAM, "The team covered 79 minutes in total."),
    ],
)
def test_prose_about_nothing_in_the_facts_goes_to_the_template(who, facts, text):
    text_out, why = validate(
        raw(text), who, facts, [RELAY] if who == "Sam" else [], youth=True, allowed_names={"Sam", "Alex"}
    )
    assert text_out is None and why.startswith("not relevant"), why


@pytest.mark.parametrize(
    "who,facts,text",
    [
        ("team", TEAM, "This session gave only 15 s of tracking, too little to judge efforts such as sprints."),
        ("team", TEAM, "The team covered 79 m in total, and player-1 covered the most with 21 m."),
        ("Sam", SAM, "Sam reached a top speed of 25.2 km/h, well above the team median."),
        ("Sam", SAM, "Sam made 1 sprint today, so the Repeated sprint relay will help him."),
        ("Sam", SAM, "Great speed today, Sam: 25.2 km/h!"),
        ("Sam", SAM, "Sam made 1 sprint today; the Y passing pattern will help him."),  # a drill's capital letter
    ],
)
def test_prose_about_the_facts_is_kept(who, facts, text):
    assert irrelevant(text, who, facts, [RELAY, Y_PASSING], others={"Alex"}) is None
    assert validate(raw(text), who, facts, [RELAY, Y_PASSING], youth=True, allowed_names={"Sam", "Alex"})[1] is None


def test_sentences_do_not_end_inside_a_number():
    assert sentences("Sam ran 5.2 km. He made 7 sprints!Good") == ["Sam ran 5.2 km.", "He made 7 sprints!", "Good"]


def _records():
    recs = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    by_session: dict[str, set] = {}
    for r in recs:
        by_session.setdefault(r["session"], set()).add(r["player"])
    for r in recs:  # the first batch did not record the session's names: its players are them
        r.setdefault("names", sorted(by_session[r["session"]] - {"team", r["player"]}))
    return recs


def test_the_labelled_set_is_real_varied_and_labelled():
    recs = _records()
    assert len(recs) >= 60
    assert {r["label"] for r in recs} == {"fit", "unfit"} and all(r["why"].strip() for r in recs)
    assert all(r["raw"] and r["facts"] for r in recs)
    assert {r["profile"] for r in recs} >= {"adult", "u13", "u15"} and len({r["session"] for r in recs}) >= 6
    assert any(f["kind"] == "context" for r in recs for f in r["facts"])  # short and walking sessions are in


def test_the_check_rejects_the_unfit_and_keeps_the_fit_ones():
    """Acceptance (issue 15): unfit outputs rejected >= 95 %, fit ones kept >= 70 %."""
    outcome = {"fit": [], "unfit": []}
    relevance_only = {"fit": [], "unfit": []}
    for r in _records():
        facts = [SimpleNamespace(**f) for f in r["facts"]]
        drills = [SimpleNamespace(**d) for d in r["drills"]]
        text, why = validate(
            r["raw"], r["player"], facts, drills, youth=r["profile"] != "adult", allowed_names=set(r["names"])
        )
        outcome[r["label"]].append(text is not None)
        prose = json.loads(r["raw"])["summary"] if r["prose"] else ""
        relevance_only[r["label"]].append(
            bool(prose) and irrelevant(prose, r["player"], facts, drills, others=r["names"]) is None
        )
    rejected = 1 - sum(outcome["unfit"]) / len(outcome["unfit"])
    kept = sum(outcome["fit"]) / len(outcome["fit"])
    print(
        f"\nlabelled set: {len(outcome['fit'])} fit, {len(outcome['unfit'])} unfit; the validator rejects "
        f"{rejected:.0%} of the unfit and keeps {kept:.0%} of the fit (the relevance check alone: rejects "
        f"{1 - sum(relevance_only['unfit']) / len(relevance_only['unfit']):.0%}, keeps "
        f"{sum(relevance_only['fit']) / max(1, len(relevance_only['fit'])):.0%})"
    )
    assert rejected >= 0.95 and kept >= 0.70
