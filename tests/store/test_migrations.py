"""Migrations: a v0 file is made current, another program's or a newer database is left untouched, later steps run once."""

from __future__ import annotations

import sqlite3

import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore, schema_version
from edge_app.store import migrations as migrations_mod
from tests.store.helpers import (
    assert_one_line,
    count,
    digest,
    populated,
    raw,
    record,
    scenario,
    stored_fragments,
    user_version,
)


def test_migrates_an_empty_v0_file(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")  # a 0-byte file is an empty SQLite database at version 0
    with SessionStore(path) as s:
        assert user_version(path) == schema_version() >= 1
        assert s.list_sessions() == []
        device = s.device_id
        conn = raw(path)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        finally:
            conn.close()
        assert {"meta", "sessions", "frames", "detections", "pose_samples", "tracks"} <= names
        assert {"idx_detections_session_frame", "idx_detections_session_track"} <= indexes
    with SessionStore(path) as s:
        assert s.device_id == device  # made once per database


def test_refuses_a_v0_database_of_another_program(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE sessions (x)")
        conn.execute("INSERT INTO sessions VALUES (42)")
    conn.close()
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, "another program", "--db")
    assert digest(path) == before


def test_refuses_a_newer_schema_and_leaves_it_untouched(tmp_path):
    path = tmp_path / "a.db"
    populated(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 5}")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, str(path), "newer", f"v{schema_version() + 5}", "upgrade")
    assert digest(path) == before
    assert count(path, "detections") == 15


def test_later_migration_steps_run_in_order_and_keep_data(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    sid = populated(path)
    v = migrations_mod.schema_version()  # the current version, before the extra step
    seen = []

    def step_add_column(conn):
        seen.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("ALTER TABLE sessions ADD COLUMN note TEXT")

    monkeypatch.setattr(migrations_mod, "MIGRATIONS", [*migrations_mod.MIGRATIONS, step_add_column])
    with SessionStore(path) as s:
        assert seen == [v]  # run once, from the current version
        assert user_version(path) == v + 1
        got = s.get_session(sid)
        assert got["frames"] == 5 and got["note"] is None
    with SessionStore(path):
        assert seen == [v]  # not again


def test_migration_from_v1_keeps_data(tmp_path, monkeypatch):
    path = tmp_path / "v1.db"
    with monkeypatch.context() as m:
        m.setattr(migrations_mod, "MIGRATIONS", migrations_mod.MIGRATIONS[:1])
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
        assert all(f.hist is None for f in stored_fragments(s, sid))
        s.name_player(sid, 3, "Alex")
        assert any(p["name"] == "Alex" for p in s.players(sid))


def test_a_v5_database_with_players_opens_upgraded_and_takes_roles(tmp_path, monkeypatch):
    """v6 adds the coach's role to players: a v5 file keeps its players and names, their role unset."""
    path = tmp_path / "v5.db"
    with monkeypatch.context() as m:
        m.setattr(migrations_mod, "MIGRATIONS", migrations_mod.MIGRATIONS[:5])
        with SessionStore(path) as s:
            sid = record(s, scenario(), 100)
            s.assign_players(sid, [[1, 2]])  # what v5's code wrote: no role anywhere
            s.name_player(sid, 3, "Alex")
    assert user_version(path) == 5
    conn = raw(path)
    assert "role" not in {r[1] for r in conn.execute("PRAGMA table_info(players)")}
    before = conn.execute("SELECT player_id, name, source FROM players ORDER BY player_id").fetchall()
    conn.close()
    with SessionStore(path) as s:
        assert user_version(path) == schema_version() >= 6
        conn = raw(path)
        rows = conn.execute("SELECT player_id, name, source, role FROM players ORDER BY player_id").fetchall()
        conn.close()
        assert rows == [(*r, None) for r in before]
        after = {tuple(p["track_ids"]): (p["name"], p["role"]) for p in s.players(sid)}
        assert after == {(1, 2): (None, None), (3,): ("Alex", None), (4,): (None, None)}
        key = s.set_player_role(sid, 4, "other")
        assert next(p for p in s.players(sid) if p["player"] == key) == {
            "player": key,
            "name": None,
            "track_ids": [4],
            "source": "manual",
            "role": "other",
            "ids_merged": 0,
        }
        with pytest.raises(AxolotlError, match="'player' or 'other'"):
            s.set_player_role(sid, 4, "referee")
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError):  # the schema itself refuses any other role
            conn.execute("UPDATE players SET role = 'referee'")
    finally:
        conn.close()
