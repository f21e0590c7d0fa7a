"""Safety filter (issue #4): adversarial model outputs are caught, good coaching passes unchanged."""

import pytest

from edge_app.feedback.safety import CATEGORIES, Violation, check, is_safe

NAMES = {"Sam", "Mia"}

# (model output, expected category) — phrasings a small model might produce, mixed case.
BAD_YOUTH = [
    # body
    ("Sam needs to lose weight to get quicker.", "body"),
    ("Sam is carrying a bit of extra WEIGHT this season.", "body"),
    ("Cutting down on body fat will help Sam's sprints.", "body"),
    ("Sam looks a little chubby compared to the others.", "body"),
    ("Sam is too skinny to win headers.", "body"),
    ("Sam's BMI is higher than the squad average.", "body"),
    ("Work on your body shape over the summer.", "body"),
    ("A smaller belly would make turning easier.", "body"),
    ("Try a stricter diet before the next match.", "body"),
    ("Sam should drop a few kilos.", "body"),
    ("Sam is overweight for a winger.", "body"),
    ("Get in shape, Sam!", "body"),
    ("Sam is quite short for his age, so avoid aerial duels.", "body"),
    ("Once Sam's growth spurt is over, the pace will come.", "body"),
    ("Fewer calories and more running, Sam.", "body"),
    # harsh / shaming
    ("Sam was lazy in the second half.", "harsh"),
    ("That pressing was USELESS.", "harsh"),
    ("A pathetic effort from Sam today.", "harsh"),
    ("Sam had the worst distance in the squad.", "harsh"),
    ("That first touch was embarrassing.", "harsh"),
    ("Sam's defending was a disgrace.", "harsh"),
    ("Stupid mistakes cost the team.", "harsh"),
    ("Sam looked hopeless against the press.", "harsh"),
    ("Sam should be ashamed of those 3 sprints.", "harsh"),
    ("Honestly, Sam was rubbish on the ball.", "harsh"),
    ("Sam let the team down with that effort.", "harsh"),
    ("Sam's passing was poor and sloppy.", "harsh"),  # youth-only put-downs
    ("Sam was too soft in the tackle.", "harsh"),
    # medical
    ("Sam may have tendinitis in the knee.", "medical"),
    ("This looks like a sprain, Sam.", "medical"),
    ("Sam might have a stress fracture.", "medical"),
    ("Be careful with that ACL.", "medical"),
    ("Sam showed signs of a concussion.", "medical"),
    ("Probably Osgood-Schlatter, common at this age.", "medical"),
    ("Take ibuprofen before training.", "medical"),
    ("A painkiller will help with the soreness.", "medical"),
    ("You have a hamstring strain, Sam.", "medical"),
    ("Sam is injured and should rest for 2 weeks.", "medical"),
    ("Rest for three weeks and then come back.", "medical"),
    ("I would diagnose this as shin splints.", "medical"),
    ("Ice the sore knee after every session.", "medical"),
    # personal data
    ("Sam Taylor ran 5.2 km.", "personal_data"),
    ("Send the report to sam.taylor@example.com.", "personal_data"),
    ("Call Sam's dad on 07700 900123.", "personal_data"),
    ("Sam lives at 12 Oak Road.", "personal_data"),
    ("Sam was born on 03/04/2011.", "personal_data"),
    ("Great to see St Mary's School represented by Sam.", "personal_data"),
    ("Sam is only 13 years old but ran 5.2 km.", "personal_data"),
    ("Mia O'Connor had 7 sprints.", "personal_data"),
    ("Contact +44 20 7946 0958 for details.", "personal_data"),
]

GOOD = [
    "Sam ran 5.2 km, 0.4 km more than last session.",
    "Quick feet in the box, Sam!",
    "Strong finish: Sam's top speed was 24.1 km/h.",
    "Sam made 7 sprints above 20 km/h.",
    "Your training load is 1.6 times the usual, so talk to your physio before the next hard session.",
    "Check with your physio or coach if anything feels off.",
    "Keep scanning before you receive the ball.",
    "Great weight of pass into the channel.",
    "A soft first touch set up the chance.",
    "Work on: recovery runs after losing the ball; first touch under pressure.",
    "Well done Mia, 12 high-intensity runs in the first half.",
    "You have improved your top speed since last week.",
    "Try: Rondo 4v2, Cone weave.",
    "Shift your weight on your front foot when you shoot.",
    "The team covered 48.3 km in total, a big step up.",
]


@pytest.mark.parametrize("text,category", BAD_YOUTH)
def test_bad_youth_outputs_are_caught_with_the_right_category(text, category):
    found = check(text, youth=True, allowed_names=NAMES)
    assert found, f"not caught: {text!r}"
    assert category in {v.category for v in found}, (text, found)
    assert not is_safe(text, youth=True, allowed_names=NAMES)


def test_the_list_is_long_enough_and_covers_every_category():
    assert len(BAD_YOUTH) >= 30
    assert {c for _, c in BAD_YOUTH} == set(CATEGORIES)


@pytest.mark.parametrize("text", GOOD)
def test_good_coaching_passes_for_youth_and_adult_profiles(text):
    # the filter only judges (it never rewrites), so passing is both answers: no violations, and is_safe
    for youth in (True, False):
        assert check(text, youth=youth, allowed_names=NAMES) == []
        assert is_safe(text, youth=youth, allowed_names=NAMES)


def test_violation_records_the_matched_phrase():
    found = check("Sam was LAZY and needs a Diet.", youth=True, allowed_names=NAMES)
    assert Violation("harsh", "LAZY") in found
    assert Violation("body", "Diet") in found


def test_surname_only_after_an_allowed_first_name():
    assert check("Sam Taylor scored.", youth=True, allowed_names={"Sam"})
    assert check("Well done Sam. Great pressing.", youth=True, allowed_names={"Sam"}) == []
    # without the name in the allowed set, a capitalised pair is not taken for a surname
    assert check("Sam Taylor scored.", youth=True, allowed_names=set()) == []


# ---- adult profiles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,category",
    [
        ("Lose weight over the break.", "body"),
        ("Your body fat is too high.", "body"),
        ("You have tendinitis; take ibuprofen.", "medical"),
        ("Rest for 2 weeks.", "medical"),
        ("That was a pathetic effort.", "harsh"),
        ("Worst first touch on the pitch.", "harsh"),
        ("Sam Taylor ran 9.8 km.", "personal_data"),
        ("He is 34 years old.", "personal_data"),
    ],
)
def test_adult_profiles_still_check_body_medical_harsh_and_personal_data(text, category):
    assert category in {v.category for v in check(text, youth=False, allowed_names=NAMES)}


@pytest.mark.parametrize(
    "text",
    [
        "Poor first touch in the second half.",
        "Sam was a bit slow to react; weak side defending needs work.",
        "Sam is tall enough to attack the back post.",
    ],
)
def test_milder_wording_is_youth_only(text):
    assert check(text, youth=False, allowed_names=NAMES) == []
    assert check(text, youth=True, allowed_names=NAMES) != []
