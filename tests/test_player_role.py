"""The coach's "Not a player" is remembered as a role (issue #16): over a real SQLite store and a real
summary, the person stays one row with role "other", out of the team's totals, through a re-summary, a
re-stitch and a merge; the Players screen's "player" undoes it."""

from __future__ import annotations

import numpy as np
import pytest

from edge_app import player_edits
from edge_app.report import summarize_session, team_totals
from edge_app.store import SessionStore
from edge_app.vision.detections import Detections

FPS = 10.0
# track id -> (first frame, last frame, x at the start, px per frame) on an 800×600 image: six people;
# 2 and 6 are never seen together (a merge is allowed), nor are 1 and 4.
TRACKS = {
    1: (0, 59, 50, 6.0),
    2: (10, 89, 60, 2.0),
    3: (10, 129, 70, 1.0),
    4: (65, 129, 700, -5.0),
    5: (10, 129, 100, 3.0),
    6: (95, 129, 400, 4.0),
}


def _dets(frame: int) -> Detections:
    rows = [(tid, x0 + v * (frame - a), 150 + 60 * tid) for tid, (a, b, x0, v) in TRACKS.items() if a <= frame <= b]
    if not rows:
        return Detections.empty()
    xyxy = np.array([(x - 20, y - 80, x + 20, y) for _, x, y in rows], np.float32)
    return Detections(
        xyxy,
        np.full(len(rows), 0.9, np.float32),
        np.zeros(len(rows), np.int32),
        tracker_id=np.array([r[0] for r in rows], np.int64),
    )


@pytest.fixture
def session(tmp_path):
    with SessionStore(tmp_path / "roles.db") as store:
        sid = store.start_session("synthetic", fps=FPS, frame_size=(800, 600))
        for f in range(130):
            store.add_frame(sid, f, f / FPS, _dets(f))
        store.end_session(sid)
        summarize_session(store, sid, stitch=False)
        yield store, sid


def _holding(summary: dict, track: int) -> dict:
    return next(p for p in summary["players"] if track in p["track_ids"])


def _totals_of(players: list[dict]) -> tuple[int, float]:
    return len(players), round(sum(p["distance"] for p in players), 1)


def test_not_a_player_is_one_other_row_out_of_team_totals_through_resummary_restitch_and_merge(session):
    store, sid = session
    before = store.get_summary(sid)
    assert len(before["players"]) == 6 and all(p["role"] == "player" for p in before["players"])
    assert team_totals(before)["players"] == 6

    after = player_edits.answer(store, sid, 2, player_edits.NOT_A_PLAYER)

    other = _holding(after, 2)
    assert other["role"] == "other" and other["track_ids"] == [2]
    assert [p["role"] for p in after["players"]].count("other") == 1 and len(after["players"]) == 6
    squad = [p for p in after["players"] if p["role"] == "player"]
    totals = team_totals(after)
    assert (totals["players"], totals["distance"]) == _totals_of(squad) and totals["players"] == 5
    assert totals["distance"] == pytest.approx(team_totals(before)["distance"] - other["distance"], abs=0.15)
    assert store.get_summary(sid) == after  # stored (and enqueued) as the summary
    assert next(p for p in store.players(sid) if 2 in p["track_ids"])["role"] == "other"

    again = player_edits.resummarize(store, sid)
    assert _holding(again, 2)["role"] == "other" and team_totals(again)["players"] == 5

    restitched = summarize_session(store, sid, stitch=True)  # a re-stitch keeps the coach's players
    assert _holding(restitched, 2)["role"] == "other"
    assert sum(p["role"] == "other" for p in restitched["players"]) == 1

    merged = player_edits.merge_tracks(store, sid, [2, 6])  # the same person, seen again later
    row = _holding(merged, 2)
    assert row["role"] == "other" and row["track_ids"] == [2, 6] and row is _holding(merged, 6)
    assert sum(p["role"] == "other" for p in merged["players"]) == 1
    totals = team_totals(merged)
    assert (totals["players"], totals["distance"]) == _totals_of([p for p in merged["players"] if p is not row])


def test_not_a_player_takes_the_fragment_out_of_its_player(session):
    store, sid = session
    player_edits.merge_tracks(store, sid, [1, 4])
    after = player_edits.answer(store, sid, 4, player_edits.NOT_A_PLAYER)
    assert _holding(after, 1)["track_ids"] == [1] and _holding(after, 1)["role"] == "player"
    assert _holding(after, 4)["track_ids"] == [4] and _holding(after, 4)["role"] == "other"


def test_someone_else_stays_in_the_squad(session):
    store, sid = session
    after = player_edits.answer(store, sid, 2, player_edits.SOMEONE_ELSE)
    assert _holding(after, 2)["role"] == "player" and team_totals(after)["players"] == 6


def test_the_coach_can_take_it_back_and_a_named_other_keeps_its_name(session):
    store, sid = session
    player_edits.set_role(store, sid, 3, "other")
    named = player_edits.name_player(store, sid, 3, "Ref")
    assert _holding(named, 3)["role"] == "other" and _holding(named, 3)["player"] == "Ref"
    back = player_edits.set_role(store, sid, 3, "player")
    assert _holding(back, 3)["role"] == "player" and team_totals(back)["players"] == 6
    with pytest.raises(Exception, match="'player' or 'other'"):
        store.set_player_role(sid, 3, "coach")
