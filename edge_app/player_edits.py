"""The coach's corrections to a stored session (name, merge, split), then its summary rebuilt.

`resummarize` is the one "edit, then re-summarise" step: the CLI's `players` command and the
kiosk's players and live screens call it after an edit. `questions` and `answer` are "who is this?":
the few links the assignment is least sure of, and the coach's answer applied as an edit; `set_role`
marks a player "other" (not a player) or a player. It keeps the calibration and profile the
summary was made with, does not stitch (that would undo the edits), and carries the stored
feedback across the edit (edge_app.feedback.carry), so the summary that syncs never loses it.
"""

from __future__ import annotations

from edge_app.feedback.carry import carry_feedback
from edge_app.report import build_summary, session_questions, summary_calibration, summary_profile

SOMEONE_ELSE = "someone-else"  # answers to "who is this?" besides a candidate's player key
NOT_A_PLAYER = "not-a-player"


def resummarize(store, session_id: str) -> dict | None:
    """Rebuild a stored summary after players were renamed, merged or split; store and enqueue it
    with its feedback. None when the session has no summary yet."""
    old = store.get_summary(session_id)
    if old is None:
        return None
    new = build_summary(
        store, session_id, calibration=summary_calibration(old), profile=summary_profile(old)
    ).to_json_dict()
    new["feedback"] = carry_feedback(store, old, new)
    # The summary and its outbox message in one transaction, as in report.summarize_session.
    return store.save_summary(session_id, new, enqueue=True)


def name_player(store, session_id: str, track_or_player, name: str) -> dict | None:
    store.name_player(session_id, track_or_player, name)
    return resummarize(store, session_id)


def merge_tracks(store, session_id: str, track_ids) -> dict | None:
    store.merge_tracks(session_id, track_ids)
    return resummarize(store, session_id)


def split_track(store, session_id: str, track_id: int, frame: int) -> dict | None:
    store.split_track(session_id, track_id, frame)
    return resummarize(store, session_id)


def set_role(store, session_id: str, track_or_player, role: str | None) -> dict | None:
    """The coach's word on a player: 'other' (not a player: one row, out of team totals), 'player', or
    None (the assignment decides)."""
    store.set_player_role(session_id, track_or_player, role)
    return resummarize(store, session_id)


def questions(store, session_id: str) -> list[dict]:
    """The open "who is this?" questions of a session (at most five, the weightiest first)."""
    return session_questions(store, session_id)


def answer(store, session_id: str, track_id: int, who: str) -> dict | None:
    """Apply the coach's answer about one track: its current player's key confirms it (pinned by a
    name, kept as it is), another candidate's key moves the track there, `SOMEONE_ELSE` gives it a
    player of its own, `NOT_A_PLAYER` too, with the role 'other' (kept out of the squad's totals through
    every later re-summary and merge). Then the summary is rebuilt."""
    current = next((p for p in store.players(session_id) if int(track_id) in p["track_ids"]), None)
    if current is not None and who == current["player"]:
        store.name_player(session_id, who if who.startswith("player-") else int(track_id), current["name"])
    elif who == SOMEONE_ELSE:
        store.move_track(session_id, track_id, None)
    elif who == NOT_A_PLAYER:
        store.set_player_role(session_id, store.move_track(session_id, track_id, None), "other")
    else:
        store.move_track(session_id, track_id, who)
    return resummarize(store, session_id)
