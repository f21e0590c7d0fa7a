"""Renaming players inside stored feedback (edge_app.feedback.carry.renamed): whole labels only, one pass."""

from edge_app.feedback.carry import renamed
from edge_app.feedback.gate import wording_line


def _entry(player, text, fact_text, fact_id):
    return {
        "player": player,
        "text": text,
        "source": "llm",
        "fallback_reason": None,
        "facts": [{"id": fact_id, "kind": "strength", "text": fact_text, "numbers": {"pct": 12.0}}],
        "drills": [],
    }


FEEDBACK = {
    "generated_at": "2026-01-01T10:00:00Z",
    "model": "m.gguf",
    "model_unavailable": None,
    "youth_safety": False,
    "team": _entry(
        "team", "player-1 was the fastest; player-12 sprinted most.", "player-1 was fastest.", "team.top_speed.leader"
    ),
    "players": [
        _entry(
            "player-1",
            "player-1's top speed stood out.",
            "player-1's top speed was 12 % above.",
            "player-1.top_speed.high",
        ),
        _entry(
            "player-12",
            "player-12 kept going.",
            "player-12's work rate was 12 % above.",
            "player-12.work_rate_per_min.high",
        ),
        _entry("Sam", "Sam pressed well, Samuel did not.", "Sam's sprints were 12 % above.", "sam.sprint_count.high"),
    ],
}


def test_a_label_is_replaced_only_where_it_stands_whole():
    out = renamed(FEEDBACK, {"player-1": "Ana"}, ["Ana", "player-12", "Sam"])
    assert out["team"]["text"] == "Ana was the fastest; player-12 sprinted most."
    ana = out["players"][0]
    assert (ana["player"], ana["text"]) == ("Ana", "Ana's top speed stood out.")
    assert (
        ana["facts"][0]["text"] == "Ana's top speed was 12 % above." and ana["facts"][0]["id"] == "ana.top_speed.high"
    )
    assert out["players"][1:] == FEEDBACK["players"][1:]
    assert FEEDBACK["players"][0]["player"] == "player-1"  # the stored feedback itself is not changed


def test_swapped_names_are_renamed_once_and_follow_the_summary_order():
    out = renamed(FEEDBACK, {"player-12": "Sam", "Sam": "player-12"}, ["player-1", "Sam", "player-12"])
    assert [e["player"] for e in out["players"]] == ["player-1", "Sam", "player-12"]
    assert (
        out["players"][1]["text"] == "Sam kept going."
        and out["players"][2]["text"] == "player-12 pressed well, Samuel did not."
    )
    assert out["team"]["text"] == "player-1 was the fastest; Sam sprinted most."


def test_no_rename_keeps_it_as_it_was():
    assert renamed(FEEDBACK, {}, ["player-1", "player-12", "Sam"]) == FEEDBACK


def test_the_wording_line_says_who_wrote_the_words_on_screen():
    assert wording_line(FEEDBACK) is None  # stored before the gate, in the model's words: nothing to add
    assert "no language model" in wording_line({**FEEDBACK, "model": None})
    gated = {**FEEDBACK, "wording": {"model": True, "note": "Wording: the language model m.gguf (it passed 5 of 6)"}}
    assert wording_line(gated) == gated["wording"]["note"]
    # after a merge the template re-worded it although a model is installed: say that, not "no model"
    regenerated = {**gated, "model": None, "regenerated_after_edit": {"at": "2026-01-01T10:05:00Z"}}
    assert "merged or split" in wording_line(regenerated) and "no language model" not in wording_line(regenerated)
