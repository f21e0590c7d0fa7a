"""Where the ingest keeps what it receives: SQLite (a path) or PostgreSQL (`postgresql://...`, needs
psycopg; not covered by the tests here). `received` is UNIQUE(device_id, message_id), written with
`INSERT ... ON CONFLICT DO NOTHING`, so a redelivery is stored once; `rejected` keeps the bad messages
(with the reason); `dead_letter` the messages that could not be stored after several tries; `devices`
registers each device with its tenant (`axolotl-ingest --add-device DEVICE TENANT`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_app.timeutil import utc_now_iso

_SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS received (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        received_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        UNIQUE (device_id, message_id)
    )""",
    "CREATE INDEX IF NOT EXISTS idx_received_session ON received (device_id, session_id)",
    """CREATE TABLE IF NOT EXISTS rejected (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        topic TEXT,
        device_id TEXT,
        message_id TEXT,
        reason TEXT NOT NULL,
        payload_head TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS dead_letter (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        topic TEXT NOT NULL,
        device_id TEXT,
        message_id TEXT,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        payload BLOB
    )""",
    """CREATE TABLE IF NOT EXISTS devices (
        device_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        added_at TEXT NOT NULL
    )""",
)

_PG_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS received (
        id BIGSERIAL PRIMARY KEY,
        device_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        summary JSONB NOT NULL,
        UNIQUE (device_id, message_id)
    )""",
    "CREATE INDEX IF NOT EXISTS idx_received_session ON received (device_id, session_id)",
    """CREATE TABLE IF NOT EXISTS rejected (
        id BIGSERIAL PRIMARY KEY,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        topic TEXT,
        device_id TEXT,
        message_id TEXT,
        reason TEXT NOT NULL,
        payload_head TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS dead_letter (
        id BIGSERIAL PRIMARY KEY,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        topic TEXT NOT NULL,
        device_id TEXT,
        message_id TEXT,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        payload BYTEA
    )""",
    """CREATE TABLE IF NOT EXISTS devices (
        device_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        added_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
)


class SqliteSink:
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        for sql in _SQLITE_SCHEMA:
            self.conn.execute(sql)

    def store(self, device_id, message_id, session_id, tenant, summary_text) -> bool:
        cur = self.conn.execute(
            "INSERT INTO received (device_id, message_id, session_id, tenant, received_at, summary) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, message_id) DO NOTHING",
            (device_id, message_id, session_id, tenant, utc_now_iso(), summary_text),
        )
        return cur.rowcount == 1  # autocommit: committed when execute returns

    def reject(self, topic, device_id, message_id, reason, payload_head) -> None:
        self.conn.execute(
            "INSERT INTO rejected (received_at, topic, device_id, message_id, reason, payload_head) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (utc_now_iso(), topic, device_id, message_id, reason, payload_head),
        )

    def stored_session(self, device_id, message_id) -> str | None:
        """The session of the stored message (device_id, message_id), None if there is none."""
        row = self.conn.execute(
            "SELECT session_id FROM received WHERE device_id = ? AND message_id = ?", (device_id, message_id)
        ).fetchone()
        return row[0] if row else None

    def dead_letter(self, topic, device_id, message_id, attempts, error, payload: bytes) -> None:
        self.conn.execute(
            "INSERT INTO dead_letter (received_at, topic, device_id, message_id, attempts, error, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (utc_now_iso(), topic, device_id, message_id, attempts, error, payload),
        )

    def register_device(self, device_id, tenant) -> None:
        self.conn.execute(
            "INSERT INTO devices (device_id, tenant, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET tenant = excluded.tenant",
            (device_id, tenant, utc_now_iso()),
        )

    def device_tenant(self, device_id) -> str | None:
        """The tenant the device is registered with, None for an unregistered device."""
        row = self.conn.execute("SELECT tenant FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()


class PostgresSink:
    """PostgreSQL by URL (psycopg 3). NOT tested here (no PostgreSQL in the test machines)."""

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise SystemExit("PostgreSQL storage needs psycopg: pip install 'psycopg[binary]'") from None
        self.conn = psycopg.connect(url, autocommit=True)
        for sql in _PG_SCHEMA:
            self.conn.execute(sql)

    def store(self, device_id, message_id, session_id, tenant, summary_text) -> bool:
        cur = self.conn.execute(
            "INSERT INTO received (device_id, message_id, session_id, tenant, summary) VALUES (%s, %s, %s, %s, %s::jsonb) "
            "ON CONFLICT (device_id, message_id) DO NOTHING",
            (device_id, message_id, session_id, tenant, summary_text),
        )
        return cur.rowcount == 1

    def reject(self, topic, device_id, message_id, reason, payload_head) -> None:
        self.conn.execute(
            "INSERT INTO rejected (topic, device_id, message_id, reason, payload_head) VALUES (%s, %s, %s, %s, %s)",
            (topic, device_id, message_id, reason, payload_head),
        )

    def stored_session(self, device_id, message_id) -> str | None:
        row = self.conn.execute(
            "SELECT session_id FROM received WHERE device_id = %s AND message_id = %s", (device_id, message_id)
        ).fetchone()
        return row[0] if row else None

    def dead_letter(self, topic, device_id, message_id, attempts, error, payload: bytes) -> None:
        self.conn.execute(
            "INSERT INTO dead_letter (topic, device_id, message_id, attempts, error, payload) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (topic, device_id, message_id, attempts, error, payload),
        )

    def register_device(self, device_id, tenant) -> None:
        self.conn.execute(
            "INSERT INTO devices (device_id, tenant) VALUES (%s, %s) "
            "ON CONFLICT (device_id) DO UPDATE SET tenant = excluded.tenant",
            (device_id, tenant),
        )

    def device_tenant(self, device_id) -> str | None:
        row = self.conn.execute("SELECT tenant FROM devices WHERE device_id = %s", (device_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()


def open_sink(db: str | Path):
    text = str(db)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresSink(text)
    return SqliteSink(text)
