"""The device's MQTT uplink: drains the store's outbox to the broker (paho-mqtt 2.x, MQTT 5).

- Reads `edge_app.config.data_dir()/sync.toml` (written by pairing) or a `SyncConfig` given
  directly; without one, nothing is sent and the messages wait in the outbox.
- TLS with the CA received at pairing, per-device username and password; a retained
  status (`online`, and `offline` as the last will and on a clean stop), QoS 1.
- A row is marked sent only after its PUBACK (and a PUBACK with a failure reason code, e.g.
  "Not authorized", marks it failed with that reason). Every message carries the row's UUID
  as the MQTT 5 user property `message_id`, and its content type (`application/json`, or
  `application/json+gzip` above `gzip_threshold` bytes).
- A bounded in-flight window; reconnects and per-message retries back off exponentially with
  jitter. Nothing is ever dropped: a row stays pending/failed until acknowledged; redeliveries
  are harmless because the ingest stores each (device_id, message_id) once.
- Its own SQLite connection (`SessionStore(path)`), its own process or thread: the live
  pipeline never waits on it.

CLI: `python -m sync.uplink [--db PATH] [--config sync.toml] [--once] [--timeout S] [--status]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from edge_app.errors import first_line
from edge_app.timeutil import utc_now_iso
from sync.wire import CT_JSON, CT_JSON_GZIP, MESSAGE_ID, status_topic, summary_topic

log = logging.getLogger("axolotl.sync.uplink")


@dataclass
class SyncConfig:
    host: str
    port: int = 8883
    tls_ca: str | None = None  # path of the CA certificate received at pairing; None: plain TCP
    username: str | None = None
    password: str | None = None
    tenant: str = "default"
    device_id: str | None = None  # None: the store's device id
    client_id: str | None = None  # None: "axolotl-<device_id>"
    window: int = 20  # messages in flight (published, PUBACK not yet seen)
    gzip_threshold: int = 16 * 1024
    keepalive: int = 30
    connect_timeout: float = 10.0
    ack_timeout: float = 30.0
    backoff_initial: float = 1.0  # reconnect backoff (s), doubled per failure, jittered
    backoff_max: float = 60.0
    retry_initial: float = 2.0  # per-message retry backoff (s)
    retry_max: float = 300.0
    max_rate: float | None = None  # messages per second; None: as fast as the window allows

    @classmethod
    def from_dict(cls, data: dict) -> "SyncConfig":
        data = dict(data.get("mqtt", data))  # a [mqtt] table or flat keys
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown sync setting(s): {', '.join(unknown)}")
        if "host" not in data:
            raise ValueError("sync config has no 'host'")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SyncConfig | None":
        """From a TOML or JSON file (default `data_dir()/sync.toml`); None if there is none."""
        if path is None:
            from edge_app.config import data_dir

            path = data_dir() / "sync.toml"
        path = Path(path).expanduser()
        if not path.exists():
            return None
        text = path.read_text()
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _jitter(delay: float) -> float:
    """Equal jitter: somewhere between half the delay and the delay."""
    return delay / 2 + random.uniform(0, delay / 2)


class ConnectFailed(Exception):
    pass


class Uplink:
    """Publishes the outbox of the store at `store_path` to the broker of `config`."""

    def __init__(self, store_path, config: SyncConfig):
        from edge_app.store import SessionStore

        self.config = config
        self.store = SessionStore(store_path)
        self.device_id = config.device_id or self.store.device_id
        self.client_id = config.client_id or f"axolotl-{self.device_id}"
        self.stats = {"published": 0, "sent": 0, "failed": 0, "connections": 0}

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------- messages

    def _message(self, row: dict):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        if row["topic_kind"] != "summary":
            raise ValueError(f"unknown outbox message kind '{row['topic_kind']}'")
        topic = summary_topic(self.config.tenant, self.device_id, row["session_id"])
        data = row["payload"].encode("utf-8")
        props = Properties(PacketTypes.PUBLISH)
        if len(data) > self.config.gzip_threshold:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            props.ContentType = CT_JSON_GZIP
        else:
            props.ContentType = CT_JSON
            props.PayloadFormatIndicator = 1
        props.UserProperty = [(MESSAGE_ID, row["id"]), ("kind", row["topic_kind"])]
        return topic, data, props

    def _retry_at(self, attempts: int) -> float:
        c = self.config
        return time.time() + _jitter(min(c.retry_max, c.retry_initial * 2 ** max(0, attempts)))

    # ----------------------------------------------------------------- one connection

    def _client(self):
        import paho.mqtt.client as mqtt

        c = self.config
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        if c.username is not None:
            client.username_pw_set(c.username, c.password)
        if c.tls_ca:
            client.tls_set(ca_certs=str(Path(c.tls_ca).expanduser()))
        client.will_set(status_topic(c.tenant, self.device_id), "offline", qos=1, retain=True)
        client.max_inflight_messages_set(max(1, c.window))
        return client

    def _session(self, stop: threading.Event, once: bool, deadline: float | None) -> bool:
        """Connect, publish what is due until stopped / done / disconnected. True if it connected."""
        import paho.mqtt.client as mqtt

        c = self.config
        client = self._client()
        ev = {"connack": None, "connected": False, "disconnect": None, "acks": []}

        def on_connect(_c, _u, _flags, rc, _props):
            ev["connack"] = rc
            ev["connected"] = not rc.is_failure

        def on_disconnect(_c, _u, _flags, rc, _props):
            ev["connected"] = False
            ev["disconnect"] = rc

        def on_publish(_c, _u, mid, rc, _props):
            ev["acks"].append((mid, rc))

        client.on_connect, client.on_disconnect, client.on_publish = on_connect, on_disconnect, on_publish
        try:
            client.connect(c.host, int(c.port), keepalive=int(c.keepalive), clean_start=True)
        except (OSError, ValueError) as exc:
            raise ConnectFailed(
                f"cannot reach broker {c.host}:{c.port} ({type(exc).__name__}: {first_line(exc)})"
            ) from None
        try:
            t_end = time.monotonic() + c.connect_timeout
            while ev["connack"] is None and time.monotonic() < t_end:
                if client.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS and ev["connack"] is None:
                    raise ConnectFailed(f"broker {c.host}:{c.port} closed the connection before CONNACK")
            if ev["connack"] is None:
                raise ConnectFailed(f"no CONNACK from broker {c.host}:{c.port} within {c.connect_timeout:g} s")
            if ev["connack"].is_failure:
                raise ConnectFailed(f"broker {c.host}:{c.port} refused the connection: {ev['connack']}")
        except BaseException:
            client.disconnect()
            raise
        self.stats["connections"] += 1
        self.store.meta_set("sync.last_connected_at", utc_now_iso())
        self.store.meta_set("sync.last_error", None)
        log.info("connected to %s:%s as %s", c.host, c.port, self.client_id)
        client.publish(status_topic(c.tenant, self.device_id), "online", qos=1, retain=True)

        inflight: dict[int, tuple[str, float, int]] = {}  # mid -> (row id, sent at (monotonic), attempts)
        last_pub = 0.0
        min_gap = 1.0 / c.max_rate if c.max_rate else 0.0
        try:
            while True:
                client.loop(timeout=0.0 if not inflight else 0.01)
                for mid, rc in ev["acks"]:
                    entry = inflight.pop(mid, None)
                    if entry is None:
                        continue
                    rid, _, attempts = entry
                    if rc.is_failure:
                        self.store.outbox_mark_retry(rid, f"broker refused it: {rc}", self._retry_at(attempts))
                        self.stats["failed"] += 1
                        log.warning("message %s refused by the broker: %s", rid, rc)
                    else:
                        self.store.outbox_mark_sent(rid)
                        self.stats["sent"] += 1
                ev["acks"].clear()
                if not ev["connected"]:
                    for rid, _, _attempts in inflight.values():
                        self.store.outbox_mark_retry(rid, "connection lost before PUBACK", time.time())
                    log.warning(
                        "connection lost (%s); %d message(s) in flight will be sent again",
                        ev["disconnect"],
                        len(inflight),
                    )
                    self.store.meta_set("sync.last_error", f"{utc_now_iso()} connection lost ({ev['disconnect']})")
                    return True
                now_m = time.monotonic()
                for mid, (rid, t0, attempts) in list(inflight.items()):
                    if now_m - t0 > c.ack_timeout:
                        inflight.pop(mid)
                        self.store.outbox_mark_retry(
                            rid, f"no PUBACK within {c.ack_timeout:g} s", self._retry_at(attempts)
                        )
                if stop.is_set() or (deadline is not None and time.monotonic() > deadline):
                    break
                free = max(1, c.window) - len(inflight)
                rows = []
                if free > 0:
                    rows = self.store.outbox_due(free, time.time(), exclude={v[0] for v in inflight.values()})
                for row in rows:
                    if min_gap:
                        wait = last_pub + min_gap - time.monotonic()
                        if wait > 0:
                            time.sleep(min(wait, 0.05))
                            break
                    try:
                        topic, payload, props = self._message(row)
                    except ValueError as exc:
                        self.store.outbox_mark_retry(row["id"], str(exc), self._retry_at(row["attempts"] + 8))
                        continue
                    info = client.publish(topic, payload, qos=1, properties=props)
                    last_pub = time.monotonic()
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        self.store.outbox_mark_retry(
                            row["id"],
                            f"publish failed: {mqtt.error_string(info.rc)}",
                            time.time() if info.rc == mqtt.MQTT_ERR_NO_CONN else self._retry_at(row["attempts"]),
                        )
                        if info.rc == mqtt.MQTT_ERR_NO_CONN:
                            ev["connected"] = False
                            break
                        continue
                    inflight[info.mid] = (row["id"], last_pub, row["attempts"])
                    self.stats["published"] += 1
                if not rows and not inflight:
                    if once:
                        break
                    client.loop(timeout=0.2)  # idle: keepalive, and poll the outbox ~5 times a second
        except BaseException:
            for rid, _, _ in inflight.values():
                self.store.outbox_mark_retry(rid, "stopped before PUBACK", time.time())
            raise
        # graceful end: in-flight rows stay unsent (resent next time); offline status, retained
        for rid, _, _ in inflight.values():
            self.store.outbox_mark_retry(rid, "stopped before PUBACK", time.time())
        info = client.publish(status_topic(c.tenant, self.device_id), "offline", qos=1, retain=True)
        t_end = time.monotonic() + 2.0
        while not info.is_published() and ev["connected"] and time.monotonic() < t_end:
            client.loop(timeout=0.05)
        client.disconnect()
        client.loop(timeout=0.05)
        return True

    # ----------------------------------------------------------------- public

    def run_once(self, timeout: float = 30.0) -> dict:
        """Connect, publish everything due, wait for the PUBACKs (at most `timeout` s), disconnect.

        Returns the stats; raises `ConnectFailed` if the broker cannot be reached."""
        try:
            self._session(threading.Event(), once=True, deadline=time.monotonic() + float(timeout))
        except ConnectFailed as exc:
            self.store.meta_set("sync.last_error", f"{utc_now_iso()} {exc}")
            raise
        return dict(self.stats)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Keep the outbox drained until `stop_event` is set; reconnect with jittered backoff."""
        c = self.config
        failures = 0
        while not stop_event.is_set():
            try:
                connected = self._session(stop_event, once=False, deadline=None)
            except ConnectFailed as exc:
                connected = False
                self.store.meta_set("sync.last_error", f"{utc_now_iso()} {exc}")
                log.warning("%s", exc)
            if stop_event.is_set():
                break
            failures = 0 if connected else failures + 1
            delay = _jitter(min(c.backoff_max, c.backoff_initial * 2**failures))
            log.info("reconnecting in %.1f s", delay)
            stop_event.wait(delay)


# What a coach can read in the sun: the causes behind the usual connection errors.
_PLAIN = (
    (("refused",), "the cloud server is not answering (connection refused)"),
    (
        ("name or service", "nodename", "getaddrinfo", "resolution"),
        "no internet here: the cloud's address cannot be found",
    ),
    (("timed out", "timeout"), "the network is too slow or down: the cloud did not answer in time"),
    (
        ("authoris", "authoriz", "bad user name"),
        "the cloud refused this box's login: pair the box with the cloud again",
    ),
    (
        ("certificate", "ssl", "tls"),
        "the secure connection to the cloud failed (certificate): check the box's date and time",
    ),
    (("unreachable", "no route"), "no network: connect the box to Wi-Fi or a hotspot"),
    (("connection lost",), "the connection to the cloud dropped"),
)


def plain_error(error: str | None) -> str | None:
    """One sentence for a stored connection or delivery error (the raw text stays in `sync status`)."""
    if not error:
        return None
    low = error.lower()
    for needles, words in _PLAIN:
        if any(n in low for n in needles):
            return words
    return "the last upload failed: " + error.split(" ", 1)[-1][:80]


def status_summary(store, config: SyncConfig | None = None) -> dict:
    """The sync state for the kiosk: counts, the last upload, the last error in plain words."""
    counts = store.outbox_counts()
    sent = [r["sent_at"] for r in store.outbox_rows("sent") if r["sent_at"]]
    failing = store.outbox_rows("failed")
    error = store.meta_get("sync.last_error") or (failing[-1]["last_error"] if failing else None)
    if config is None:
        headline = "Not connected to a cloud: summaries stay on this box (pair a phone and add the cloud to upload)"
    elif counts["pending"] or counts["failed"]:
        headline = f"{counts['pending'] + counts['failed']} summaries waiting to upload; they go out by themselves when the network is back"
    else:
        headline = "Everything is uploaded"
    return {
        "configured": config is not None,
        **counts,
        "last_upload": max(sent) if sent else None,
        "last_connected": store.meta_get("sync.last_connected_at"),
        "error": plain_error(error),
        "headline": headline,
    }


def status_text(store, config: SyncConfig | None = None, *, limit: int = 20) -> str:
    """What `sync status` prints: counts, the failing messages with why, the last connection error."""
    counts = store.outbox_counts()
    lines = []
    if config is None:
        lines.append("sync: not configured (no sync.toml; pair the box with a cloud); messages wait in the outbox")
    else:
        lines.append(
            f"sync: broker {config.host}:{config.port}{' (TLS)' if config.tls_ca else ''}, "
            f"tenant {config.tenant}, user {config.username or '-'}"
        )
    lines.append(f"outbox: {counts['pending']} pending, {counts['sent']} sent, {counts['failed']} failing")
    last_ok = store.meta_get("sync.last_connected_at")
    last_err = store.meta_get("sync.last_error")
    if last_ok:
        lines.append(f"last connected: {last_ok}")
    if last_err:
        lines.append(f"last connection error: {last_err}")
    failing = store.outbox_rows("failed")
    now = time.time()
    for r in failing[:limit]:
        wait = max(0.0, r["next_try_at"] - now)
        lines.append(
            f"  {r['id'][:8]} {r['topic_kind']} session {str(r['session_id'])[:8]}: "
            f"{r['attempts']} attempt(s), next in {wait:.0f} s: {r['last_error']}"
        )
    if len(failing) > limit:
        lines.append(f"  ... and {len(failing) - limit} more")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sync.uplink", description="Send the outbox to the MQTT broker.")
    ap.add_argument("--db", help="the session store (default: the data dir's axolotl.db)")
    ap.add_argument("--config", help="sync settings, TOML or JSON (default: the data dir's sync.toml)")
    ap.add_argument("--once", action="store_true", help="send what is due, wait for the PUBACKs, exit")
    ap.add_argument("--timeout", type=float, default=60.0, help="with --once: give up after this many seconds")
    ap.add_argument("--status", action="store_true", help="show what is pending, sent and failing, and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    from edge_app.config import default_db_path
    from edge_app.errors import AxolotlError
    from edge_app.store import SessionStore

    db = Path(args.db) if args.db else default_db_path()
    try:
        config = SyncConfig.load(args.config)
    except (ValueError, OSError) as exc:
        print(f"error: sync config: {first_line(exc)}", file=sys.stderr)
        return 2
    try:
        if args.status:
            with SessionStore(db) as store:
                print(status_text(store, config))
            return 0
        if config is None:
            print("sync is not configured (no sync.toml); nothing sent", file=sys.stderr)
            return 3
        with Uplink(db, config) as up:
            if args.once:
                try:
                    stats = up.run_once(args.timeout)
                except ConnectFailed as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 1
                print(json.dumps({**stats, **up.store.outbox_counts()}))
                return 0
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            up.run_forever(stop)
            return 0
    except AxolotlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
