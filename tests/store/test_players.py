"""Player identity in the session store (issue #3): appearance rows, players, names, merges, splits."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.identity import stitch, stitch_session
from edge_app.positions.session import read_positions
from edge_app.store import SessionStore
from tests.store.helpers import BLUE, RED, record, scenario, stored_fragments


def test_appearance_rows_and_fragments(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        assert s.write_stats["appearance"] == 15 + 15 + 50 + 5
        frags = {f.track_id: f for f in stored_fragments(s, sid)}
        assert set(frags) == {1, 2, 3, 4}
        f1 = frags[1]
        assert (f1.first_frame, f1.last_frame, f1.frames, f1.samples) == (0, 29, 30, 15)
        assert f1.last_t == pytest.approx(2.9) and f1.last_point == pytest.approx((158, 400))
        assert f1.first_height == pytest.approx(100) and np.allclose(f1.hist, RED)
        assert np.allclose(frags[3].hist, BLUE)


def test_stitch_session_and_players(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        assert [p["player"] for p in s.players(sid)] == ["track-1", "track-3", "track-2", "track-4"]
        groups = stitch_session(s, sid, read_positions(s, sid))
        assert sorted(map(sorted, groups)) == [[1, 2], [3], [4]]
        players = s.players(sid)
        assert len(players) == 3
        p12 = next(p for p in players if p["track_ids"] == [1, 2])
        assert p12["ids_merged"] == 1 and p12["source"] == "stitch" and p12["player"].startswith("player-")
        assert s.player_map(sid)[2] == p12["player"]
        assert s.player_map(sid)[3] == "track-3"


def test_name_merge_and_manual_edits_survive_restitching(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        stitch_session(s, sid, read_positions(s, sid))
        key = s.name_player(sid, 2, "Sam")  # a track of the stitched player
        assert s.name_player(sid, "track-3", "Alex").startswith("player-")
        # the coach knows track 4 is Sam too (too far for the stitcher)
        assert s.merge_tracks(sid, [4, 1]) == key
        sam = next(p for p in s.players(sid) if p["name"] == "Sam")
        assert sam["track_ids"] == [1, 2, 4] and sam["ids_merged"] == 2 and sam["source"] == "manual"
        # re-stitching (even with groups that contradict the coach) keeps the manual edits
        s.assign_players(sid, [[1], [2, 3], [4]])
        stitch_session(s, sid, read_positions(s, sid))
        by_name = {p["name"]: p for p in s.players(sid)}
        assert by_name["Sam"]["track_ids"] == [1, 2, 4]
        assert by_name["Alex"]["track_ids"] == [3]
        s.name_player(sid, key, "Samuel")
        assert {p["name"] for p in s.players(sid)} == {"Samuel", "Alex"}


def test_stitched_groups_are_replaced_but_join_a_coach_player(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        s.name_player(sid, 1, "Sam")  # named before any stitching: track 1 alone
        stitch_session(s, sid, read_positions(s, sid))  # stitching finds 1 -> 2: track 2 joins Sam
        sam = next(p for p in s.players(sid) if p["name"] == "Sam")
        assert sam["track_ids"] == [1, 2]
        s.assign_players(sid, [])  # a stitching that links nothing takes back only its own rows
        sam = next(p for p in s.players(sid) if p["name"] == "Sam")
        assert sam["track_ids"] == [1]
        assert len(s.players(sid)) == 4


def test_merge_refuses_tracks_seen_together_and_unknown_tracks(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        with pytest.raises(AxolotlError, match="both seen in frame 0"):
            s.merge_tracks(sid, [1, 3])
        with pytest.raises(AxolotlError, match="no player track 99"):
            s.merge_tracks(sid, [1, 99])
        assert all(p["ids_merged"] == 0 for p in s.players(sid))


def test_split_relabels_rows_and_is_not_restitched(tmp_path):
    path = tmp_path / "a.db"
    with SessionStore(path) as s:
        sid = record(s, scenario(), 100)
        with pytest.raises(AxolotlError, match="from frame 0 to 29"):
            s.split_track(sid, 1, 30)
        new = s.split_track(sid, 1, 20)  # an id switch at frame 20
        assert new == 5
        for fr in s.frames(sid):
            ids = set(fr.detections.tracker_id.tolist()) if fr.detections.tracker_id is not None else set()
            if fr.frame < 20:
                assert 1 in ids and 5 not in ids
            elif fr.frame < 30:
                assert 5 in ids and 1 not in ids
        tracks = {t["track_id"]: t for t in s.get_session(sid)["tracks"]}
        assert (tracks[1]["first_frame"], tracks[1]["last_frame"], tracks[1]["frames_seen"]) == (0, 19, 20)
        assert (tracks[5]["first_frame"], tracks[5]["last_frame"], tracks[5]["frames_seen"]) == (20, 29, 10)
        assert tracks[5]["first_t"] == pytest.approx(2.0)
        frags = {f.track_id: f for f in stored_fragments(s, sid)}
        assert frags[1].samples == 10 and frags[5].samples == 5
        assert s.cannot_link(sid) == [(1, 5)]
        # the stitcher would re-join 1 and 5 (same shirt, adjacent), but the split forbids it
        assert [1, 5] in [g[:2] for g in stitch(stored_fragments(s, sid), fps=10)]
        groups = stitch_session(s, sid, read_positions(s, sid))
        g = {t: k for k, grp in enumerate(groups) for t in grp}
        assert g[1] != g[5]
        assert s.split_track(sid, 5, 25) == 6  # ids keep growing
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM appearance WHERE track_id = 6").fetchone()[0] == 2  # frames 26, 28
    assert conn.execute("SELECT track_id, at_frame, new_track_id FROM track_splits ORDER BY id").fetchall() == [
        (1, 20, 5),
        (5, 25, 6),
    ]
    conn.close()


def test_split_refused_while_running(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100, end=False)
        with pytest.raises(AxolotlError, match="still running"):
            s.split_track(sid, 1, 10)


def test_the_roster_is_stored_with_the_session_and_gives_the_summary_its_players(tmp_path):
    from edge_app.identity import roster_from_dict
    from edge_app.report import summarize_session, team_totals

    path = tmp_path / "a.db"
    with SessionStore(path) as s:
        sid = record(s, scenario(), 100)
        assert s.roster(sid) == []
        # Without a roster: 1-2 (stitched) and 4 (7.9 m in 1.1 s after 2: motion capped at 1, 1.0 + the same
        # shirt <= 1.2, the stop) are one; 3 is seen with everyone.
        assert sorted(p["track_ids"] for p in summarize_session(s, sid)["players"]) == [[1, 2, 4], [3]]
        two = roster_from_dict({"players": ["Sam", "Alex"]})
        summary = summarize_session(s, sid, roster=two)
        # A roster of 2 without colours: the same two. Two players, by first sighting then index.
        assert [(p["player"], p["track_ids"], p["role"]) for p in summary["players"]] == [
            ("Player 1", [1, 2, 4], "player"),
            ("Player 2", [3], "player"),
        ]
        # The coach names 3: re-summarising (the stored roster is used) keeps the name on its cluster.
        s.name_player(sid, 3, "Alex")
        summary = summarize_session(s, sid)
        assert {p["player"]: p["track_ids"] for p in summary["players"]} == {"Player 1": [1, 2, 4], "Alex": [3]}
        # A roster of 1: the most seen (3, all along) is the player, 1-2-4 someone else, out of the totals.
        summary = summarize_session(s, sid, roster=roster_from_dict({"players": ["Alex"]}))
        roles = {tuple(p["track_ids"]): (p["player"], p["role"]) for p in summary["players"]}
        assert roles[(3,)] == ("Alex", "player") and roles[(1, 2, 4)][1] == "other"
        assert team_totals(summary)["players"] == 1
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT idx, name, team, team_colour, colour, number FROM roster").fetchall() == [
        (0, "Alex", None, None, None, None)
    ]
    conn.close()
