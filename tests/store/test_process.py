"""Process liveness: a session is `running` only while the very process that wrote it lives."""

from __future__ import annotations

import sqlite3

import pytest

from edge_app.store import SessionStore
from edge_app.store import process as process_mod


def test_reused_pid_with_another_start_time_is_not_the_writer(tmp_path):
    path = tmp_path / "a.db"
    s = SessionStore(path)
    sid = s.start_session(source="x", config={}, models={})
    s.close()
    conn = sqlite3.connect(path)
    with conn:  # our own pid, but another process start: a reused pid
        conn.execute("UPDATE sessions SET proc_token = 'another-boot:123' WHERE id = ?", (sid,))
    conn.close()
    if not process_mod.HAVE_PROC:
        pytest.skip("process start tokens need /proc")
    with SessionStore(path) as s:
        assert s.get_session(sid)["status"] == "interrupted"
