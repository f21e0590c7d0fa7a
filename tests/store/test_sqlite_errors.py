"""Database problems a user can fix surface as one-line errors, and nothing stored is lost."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore
from tests.store.helpers import LockHolder, assert_one_line, count, digest, make_frame, populated


def test_database_locked_by_another_process(tmp_path):
    path = tmp_path / "a.db"
    sid = populated(path)
    holder = LockHolder(path, "exclusive")
    try:
        t0 = time.monotonic()
        with pytest.raises(AxolotlError) as e:
            SessionStore(path, busy_timeout=0.3)
        assert time.monotonic() - t0 < 5
        assert_one_line(e, str(path), "locked", "close the other program", "--db")
    finally:
        holder.release()
    with SessionStore(path) as s:  # once the other program is gone, everything is still there
        assert s.get_session(sid)["frames"] == 5
        assert count(path, "detections") == 15 and count(path, "meta") == 2


def test_writer_blocked_by_another_process_keeps_the_rows(tmp_path):
    path = tmp_path / "a.db"
    rng = np.random.default_rng(5)
    s = SessionStore(path, busy_timeout=0.3, flush_interval=3600)
    try:
        sid = s.start_session(source="x", config={}, models={})
        for i in range(10):
            s.add_frame(sid, i, i / 10, make_frame(rng, 2))
        holder = LockHolder(path, "immediate")
        try:
            with pytest.raises(AxolotlError) as e:
                s.flush()
            assert_one_line(e, str(path), "locked")
            with pytest.raises(AxolotlError) as e:
                s.start_session(source="y", config={}, models={})
            assert_one_line(e, "locked")
        finally:
            holder.release()
        s.end_session(sid)  # the other program is gone: the buffered rows are written now
        assert s.get_session(sid)["frames"] == 10 and count(path, "detections") == 20
    finally:
        s.close()


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my training notes, not a database\n" * 200)
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, str(path), "not a SQLite database", "--db")
    assert digest(path) == before


def test_sqlite_readonly_error_is_one_line(tmp_path):
    """SQLite's own SQLITE_READONLY (here through query_only) becomes the read-only message."""
    path = tmp_path / "a.db"
    sid = populated(path)
    with SessionStore(path) as s:
        s._conn.execute("PRAGMA query_only = 1")
        with pytest.raises(AxolotlError) as e:
            s.start_session(source="x", config={}, models={})
        assert_one_line(e, str(path), "read-only", "--db")
        s._conn.execute("PRAGMA query_only = 0")
        assert [x["id"] for x in s.list_sessions()] == [sid]
