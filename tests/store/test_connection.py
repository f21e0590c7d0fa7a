"""Opening: the path checks refuse a read-only file or folder before SQLite touches them."""

from __future__ import annotations

import os

import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore
from edge_app.store import connection as connection_mod
from tests.store.helpers import assert_one_line, digest, populated


def _fake_readonly(monkeypatch):
    """root ignores file modes: make `os.access` answer from the mode bits, as it would for a user."""
    if os.geteuid() != 0:
        return

    def access(p, mode):
        bits = os.stat(p).st_mode
        return not (mode & os.W_OK) or bool(bits & 0o200)

    monkeypatch.setattr(connection_mod.os, "access", access)


def test_read_only_file(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    populated(path)
    before = digest(path)
    path.chmod(0o444)
    _fake_readonly(monkeypatch)
    try:
        with pytest.raises(AxolotlError) as e:
            SessionStore(path)
        assert_one_line(e, str(path), "read-only", "--db")
    finally:
        path.chmod(0o644)
    assert digest(path) == before


def test_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.db"
    populated(path)
    before = digest(path)
    folder.chmod(0o555)
    _fake_readonly(monkeypatch)
    try:
        with pytest.raises(AxolotlError) as e:
            SessionStore(path)
        assert_one_line(e, str(folder), "read-only", "--db")
    finally:
        folder.chmod(0o755)
    assert digest(path) == before


def test_the_database_and_its_wal_and_shm_are_private(tmp_path):
    """Issue 13: axolotl.db and its -wal/-shm were created 0644 (session data readable by every user)."""
    import stat

    path = tmp_path / "axolotl.db"
    old = os.umask(0o022)  # the usual umask: 0644 for a file made without a mode
    try:
        with SessionStore(path) as store:
            store.start_session("test")
            files = [path, path.with_name("axolotl.db-wal"), path.with_name("axolotl.db-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
        path.chmod(0o644)  # a file an older version made: made private when opened
        with SessionStore(path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old)
