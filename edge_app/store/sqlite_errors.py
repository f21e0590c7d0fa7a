"""SQLite errors a user can fix (locked, read-only, not a database, corrupt, disk full, cannot
open, disk error) worded as one-line `AxolotlError`s that name the file and the fix."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from edge_app.errors import AxolotlError

DB_FIX = "pass another --db"

# SQLite primary result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_NOTADB = 26


def one_line(text) -> str:
    return " ".join(str(text).split())


def translate(exc: sqlite3.Error, path: Path, busy_timeout: float, doing: str) -> AxolotlError | None:
    """The one-line message for `exc` raised on database `path` while `doing`; None if it is not
    one a user can fix (a bug: let it raise as it is)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    text = one_line(exc)
    low = text.lower()
    p = path
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "is locked" in low:
        return AxolotlError(
            f"database {p} is locked by another program (waited {busy_timeout:g} s while {doing}); "
            f"close the other program (another axolotl-edge?) or {DB_FIX}"
        )
    if primary == _SQLITE_READONLY or "readonly" in low:
        return AxolotlError(
            f"database {p} is read-only ({text}, while {doing}); make the file and its folder writable or {DB_FIX}"
        )
    if primary == _SQLITE_NOTADB or "not a database" in low:
        return AxolotlError(f"{p} is not a SQLite database ({text}); {DB_FIX} or move that file away")
    if primary == _SQLITE_CORRUPT or "malformed" in low:
        return AxolotlError(f"database {p} is corrupt ({text}); restore it from a backup or {DB_FIX}")
    if primary == _SQLITE_FULL or "disk is full" in low:
        return AxolotlError(f"cannot write to database {p}: the disk is full; free some space or {DB_FIX}")
    if primary in (_SQLITE_CANTOPEN, _SQLITE_PERM) or "unable to open" in low:
        return AxolotlError(
            f"cannot open database {p} ({text}); check that it and its folder are accessible or {DB_FIX}"
        )
    if primary == _SQLITE_IOERR:
        return AxolotlError(f"disk error on database {p} ({text}, while {doing}); check the disk or {DB_FIX}")
    return None


@contextlib.contextmanager
def guard(path: Path, busy_timeout: float, doing: str):
    """Re-raise a fixable `sqlite3.Error` as its one-line `AxolotlError` (without the traceback)."""
    try:
        yield
    except sqlite3.Error as exc:
        err = translate(exc, path, busy_timeout, doing)
        if err is None:
            raise
        raise err from None
