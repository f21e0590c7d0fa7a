"""Player identity in the session store (issue #3): appearance rows, players, names, merges, splits, migration."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from edge_app import store as store_mod
from edge_app.errors import AxolotlError
from edge_app.identity import stitch, stitch_session
from edge_app.store import SessionStore, schema_version
from edge_app.vision.detections import Detections

RED = np.zeros(68, np.float32)
RED[3] = 1.0
BLUE = np.zeros(68, np.float32)
BLUE[40] = 1.0


def dets(rows):
    """rows: (track_id, x_centre, y_bottom, height)"""
    if not rows:
        return Detections.empty()
    xyxy = np.array([(x - h / 4, y - h, x + h / 4, y) for _, x, y, h in rows], np.float32)
    return Detections(xyxy, np.full(len(rows), 0.9, np.float32), np.zeros(len(rows), np.int32),
                      tracker_id=np.array([r[0] for r in rows], np.int64))


def record(s: SessionStore, script: dict[int, list], n: int, fps: float = 10.0, hist_every: int | None = 2, end=True) -> str:
    """script: frame -> rows; hist: track 1, 2 red, 3 blue, 4 red."""
    sid = s.start_session("synthetic", fps=fps, frame_size=(800, 600))
    colour = {1: RED, 2: RED, 3: BLUE, 4: RED}
    for f in range(n):
        rows = script.get(f, [])
        app = {r[0]: colour[r[0]] for r in rows} if hist_every and f % hist_every == 0 else None
        s.add_frame(sid, f, f / fps, dets(rows), appearance=app)
    if end:
        s.end_session(sid)
    return sid


def scenario():
    """Track 1 walks frames 0-29, vanishes 2 s, comes back as track 2 (frames 50-79) nearby, same
    shirt; track 3 (blue) is seen all along elsewhere; track 4 (red) appears at frame 90, far away."""
    script = {}
    for f in range(100):
        rows = []
        if f < 30:
            rows.append((1, 100 + 2 * f, 400, 100))
        if 50 <= f < 80:
            rows.append((2, 170 + 2 * (f - 50), 400, 100))
        rows.append((3, 600, 300, 80))
        if f >= 90:
            rows.append((4, 700, 500, 120))
        script[f] = rows
    return script


def test_appearance_rows_and_fragments(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        assert s.write_stats["appearance"] == 15 + 15 + 50 + 5
        frags = {f.track_id: f for f in s.fragments(sid)}
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
        groups = stitch_session(s, sid)
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
        stitch_session(s, sid)
        key = s.name_player(sid, 2, "Sam")  # a track of the stitched player
        assert s.name_player(sid, "track-3", "Alex").startswith("player-")
        # the coach knows track 4 is Sam too (too far for the stitcher)
        assert s.merge_tracks(sid, [4, 1]) == key
        sam = next(p for p in s.players(sid) if p["name"] == "Sam")
        assert sam["track_ids"] == [1, 2, 4] and sam["ids_merged"] == 2 and sam["source"] == "manual"
        # re-stitching (even with groups that contradict the coach) keeps the manual edits
        s.assign_players(sid, [[1], [2, 3], [4]])
        stitch_session(s, sid)
        by_name = {p["name"]: p for p in s.players(sid)}
        assert by_name["Sam"]["track_ids"] == [1, 2, 4]
        assert by_name["Alex"]["track_ids"] == [3]
        s.name_player(sid, key, "Samuel")
        assert {p["name"] for p in s.players(sid)} == {"Samuel", "Alex"}


def test_stitched_groups_are_replaced_but_join_a_coach_player(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        s.name_player(sid, 1, "Sam")  # named before any stitching: track 1 alone
        stitch_session(s, sid)  # stitching finds 1 -> 2: track 2 joins Sam
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
        frags = {f.track_id: f for f in s.fragments(sid)}
        assert frags[1].samples == 10 and frags[5].samples == 5
        assert s.cannot_link(sid) == [(1, 5)]
        # the stitcher would re-join 1 and 5 (same shirt, adjacent), but the split forbids it
        assert [1, 5] in [g[:2] for g in stitch(s.fragments(sid), fps=10)]
        groups = stitch_session(s, sid)
        g = {t: k for k, grp in enumerate(groups) for t in grp}
        assert g[1] != g[5]
        assert s.split_track(sid, 5, 25) == 6  # ids keep growing
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM appearance WHERE track_id = 6").fetchone()[0] == 2  # frames 26, 28
    assert conn.execute("SELECT track_id, at_frame, new_track_id FROM track_splits ORDER BY id").fetchall() == [(1, 20, 5), (5, 25, 6)]
    conn.close()


def test_split_refused_while_running(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100, end=False)
        with pytest.raises(AxolotlError, match="still running"):
            s.split_track(sid, 1, 10)


def test_migration_from_v1_keeps_data(tmp_path, monkeypatch):
    path = tmp_path / "v1.db"
    with monkeypatch.context() as m:
        m.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:1])
        with SessionStore(path) as s:
            sid = record(s, scenario(), 100, hist_every=None)  # v1 had no appearance
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    before = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("sessions", "frames", "tracks")}
    before["detections"] = conn.execute("SELECT * FROM detections ORDER BY id").fetchall()
    assert "players" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with SessionStore(path) as s:
        assert schema_version() >= 2  # v1 -> every later step
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
        for t, rows in before.items():
            order = "id" if t == "detections" else "1, 2"
            assert conn.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall() == rows, t
        conn.close()
        # the old session works with the new features (no histograms: stitched on motion only)
        assert all(f.hist is None for f in s.fragments(sid))
        s.name_player(sid, 3, "Alex")
        assert any(p["name"] == "Alex" for p in s.players(sid))
