"""The coach's corrections to a stored session (name, merge, split), then its summary rebuilt.

`resummarize` is the one "edit, then re-summarise" step: the CLI's `players` command and the
kiosk's players and live screens call it after an edit. It keeps the calibration and profile the
summary was made with, does not stitch (that would undo the edits), and carries the stored
feedback across the edit (edge_app.feedback.carry), so the summary that syncs never loses it.
"""

from __future__ import annotations

from edge_app.feedback.carry import carry_feedback
from edge_app.report import build_summary, summary_calibration, summary_profile


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
