"""Cloud ingest: stores each session summary from the boxes exactly once.

- Subscribes (QoS 1, MQTT 5, persistent session) through the shared subscription
  `$share/<group>/axolotl/v1/+/+/sessions/+/summary`, so several workers can run side by side
  (each with its own, stable `--client-id`: the broker keeps its queue while it is away).
- Each message: topic parsed (tenant, device id, session id), `message_id` user property,
  content type (`application/json` or `application/json+gzip`), then the summary checked with
  `edge_app.summary.validate_summary`. Stored with `INSERT ... ON CONFLICT DO NOTHING` on
  UNIQUE(device_id, message_id): redeliveries are harmless.
- The PUBACK goes out only after the commit (paho manual ack), so a worker killed between
  receiving and storing gets the message again.
- Bad messages are logged and stored in `rejected` (and acknowledged): the worker never dies on them.
- Storage: SQLite (a path, default) or PostgreSQL (`postgresql://...`, needs psycopg; that
  path is not covered by the tests here).

CLI / entry point `axolotl-ingest`: `python -m sync.ingest --db ingest.db --host H --port P
--username U --password P [--ca ca.pem] [--client-id ID] [--config ingest.toml] [--once]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import signal
import socket
import sqlite3
import sys
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path

from sync import CT_JSON, CT_JSON_GZIP, TOPIC_PREFIX

log = logging.getLogger("axolotl.sync.ingest")

TOPIC_RE = re.compile(r"^axolotl/v1/([^/+#]+)/([^/+#]+)/sessions/([^/+#]+)/summary$")
MAX_PAYLOAD = 16 * 1024 * 1024  # after decompression


def share_filter(group: str | None = "ingest") -> str:
    """The shared subscription; with group None (`--no-share`) a plain one: every worker gets every
    message (the idempotent insert keeps one). Mosquitto 2.0.11 does not restore *shared*
    subscriptions from its persistence file, so what arrives after a broker restart and before a
    worker re-subscribes is lost with `$share`; a plain persistent subscription is restored."""
    base = f"{TOPIC_PREFIX}/+/+/sessions/+/summary"
    return base if group is None else f"$share/{group}/{base}"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Rejected(Exception):
    pass


# --------------------------------------------------------------------------- storage

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
            (device_id, message_id, session_id, tenant, _utc_now(), summary_text))
        return cur.rowcount == 1  # autocommit: committed when execute returns

    def reject(self, topic, device_id, message_id, reason, payload_head) -> None:
        self.conn.execute("INSERT INTO rejected (received_at, topic, device_id, message_id, reason, payload_head) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (_utc_now(), topic, device_id, message_id, reason, payload_head))

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
            "ON CONFLICT (device_id, message_id) DO NOTHING", (device_id, message_id, session_id, tenant, summary_text))
        return cur.rowcount == 1

    def reject(self, topic, device_id, message_id, reason, payload_head) -> None:
        self.conn.execute("INSERT INTO rejected (topic, device_id, message_id, reason, payload_head) "
                          "VALUES (%s, %s, %s, %s, %s)", (topic, device_id, message_id, reason, payload_head))

    def close(self) -> None:
        self.conn.close()


def open_sink(db: str | Path):
    text = str(db)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresSink(text)
    return SqliteSink(text)


# --------------------------------------------------------------------------- messages


def _user_props(props) -> dict:
    return dict(getattr(props, "UserProperty", None) or []) if props is not None else {}


def _inflate(payload: bytes) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(payload, MAX_PAYLOAD)
    if d.unconsumed_tail:
        raise Rejected(f"gzip payload larger than {MAX_PAYLOAD} bytes once decompressed")
    if not d.eof:
        raise Rejected("truncated gzip payload")
    return out


def parse_message(topic: str, payload: bytes, props) -> tuple[str, str, str, str, str]:
    """(tenant, device_id, session_id, message_id, summary JSON text), or raises `Rejected`."""
    from edge_app.errors import AxolotlError
    from edge_app.summary import validate_summary

    m = TOPIC_RE.match(topic)
    if not m:
        raise Rejected("topic is not axolotl/v1/<tenant>/<device>/sessions/<session>/summary")
    tenant, device_id, session_id = m.groups()
    message_id = _user_props(props).get("message_id")
    if not message_id:
        raise Rejected("no message_id user property")
    try:
        message_id = str(uuid.UUID(message_id))
    except ValueError:
        raise Rejected(f"message_id '{message_id[:60]}' is not a UUID") from None
    ctype = getattr(props, "ContentType", None) or CT_JSON
    if ctype == CT_JSON_GZIP:
        try:
            payload = _inflate(payload)
        except zlib.error as exc:
            raise Rejected(f"bad gzip payload ({exc})") from None
    elif ctype != CT_JSON:
        raise Rejected(f"unsupported content type '{ctype[:60]}'")
    if len(payload) > MAX_PAYLOAD:
        raise Rejected(f"payload larger than {MAX_PAYLOAD} bytes")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Rejected("the summary is not a JSON object")
    try:
        checked = validate_summary(data).to_json_dict()
    except AxolotlError as exc:
        raise Rejected(str(exc)) from None
    if checked["session_id"] != session_id:
        raise Rejected(f"summary is of session {checked['session_id'][:36]}, topic says {session_id[:36]}")
    if checked["device_id"] != device_id:  # the topic (checked by the broker's ACL) is what counts
        log.warning("message %s: summary device_id %s differs from the topic's %s; kept under the topic's",
                    message_id, checked["device_id"], device_id)
    return tenant, device_id, session_id, message_id, json.dumps(checked, separators=(",", ":"))


# --------------------------------------------------------------------------- the worker


class Ingest:
    def __init__(self, sink, *, host: str, port: int = 8883, username: str | None = None, password: str | None = None,
                 tls_ca: str | None = None, client_id: str | None = None, group: str = "ingest",
                 session_expiry: int = 7 * 24 * 3600, keepalive: int = 30):
        self.sink = sink
        self.host, self.port = host, int(port)
        self.username, self.password, self.tls_ca = username, password, tls_ca
        self.client_id = client_id or f"ingest-{socket.gethostname()}-{os.getpid()}"
        self.group = group
        self.session_expiry = int(session_expiry)
        self.keepalive = int(keepalive)
        self.stats = {"stored": 0, "duplicates": 0, "rejected": 0}
        self.last_message = time.monotonic()
        self.subscribed = threading.Event()

    def handle(self, topic: str, payload: bytes, props) -> str:
        """Store one message; 'stored' | 'duplicate' | 'rejected'. Database errors propagate."""
        self.last_message = time.monotonic()
        try:
            tenant, device_id, sid, mid, text = parse_message(topic, payload, props)
        except Rejected as exc:
            m = TOPIC_RE.match(topic)
            mid = _user_props(props).get("message_id")
            log.warning("rejected a message on %s (message_id %s): %s", topic, mid, exc)
            self.sink.reject(topic, m.group(2) if m else None, None if mid is None else str(mid)[:100], str(exc)[:1000],
                             payload[:200].decode("utf-8", "replace"))
            self.stats["rejected"] += 1
            return "rejected"
        if self.sink.store(device_id, mid, sid, tenant, text):
            self.stats["stored"] += 1
            log.debug("stored %s/%s session %s", device_id, mid, sid)
            return "stored"
        self.stats["duplicates"] += 1
        log.info("duplicate %s/%s ignored", device_id, mid)
        return "duplicate"

    def _client(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.subscribeoptions import SubscribeOptions

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if self.tls_ca:
            client.tls_set(ca_certs=str(Path(self.tls_ca).expanduser()))
        client.manual_ack_set(True)
        state = {"connected": None, "error": None}

        def on_connect(c, _u, flags, rc, _props):
            if rc.is_failure:
                state["connected"], state["error"] = False, f"broker refused the connection: {rc}"
                return
            state["connected"] = True
            log.info("connected to %s:%s as %s (session present: %s)", self.host, self.port, self.client_id,
                     flags.session_present)
            c.subscribe(share_filter(self.group), options=SubscribeOptions(qos=1))

        def on_subscribe(_c, _u, _mid, rcs, _props):
            if any(rc.is_failure for rc in rcs):
                log.error("subscription to %s refused: %s", share_filter(self.group), rcs)
                state["connected"], state["error"] = False, f"subscription refused: {rcs}"
                return
            log.info("subscribed to %s", share_filter(self.group))
            self.subscribed.set()

        def on_disconnect(_c, _u, _flags, rc, _props):
            state["connected"] = False
            state["error"] = state["error"] or f"disconnected: {rc}"

        def on_message(c, _u, msg):
            try:
                self.handle(msg.topic, msg.payload, msg.properties)
            except Exception as exc:  # the database failed: no ack; drop the connection so it comes again
                log.error("could not store a message on %s (%s: %s); reconnecting for a redelivery",
                          msg.topic, type(exc).__name__, exc)
                state["error"] = f"storage error: {exc}"
                c.disconnect()
                return
            c.ack(msg.mid, msg.qos)  # PUBACK only after the commit

        client.on_connect, client.on_subscribe = on_connect, on_subscribe
        client.on_disconnect, client.on_message = on_disconnect, on_message
        return client, state

    def run(self, stop: threading.Event, idle_exit: float | None = None) -> None:
        """Receive until `stop` is set (or, with `idle_exit`, until no message came for that long
        after subscribing); reconnect with jittered exponential backoff."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        failures = 0
        while not stop.is_set():
            client, state = self._client()
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.session_expiry
            props.ReceiveMaximum = 100
            try:
                client.connect(self.host, self.port, keepalive=self.keepalive, clean_start=False, properties=props)
            except (OSError, ValueError) as exc:
                state["connected"], state["error"] = False, f"cannot reach broker {self.host}:{self.port} ({exc})"
            if state["connected"] is not False:
                while not stop.is_set():
                    rc = client.loop(timeout=0.2)
                    if state["connected"] is False or rc not in (mqtt.MQTT_ERR_SUCCESS,):
                        break
                    if (idle_exit is not None and self.subscribed.is_set()
                            and time.monotonic() - self.last_message > idle_exit):
                        stop.set()
                if stop.is_set():
                    client.disconnect()
                    client.loop(timeout=0.1)
                    break
                failures = 0 if self.subscribed.is_set() else failures + 1
            else:
                failures += 1
            log.warning("%s", state["error"] or "connection lost")
            delay = min(30.0, 0.5 * 2 ** failures)
            stop.wait(delay / 2 + random.uniform(0, delay / 2))
        log.info("ingest stopped: %s", json.dumps(self.stats))


def _load_file(path) -> dict:
    path = Path(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    import tomllib

    return tomllib.loads(path.read_text())


def build_parser() -> argparse.ArgumentParser:
    """The `axolotl-ingest` command line (also used to check packaging/cloud/docker-compose.yml)."""
    ap = argparse.ArgumentParser(prog="axolotl-ingest", description="Store session summaries from the broker, once each.")
    ap.add_argument("--db", help="SQLite path (default ingest.db) or postgresql:// URL")
    ap.add_argument("--config", help="TOML/JSON with any of: db, host, port, username, password, tls_ca, client_id, group")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--username")
    ap.add_argument("--password", help="(or AXOLOTL_INGEST_PASSWORD)")
    ap.add_argument("--ca", dest="tls_ca", help="CA certificate for TLS")
    ap.add_argument("--client-id", help="a stable id per worker (the broker queues for it while it is away)")
    ap.add_argument("--group", help="shared subscription group (default ingest)")
    ap.add_argument("--no-share", action="store_true",
                    help="plain subscription (survives a Mosquitto restart; every worker gets every message)")
    ap.add_argument("--once", action="store_true", help="exit once no message came for --idle seconds")
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cfg = _load_file(args.config) if args.config else {}
    cfg = dict(cfg.get("ingest", cfg))
    for key in ("db", "host", "port", "username", "password", "tls_ca", "client_id", "group"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg.setdefault("password", os.environ.get("AXOLOTL_INGEST_PASSWORD"))
    if not cfg.get("host"):
        print("error: give the broker with --host (or host in --config)", file=sys.stderr)
        return 2
    sink = open_sink(cfg.pop("db", "ingest.db"))
    worker = Ingest(sink, host=cfg.pop("host"), port=int(cfg.pop("port", 8883)), username=cfg.pop("username", None),
                    password=cfg.pop("password", None), tls_ca=cfg.pop("tls_ca", None),
                    client_id=cfg.pop("client_id", None),
                    group=None if args.no_share else cfg.pop("group", "ingest"))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        worker.run(stop, idle_exit=args.idle if args.once else None)
    finally:
        sink.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
