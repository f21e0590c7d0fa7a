"""Feedback across a coach's edit: a summary rebuilt after a rename, merge or split keeps its feedback.

- Rename (every player keeps its tracks and figures, only labels change): the stored words are
  still true, so they are kept and the names in them follow the new labels.
- Merge or split (the players' figures changed): the stored words quote numbers of players that
  no longer exist, so the entries are re-worded from the new summary's facts with the template
  and the feedback is marked `regenerated_after_edit` (what was replaced, and why). The template
  takes milliseconds and says only the facts; the LLM takes tens of seconds and a model load on
  the box, too long for an edit the coach waits on (the CLI blocks, the kiosk shows "updating"),
  so LLM wording stays the coach's to ask for again (`axolotl-edge feedback`, "Write feedback").

Either way the rebuilt summary is stored, and enqueued for the cloud, with its feedback.
"""

from __future__ import annotations

import copy
import json
import re

from edge_app.feedback.facts import fact_slug
from edge_app.feedback.service import word_feedback
from edge_app.feedback.wording import Worded, template
from edge_app.timeutil import utc_now_iso

REGENERATED = "re-worded from the template after players were merged or split"


class TemplateWriter:
    """A writer for `word_feedback` that words facts with the template only: instant, no model."""

    model_name = None
    unavailable_reason = None

    def word(self, player: str, facts, drills=(), *, youth: bool, allowed_names=None, on_token=None) -> Worded:
        return Worded(template(player, facts, drills), "template", REGENERATED)


def carry_feedback(store, old: dict, new: dict) -> dict | None:
    """The feedback for `new` (a summary rebuilt after an edit, not stored yet) from `old`'s."""
    feedback = old.get("feedback")
    if not feedback:
        return None
    before = {_figures(p): p["player"] for p in old["players"]}
    after = {_figures(p): p["player"] for p in new["players"]}
    if before.keys() == after.keys():
        return renamed(
            feedback,
            {before[k]: after[k] for k in before if before[k] != after[k]},
            [p["player"] for p in new["players"]],
        )
    return _regenerated(store, feedback, old, new)


def _figures(player: dict) -> str:
    """A player's figures without its label: equal before and after an edit that only renamed."""
    return json.dumps({k: v for k, v in player.items() if k != "player"}, sort_keys=True)


def renamed(feedback: dict, names: dict[str, str], order: list[str]) -> dict:
    """The feedback with players' labels replaced (`names`: old label -> new), in its words too."""
    out = copy.deepcopy(feedback)
    if not names:
        return out
    # One pass over all old labels, so that a swap (A->B, B->A) cannot rename twice.
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")(?!\w)")
    slugs = {fact_slug(a): fact_slug(b) for a, b in names.items()}

    def entry(e: dict) -> dict:
        e["player"] = names.get(e["player"], e["player"])
        e["text"] = pattern.sub(lambda m: names[m.group(1)], e["text"])
        for f in e.get("facts", []):
            f["text"] = pattern.sub(lambda m: names[m.group(1)], f["text"])
            head, dot, rest = f["id"].partition(".")
            if dot and head in slugs:
                f["id"] = f"{slugs[head]}.{rest}"
        return e

    if out.get("team"):
        out["team"] = entry(out["team"])
    players = {e["player"]: e for e in map(entry, out.get("players", []))}
    out["players"] = [players[n] for n in order if n in players]
    return out


def _regenerated(store, feedback: dict, old: dict, new: dict) -> dict:
    covered = {e["player"] for e in feedback.get("players", [])}
    old_tracks = {t for p in old["players"] for t in p["track_ids"]}
    covered_tracks = {t for p in old["players"] if p["player"] in covered for t in p["track_ids"]}
    # A new player descends from a covered one (merge), or holds a track the old summary did not (split).
    targets = [
        p["player"]
        for p in new["players"]
        if set(p["track_ids"]) & covered_tracks or not set(p["track_ids"]) <= old_tracks
    ]
    if feedback.get("team"):
        targets.insert(0, "team")
    out = word_feedback(store, new, targets, TemplateWriter())
    out["regenerated_after_edit"] = {
        "at": utc_now_iso("seconds"),
        "reason": REGENERATED,
        "replaced": {"generated_at": feedback.get("generated_at"), "model": feedback.get("model")},
    }
    return out
