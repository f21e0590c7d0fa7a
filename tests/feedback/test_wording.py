"""The feedback's words without a model (issue #4): the template, and the checks on a model's answer."""

import json

import pytest

from edge_app.feedback.wording import invented_numbers, template, unknown_drills, validate
from tests.feedback.helpers import DRILLS, FACTS, TEMPLATE, out


def test_template_is_the_facts_sentences_and_the_drills():
    assert template("Sam", FACTS, DRILLS) == TEMPLATE
    assert template("Sam", FACTS, []) == TEMPLATE.replace(" Try: Rondo 4v2, Cone weave.", "")
    assert template("Sam", [], []) and "Sam" in template("Sam", [], [])


def test_the_drills_say_why_they_were_chosen_once_per_reason():
    from types import SimpleNamespace as D

    why = "for sprinting, a point to work on today; suits U13"
    drills = [
        D(name="Repeated sprint relay", reason=why),
        D(name="Flying sprints", reason=why),
        D(name="Plank series", reason="for running posture, from the pose estimate; suits U13"),
    ]
    assert template("Sam", FACTS[:1], drills).endswith(
        f"Try: Repeated sprint relay, Flying sprints ({why}); Plank series (for running posture, from the pose "
        "estimate; suits U13)."
    )


# ---- validation of crafted model outputs ------------------------------------------------------


def test_validator_accepts_good_output_and_appends_the_drills():
    raw = out("Great session, Sam: 5.2 km and 7 sprints!", ["sprinting", "endurance"], ["top speed"])
    text, why = validate(raw, "Sam", FACTS, DRILLS, youth=True)
    assert why is None
    assert text == (
        "Great session, Sam: 5.2 km and 7 sprints! Strengths: sprinting; endurance. "
        "Work on: top speed. Try: Rondo 4v2, Cone weave."
    )


@pytest.mark.parametrize(
    "strengths,work_on",
    [
        (["Top speed of 24.1 km/h"], []),  # free-form: the model may only pick the session's categories
        (["15 years ago"], []),
        ([], ["cat"]),
        ([], ["Suffering"]),
        ([], ["deref"]),
        (["top speed"], []),  # a category of the facts, but not among the strengths
        ([], ["sprinting"]),
    ],
)
def test_strengths_and_points_to_work_on_are_only_the_sessions_categories(strengths, work_on):
    """Issue 15: "Work on: cat." / "Strengths: 15 years ago." were written by the model and shown."""
    text, why = validate(
        out("Great session, Sam: 5.2 km and 7 sprints!", strengths, work_on), "Sam", FACTS, DRILLS, youth=True
    )
    assert text is None and why.startswith("schema") and "categories" in why


@pytest.mark.parametrize(
    "summary,ok",
    [
        ("Sam ran 5.2 km.", True),
        ("Sam ran 5.23 km.", True),  # the fact's full precision
        ("Sam ran 5 km.", True),  # rounded to the precision written
        ("Sam ran 5.3 km.", False),  # invented
        ("Sam ran 6 km.", False),
        ("Sam made 8 sprints.", False),
        ("Sam made seven sprints.", True),
        ("Sam made three sprints.", False),  # number words count too
        ("Sprints were up 30% on last week.", False),
        ("Sam's sprints above 20 km/h: 7.", True),  # threshold from the fact's own sentence
        ("Sam ran 0.4 km more.", True),
        ("Do Rondo 4v2 for 12 minutes.", False),  # the 4 and 2 of the drill name are fine, 12 is not
    ],
)
def test_validator_rejects_invented_numbers(summary, ok):
    text, why = validate(out(summary), "Sam", FACTS, DRILLS, youth=True)
    assert (why is None) is ok, why
    if not ok:
        assert why.startswith("invented number")


def test_invented_numbers_lists_them():
    assert invented_numbers("Sam ran 5.2 km and 9 sprints at 31.5 km/h", FACTS, DRILLS) == ["9", "31.5"]


def test_validator_rejects_drills_that_were_not_chosen():
    raw = out("Sam ran 5.2 km, so try the Ladder Sprint drill.")
    text, why = validate(raw, "Sam", FACTS, DRILLS, youth=True)
    assert text is None and why.startswith("unknown drill")
    # a library name that was not chosen
    raw = out("Sam ran 5.2 km and more shooting practice would help.")
    assert validate(raw, "Sam", FACTS, DRILLS, youth=True, known_drills=["Shooting practice", "Rondo 4v2"])[1]
    assert unknown_drills("Do the Rondo 4v2 drill", DRILLS) == []


@pytest.mark.parametrize(
    "summary,category",
    [
        ("Sam ran 5.2 km but needs to lose weight.", "body"),
        ("Sam was lazy: only 7 sprints.", "harsh"),
        ("Sam might have tendinitis after 7 sprints.", "medical"),
        ("Sam Taylor ran 5.2 km.", "personal_data"),
    ],
)
def test_validator_rejects_unsafe_text(summary, category):
    text, why = validate(out(summary), "Sam", FACTS, DRILLS, youth=True)
    assert text is None and why.startswith("safety") and category in why


@pytest.mark.parametrize(
    "raw,prefix",
    [
        ('{"summary": "Sam ran 5.2 km", "strengths": [', "invalid JSON"),
        ("Sam ran 5.2 km.", "invalid JSON"),
        ('["Sam ran 5.2 km"]', "schema"),
        (json.dumps({"summary": "Sam ran 5.2 km", "strengths": [], "work_on": [], "extra": 1}), "schema"),
        (json.dumps({"summary": "", "strengths": [], "work_on": []}), "schema"),
        (json.dumps({"summary": "x" * 401, "strengths": [], "work_on": []}), "schema"),
        (json.dumps({"summary": "Sam ran 5.2 km", "strengths": ["a", "b", "c", "d"], "work_on": []}), "schema"),
        (json.dumps({"summary": "Sam ran 5.2 km", "strengths": [3], "work_on": []}), "schema"),
        (out("Sam ran 5.2 km and ran well today. Sam ran 5.2 km and ran well today."), "repetitive"),
    ],
)
def test_validator_rejects_malformed_output(raw, prefix):
    text, why = validate(raw, "Sam", FACTS, DRILLS, youth=True)
    assert text is None and why.startswith(prefix), why
