"""The box's device id, read without opening a `SessionStore`.

The id is a UUID4 made once per database, by the first migration step (the first time a
`SessionStore` opens the file), stored in `meta` and never changed afterwards.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_app.errors import AxolotlError
from edge_app.store.sqlite_errors import DB_FIX, guard


def read_device_id(db_path: str | Path, *, busy_timeout: float = 5.0) -> str | None:
    """The device id stored in the sessions database `db_path`, or None if it has none yet.

    A plain read-only SQLite connection: no migrations, no recovery of interrupted sessions, no
    writer thread, and the file is never created or written (as for any reader of a WAL
    database, SQLite may leave its empty -wal/-shm companions beside it). None: the file does
    not exist, is empty, or was never opened by a `SessionStore` (schema v0, no `meta`); see
    `ensure_device_id` to make one. A file written by a newer version is still read (migration
    steps only add, so its id is where v1 put it). A file that is not a SQLite database, corrupt,
    unreadable or locked raises the store's one-line `AxolotlError`.
    """
    path = Path(db_path).expanduser()
    if path.is_dir():
        raise AxolotlError(f"--db {path} is a folder, not a database file; {DB_FIX} (a file path)")
    if not path.exists():
        return None
    with guard(path, busy_timeout, "reading the device id"):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_timeout)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:  # also proves it is SQLite
                return None
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
                return None
            row = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
        finally:
            conn.close()
    return None if row is None else row[0]


def ensure_device_id(db_path: str | Path) -> str:
    """The device id, read lightly (`read_device_id`); only when the database has none yet is a
    `SessionStore` opened once, which creates and migrates the file and so makes the id (what
    opening a store for the id did before)."""
    found = read_device_id(db_path)
    if found is not None:
        return found
    from edge_app.store.session_store import SessionStore  # the heavy path, only for a new database

    with SessionStore(db_path) as store:
        return store.device_id
