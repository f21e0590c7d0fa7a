"""The connection layer every part of the store stands on: opening the file (path checks,
version checks, migrations, WAL), recovering sessions left `running` by a dead process, the
shared connection and its lock, transactions, snapshot readers, session ids and `meta`.

The job modules (`writer`, `sessions`, `outbox`, `export`, `players`) are mixins over
`StoreConnection`; `session_store.SessionStore` assembles them. They reach the database only
through what is here: `_lock` (the connection and the write path), `_guard` (SQLite errors as
one-line `AxolotlError`s), `_transaction` (BEGIN IMMEDIATE ... COMMIT) and `_reader`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sqlite3
import stat
import threading
import weakref
from pathlib import Path

import sqlite_utils

from edge_app.errors import AxolotlError
from edge_app.store.migrations import pending_steps, schema_version
from edge_app.store.process import process_alive
from edge_app.store.sqlite_errors import DB_FIX, guard

_OPEN_STORES: "weakref.WeakSet[StoreConnection]" = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:  # a normal exit without close() still writes the buffer
    for store in list(_OPEN_STORES):
        with contextlib.suppress(Exception):
            store.close()


class StoreConnection:
    """One SQLite file (WAL), opened, migrated and shared by the store's parts. Thread-safe."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 5.0):
        self.path = Path(path).expanduser()
        self.busy_timeout = float(busy_timeout)
        self._lock = threading.RLock()  # the connection and the write path
        self._sessions: dict[str, dict] = {}  # sessions this store writes to: last frame index
        self._closed = False

        self._check_paths()
        self._make_private()
        self._conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, check_same_thread=False)
        try:
            self.db = sqlite_utils.Database(self._conn, execute_plugins=False)
            with self._guard("opening it"):
                self._open()
        except BaseException:
            self._conn.close()
            raise
        _OPEN_STORES.add(self)  # closed (and its buffer written) at exit if nobody does

    # ----------------------------------------------------------------- opening

    def _check_paths(self) -> None:
        p, folder = self.path, self.path.parent
        if p.is_dir():
            raise AxolotlError(f"--db {p} is a folder, not a database file; {DB_FIX} (a file path)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AxolotlError(
                f"cannot create the database folder {folder} ({exc.strerror or exc}); create it or {DB_FIX}"
            ) from None
        if p.exists() and not os.access(p, os.R_OK | os.W_OK):
            raise AxolotlError(f"database {p} is read-only; make it writable (chmod u+rw {p}) or {DB_FIX}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise AxolotlError(
                f"the database folder {folder} is read-only (SQLite needs to write its journal there); make it writable or {DB_FIX}"
            )

    def _make_private(self) -> None:
        """Session data is the owner's alone: a new file is created 0600 (SQLite gives its -wal and -shm
        the database file's mode), and an older file of ours that others may read is made private."""
        p = self.path
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return
        except FileExistsError:
            pass
        except OSError:
            return  # sqlite3 reports the problem, in the store's one-line words
        for f in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")):
            with contextlib.suppress(OSError):
                st = f.stat()
                if st.st_uid == os.getuid() and st.st_mode & 0o077:
                    os.chmod(f, stat.S_IMODE(st.st_mode) & 0o700)

    def _open(self) -> None:
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # also proves it is SQLite
        self._check_version(version)
        if version == 0:
            self._check_no_foreign_tables()
        self.db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable against process crashes, fewer fsyncs
        conn.execute("PRAGMA foreign_keys = ON")
        if version < schema_version():
            self._migrate()
        row = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
        self.device_id: str = row[0]
        self._mark_interrupted()

    def _check_version(self, version: int) -> None:
        if version > schema_version():
            raise AxolotlError(
                f"database {self.path} was written by a newer Axolotl Edge (schema v{version}, this version "
                f"knows up to v{schema_version()}); upgrade axolotl-edge or {DB_FIX}"
            )

    def _check_no_foreign_tables(self) -> None:
        names = [n for n in self.db.table_names() if not n.startswith("sqlite_")]
        if names:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise AxolotlError(
                f"{self.path} is a SQLite database of another program (tables: {shown}); "
                f"{DB_FIX} (Axolotl Edge leaves it untouched)"
            )

    def _migrate(self) -> None:
        with self._transaction():
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]  # again, under the write lock
            self._check_version(version)
            if version == 0:
                self._check_no_foreign_tables()
            for target, step in pending_steps(version):
                step(self._conn)
                self._conn.execute(f"PRAGMA user_version = {int(target)}")

    def _mark_interrupted(self) -> None:
        """Sessions left `running` by a process that is gone become `interrupted`."""
        running = self._conn.execute("SELECT id, pid, proc_token FROM sessions WHERE status = 'running'").fetchall()
        dead = [sid for sid, pid, token in running if not process_alive(pid, token)]
        if not dead:
            return
        with self._transaction():
            self._conn.executemany(
                """UPDATE sessions SET status = 'interrupted',
                       ended_at = coalesce(updated_at, started_at),
                       frames = (SELECT count(*) FROM frames WHERE session_id = sessions.id)
                   WHERE id = ? AND status = 'running'""",
                [(sid,) for sid in dead],
            )

    # ----------------------------------------------------------------- errors, transactions, readers

    def _guard(self, doing: str):
        """SQLite errors a user can fix, raised as one-line `AxolotlError`s naming this file."""
        return guard(self.path, self.busy_timeout, doing)

    @contextlib.contextmanager
    def _transaction(self):
        """BEGIN IMMEDIATE … COMMIT on the main connection (caller holds `_lock` or is opening)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _reader(self, doing: str):
        """A separate connection in one read transaction: a consistent snapshot while the writer goes on."""
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
        try:
            with self._guard(doing):
                conn.execute("BEGIN")
                yield conn
        finally:
            conn.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"SessionStore({self.path}) is closed")

    def flush(self) -> None:
        """Write everything queued so far (nothing is queued here; the frame writer queues frames)."""
        self._check_open()

    # ----------------------------------------------------------------- ids and meta

    def resolve_id(self, session_id: str) -> str:
        """A full session id from an id or a unique prefix (e.g. the first 8 hex characters)."""
        self._check_open()
        key = str(session_id).strip().lower()
        if key in self._sessions:
            return key
        if not key or not re.fullmatch(r"[0-9a-f-]+", key):
            raise AxolotlError(f"no session '{session_id}' in {self.path}; list them with `axolotl-edge sessions list`")
        with self._lock, self._guard("looking up a session"):
            rows = [
                r[0]
                for r in self._conn.execute(
                    "SELECT id FROM sessions WHERE id = ? OR id LIKE ? ORDER BY started_at", (key, key + "%")
                )
            ]
        if key in rows:
            return key
        if not rows:
            raise AxolotlError(f"no session '{session_id}' in {self.path}; list them with `axolotl-edge sessions list`")
        if len(rows) > 1:
            shown = ", ".join(r[:13] for r in rows[:4]) + (", ..." if len(rows) > 4 else "")
            raise AxolotlError(
                f"session id prefix '{session_id}' matches {len(rows)} sessions ({shown}); give more characters"
            )
        return rows[0]

    def meta_get(self, key: str) -> str | None:
        with self._lock, self._guard("reading meta"):
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def meta_set(self, key: str, value: str | None) -> None:
        """Set (or, with None, delete) a `meta` key (e.g. the uplink's last connection error)."""
        with self._lock, self._guard("writing meta"), self._transaction():
            if value is None:
                self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    # ----------------------------------------------------------------- closing

    def close(self) -> None:
        """Close. Idempotent."""
        if not self._closed:
            self._close_connection()

    def _close_connection(self) -> None:
        self._closed = True
        with self._lock:
            self._conn.close()
        _OPEN_STORES.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
