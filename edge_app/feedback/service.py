"""Feedback for a stored session: insights (our numbers) → drills (the library) → words (LLM or template).

The result is stored in the session's summary (`summary.feedback`), so the summary that
is synced to the cloud carries it.
"""

from __future__ import annotations

import logging

from edge_app.errors import AxolotlError
from edge_app.feedback.drill_choice import age_band, choose_drills_with_reasons
from edge_app.feedback.drills import DrillLibrary
from edge_app.feedback.gate import GatedWriter
from edge_app.feedback.insights import derive_insights
from edge_app.feedback.llm import FeedbackWriter
from edge_app.home import data_dir
from edge_app.timeutil import utc_now_iso

log = logging.getLogger(__name__)

YOUTH = {"u13", "u15", "u17"}


def _first_names(summary: dict) -> set[str]:
    """Names the coach gave (labels that are not our player-N / track-N keys)."""
    return {p["player"] for p in summary["players"] if not p["player"].startswith(("player-", "track-"))}


def history_for(store, summary: dict) -> list[dict]:
    """Earlier sessions' summaries on this box, oldest first (trends, load)."""
    earlier = [
        s for s in store.list_sessions() if s["started_at"] < summary["started_at"] and s["status"] == "completed"
    ]
    out = []
    for s in sorted(earlier, key=lambda s: s["started_at"]):
        past = store.get_summary(s["id"])
        if past is not None:
            out.append(past)
    return out


def generate_feedback(
    store,
    session_id: str,
    *,
    player: str | None = None,
    writer: FeedbackWriter | None = None,
    on_token=None,
    on_entry=None,
) -> dict:
    """Word the feedback for the team and each player (or one `player`) and store it in the summary.

    `on_token(piece)` gets the LLM's text as it streams; `on_entry(entry)` each finished, validated entry."""
    sid = store.resolve_id(session_id)
    summary = store.get_summary(sid)
    if summary is None:
        raise AxolotlError(f"session {session_id} has no summary yet; run `axolotl-edge analyze` to the end first")
    names = [p["player"] for p in summary["players"]]
    if player is not None and player not in names:
        raise AxolotlError(f"no player '{player}' in session {sid[:8]}; players: {', '.join(names) or 'none'}")
    writer = GatedWriter(writer or FeedbackWriter())  # the model's words only when it passed the quality gate
    targets = [player] if player else ["team", *names]
    feedback = word_feedback(
        store, summary, targets, writer, old=summary.get("feedback"), on_token=on_token, on_entry=on_entry
    )
    summary["feedback"] = feedback
    store.save_summary(sid, summary, enqueue=True)  # the cloud gets the summary with its feedback
    return feedback


def word_feedback(
    store, summary: dict, targets: list[str], writer, *, old: dict | None = None, on_token=None, on_entry=None
) -> dict:
    """The feedback for `targets` ("team" and player labels) of a summary, not stored; entries of
    `old` (a stored feedback) for other players are kept."""
    names = [p["player"] for p in summary["players"]]
    profile = summary["profile"]["name"]
    youth = profile in YOUTH
    facts = derive_insights(summary, history_for(store, summary))
    library = DrillLibrary(data_dir() / "drills.db")
    drills = choose_drills_with_reasons(facts, library, age_band(profile))
    allowed = _first_names(summary)

    def worded(who: str) -> dict:
        mine = [f for f in facts if f.player == who]
        chosen = drills.get(who, [])
        w = writer.word(who, mine, chosen, youth=youth, allowed_names=allowed, on_token=on_token)
        return {
            "player": who,
            "text": w.text,
            "source": w.source,
            "fallback_reason": w.fallback_reason,
            "facts": [{"id": f.id, "kind": f.kind, "kpi": f.kpi, "text": f.text, "numbers": f.numbers} for f in mine],
            "drills": [{"id": d.id, "name": d.name, "minutes": d.minutes, "reason": d.reason} for d in chosen],
        }

    entries = {}
    for who in targets:
        entries[who] = worded(who)
        if on_entry is not None:
            on_entry(entries[who])
    old = old or {}
    players = {e["player"]: e for e in old.get("players", [])}
    players.update({k: v for k, v in entries.items() if k != "team"})
    return {
        "generated_at": utc_now_iso("seconds"),
        "model": writer.model_name,
        "model_unavailable": writer.unavailable_reason,
        # which words the coach reads (a writer without a gate, such as carry's, words with the template)
        "wording": {
            "model": getattr(writer, "use_model", False),
            "note": writer.note() if hasattr(writer, "note") else "Wording: built-in sentences.",
        },
        "youth_safety": youth,
        "team": entries.get("team", old.get("team")),
        "players": [players[n] for n in names if n in players],
    }
