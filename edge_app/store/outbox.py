"""The outbox (read and updated by `sync.uplink`): messages waiting for the broker's PUBACK.

Rows are written with what they announce (`SessionsMixin.save_summary(..., enqueue=True)`);
here they are picked when due, marked sent or scheduled for a retry, and counted. Never deleted.
"""

from __future__ import annotations

import time

from edge_app.errors import AxolotlError
from edge_app.store.connection import StoreConnection
from edge_app.store.sqlite_errors import one_line
from edge_app.timeutil import utc_now_iso

OUTBOX_STATES = ("pending", "sent", "failed")


class OutboxMixin(StoreConnection):
    """The `outbox` table (part of `SessionStore`)."""

    _OUTBOX_COLS = (
        "id",
        "topic_kind",
        "session_id",
        "payload",
        "state",
        "attempts",
        "next_try_at",
        "last_error",
        "created_at",
        "sent_at",
    )

    def _outbox_dicts(self, rows) -> list[dict]:
        return [dict(zip(self._OUTBOX_COLS, r)) for r in rows]

    def outbox_due(self, limit: int = 20, now: float | None = None, exclude=()) -> list[dict]:
        """Rows not yet sent whose `next_try_at` has come (oldest first), at most `limit`,
        leaving out the ids in `exclude` (those in flight)."""
        now = time.time() if now is None else float(now)
        exclude = set(exclude)
        with self._lock, self._guard("reading the outbox"):
            rows = self._conn.execute(
                f"SELECT {', '.join(self._OUTBOX_COLS)} FROM outbox WHERE state != 'sent' AND next_try_at <= ? "
                "ORDER BY next_try_at, created_at, rowid LIMIT ?",
                (now, int(limit) + len(exclude)),
            ).fetchall()
        return [r for r in self._outbox_dicts(rows) if r["id"] not in exclude][: int(limit)]

    def outbox_next_due(self) -> float | None:
        """The earliest `next_try_at` of the rows not yet sent (None: nothing to send)."""
        with self._lock, self._guard("reading the outbox"):
            return self._conn.execute("SELECT min(next_try_at) FROM outbox WHERE state != 'sent'").fetchone()[0]

    def outbox_mark_sent(self, message_id: str) -> None:
        """The broker acknowledged the message (PUBACK)."""
        with self._lock, self._guard("updating the outbox"), self._transaction():
            self._conn.execute(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL "
                "WHERE id = ?",
                (utc_now_iso(), message_id),
            )

    def outbox_mark_retry(self, message_id: str, error: str, next_try_at: float) -> None:
        """An attempt failed: state 'failed' with the reason, tried again at `next_try_at`
        (a row already 'sent' stays sent)."""
        with self._lock, self._guard("updating the outbox"), self._transaction():
            self._conn.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, "
                "next_try_at = ? WHERE id = ? AND state != 'sent'",
                (one_line(error)[:500], float(next_try_at), message_id),
            )

    def outbox_counts(self) -> dict:
        """{'pending': n, 'sent': n, 'failed': n}."""
        out = dict.fromkeys(OUTBOX_STATES, 0)
        with self._lock, self._guard("reading the outbox"):
            for state, n in self._conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"):
                out[state] = n
        return out

    def outbox_rows(self, state: str | None = None, *, with_payload: bool = False) -> list[dict]:
        """Outbox rows (oldest first), all or those in one state; the payload only if asked."""
        if state is not None and state not in OUTBOX_STATES:
            raise AxolotlError(f"unknown outbox state '{state}'; use one of {', '.join(OUTBOX_STATES)}")
        cols = [c if (c != "payload" or with_payload) else "NULL" for c in self._OUTBOX_COLS]
        where, args = ("WHERE state = ?", (state,)) if state else ("", ())
        with self._lock, self._guard("reading the outbox"):
            rows = self._conn.execute(
                f"SELECT {', '.join(cols)} FROM outbox {where} ORDER BY created_at, rowid", args
            ).fetchall()
        return self._outbox_dicts(rows)
