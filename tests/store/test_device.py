"""The device id read without opening a store: nothing created, migrated, recovered or started."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore, ensure_device_id, read_device_id
from edge_app.store import migrations as migrations_mod
from edge_app.store import process as process_mod
from tests.store.helpers import LockHolder, assert_one_line, digest, populated, raw, user_version


def status_of(path, sid) -> str:
    conn = raw(path)
    try:
        return conn.execute("SELECT status FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
    finally:
        conn.close()


def v1_file_with_a_dead_writer(path, monkeypatch) -> tuple[str, str]:
    """A schema-v1 database holding a session left `running` by a process that is gone."""
    if not process_mod.HAVE_PROC:
        pytest.skip("process start tokens need /proc")
    with monkeypatch.context() as m:
        m.setattr(migrations_mod, "MIGRATIONS", migrations_mod.MIGRATIONS[:1])
        s = SessionStore(path)
        device, sid = s.device_id, s.start_session(source="x", config={}, models={})
        s.close()  # the session stays `running`
    conn = sqlite3.connect(path)
    with conn:  # our pid, another process start: its writer is gone
        conn.execute("UPDATE sessions SET proc_token = 'another-boot:123' WHERE id = ?", (sid,))
    conn.close()
    return device, sid


def test_no_database_yet_is_none_and_nothing_is_created(tmp_path):
    path = tmp_path / "not-yet" / "axolotl.db"
    assert read_device_id(path) is None
    assert not path.parent.exists()


def test_an_empty_file_is_none_and_stays_empty(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    assert read_device_id(path) is None
    assert path.read_bytes() == b"" and user_version(path) == 0


def test_reads_the_id_the_store_made_while_it_is_open_and_after(tmp_path):
    path = tmp_path / "a.db"
    with SessionStore(path) as s:
        assert read_device_id(path) == s.device_id  # the id may still be only in the WAL here
        device = s.device_id
    assert read_device_id(str(path)) == device
    assert len(device) == 36 and device.count("-") == 4


def test_reading_migrates_recovers_and_starts_nothing(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    device, sid = v1_file_with_a_dead_writer(path, monkeypatch)
    before, threads = digest(path), set(threading.enumerate())
    assert read_device_id(path) == device
    assert set(threading.enumerate()) == threads  # no writer thread
    assert digest(path) == before and user_version(path) == 1  # not migrated, not written
    assert status_of(path, sid) == "running"  # not recovered
    with SessionStore(path) as s:  # a whole store does all three: the checks above can fail
        assert s.device_id == device
    assert user_version(path) == migrations_mod.schema_version() and status_of(path, sid) == "interrupted"


def test_ensure_reads_an_existing_id_without_opening_a_store(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    device, sid = v1_file_with_a_dead_writer(path, monkeypatch)
    assert ensure_device_id(path) == device
    assert user_version(path) == 1 and status_of(path, sid) == "running"


def test_ensure_makes_the_database_and_its_id_once(tmp_path):
    path = tmp_path / "new" / "axolotl.db"
    device = ensure_device_id(path)
    assert path.exists() and user_version(path) == migrations_mod.schema_version()
    assert read_device_id(path) == device == ensure_device_id(path)
    with SessionStore(path) as s:
        assert s.device_id == device


def test_another_programs_database_has_no_id(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE sessions (x)")
    conn.close()
    before = digest(path)
    assert read_device_id(path) is None
    with pytest.raises(AxolotlError) as e:
        ensure_device_id(path)  # the store refuses it, as it always did
    assert_one_line(e, "another program", "--db")
    assert digest(path) == before


def test_bad_files_are_one_line_errors(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my training notes, not a database\n" * 200)
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        read_device_id(path)
    assert_one_line(e, str(path), "not a SQLite database", "--db")
    assert digest(path) == before
    with pytest.raises(AxolotlError) as e:
        read_device_id(tmp_path)
    assert_one_line(e, "is a folder", "--db")


def test_locked_database_is_a_one_line_error(tmp_path):
    path = tmp_path / "a.db"
    populated(path)
    with SessionStore(path) as s:
        stored = s.device_id
    holder = LockHolder(path, "exclusive")
    try:
        with pytest.raises(AxolotlError) as e:
            read_device_id(path, busy_timeout=0.3)
        assert_one_line(e, str(path), "locked")
    finally:
        holder.release()
    assert read_device_id(path) == stored  # the lock gone, the same id as the store's, not just any value
