"""The ingest's MQTT consumer: one worker that stores each session summary exactly once.

- Subscribes (QoS 1, MQTT 5, persistent session) through the shared subscription
  `$share/<group>/axolotl/v1/+/+/sessions/+/summary`, so several workers can run side by side
  (each with its own, stable `--client-id`: the broker keeps its queue while it is away).
- Each message is checked (`cloud_ingest.messages`) and stored (`cloud_ingest.storage`);
  redeliveries are harmless (UNIQUE(device_id, message_id)).
- The PUBACK goes out only after the commit (paho manual ack), so a worker killed between
  receiving and storing gets the message again.
- Whatever is wrong with a message itself (not JSON, nested too deeply, off the schema, a device
  writing under a tenant it is not registered with, a message id reused for another session) is
  its fault: it is logged, stored in `rejected` with the reason and acknowledged. The worker never
  dies or stalls on one.
- Only a storage failure leaves a message unacknowledged (the broker redelivers it); after
  `max_attempts` failures in a row it goes to `dead_letter` and is acknowledged, so one message
  the database refuses cannot stall the worker's queue. The count is per worker process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import socket
import threading
import time
from pathlib import Path

from cloud_ingest.messages import Rejected, parse_message, user_props
from edge_app.errors import first_line
from sync.wire import MESSAGE_ID, SUMMARY_FILTER, parse_summary_topic

log = logging.getLogger("axolotl.ingest")


def share_filter(group: str | None = "ingest") -> str:
    """The shared subscription; with group None (`--no-share`) a plain one: every worker gets every
    message (the idempotent insert keeps one). Mosquitto 2.0.11 does not restore *shared*
    subscriptions from its persistence file, so what arrives after a broker restart and before a
    worker re-subscribes is lost with `$share`; a plain persistent subscription is restored."""
    return SUMMARY_FILTER if group is None else f"$share/{group}/{SUMMARY_FILTER}"


class Ingest:
    """One worker: connects, subscribes, stores each message through `sink` and acknowledges it after the commit."""

    def __init__(
        self,
        sink,
        *,
        host: str,
        port: int = 8883,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
        client_id: str | None = None,
        group: str = "ingest",
        session_expiry: int = 7 * 24 * 3600,
        keepalive: int = 30,
        max_attempts: int = 5,
    ):
        self.sink = sink
        self.host, self.port = host, int(port)
        self.username, self.password, self.tls_ca = username, password, tls_ca
        self.client_id = client_id or f"ingest-{socket.gethostname()}-{os.getpid()}"
        self.group = group
        self.session_expiry = int(session_expiry)
        self.keepalive = int(keepalive)
        self.max_attempts = max(1, int(max_attempts))
        self.stats = {"stored": 0, "duplicates": 0, "rejected": 0, "dead_lettered": 0}
        self._failures: dict[str, int] = {}  # message key -> storage failures so far
        self.last_message = time.monotonic()
        self.subscribed = threading.Event()

    def handle(self, topic: str, payload: bytes, props) -> str:
        """Store one message; 'stored' | 'duplicate' | 'rejected'. Storage errors propagate."""
        self.last_message = time.monotonic()
        try:
            tenant, device_id, sid, mid, text = parse_message(topic, payload, props)
        except Rejected as exc:
            return self._reject(topic, payload, props, str(exc))
        registered = self.sink.device_tenant(device_id)
        if registered is None:
            return self._reject(
                topic,
                payload,
                props,
                f"device {device_id} is not registered with the ingest; "
                f"register it with `axolotl-ingest --add-device {device_id} TENANT`",
            )
        if registered != tenant:
            return self._reject(
                topic, payload, props, f"device {device_id} belongs to tenant {registered}, not to the topic's {tenant}"
            )
        if self.sink.store(device_id, mid, sid, tenant, text):
            self.stats["stored"] += 1
            log.debug("stored %s/%s session %s", device_id, mid, sid)
            return "stored"
        first = self.sink.stored_session(device_id, mid)
        if first is not None and first != sid:
            return self._reject(
                topic,
                payload,
                props,
                f"message_id {mid} was already stored for session {first}; this one says session {sid}",
            )
        self.stats["duplicates"] += 1
        log.info("duplicate %s/%s ignored", device_id, mid)
        return "duplicate"

    def _reject(self, topic: str, payload: bytes, props, reason: str) -> str:
        parts = parse_summary_topic(topic)
        mid = user_props(props).get(MESSAGE_ID)
        log.warning("rejected a message on %s (message_id %s): %s", topic[:200], str(mid)[:100], reason)
        self.sink.reject(
            topic[:500],
            parts[1] if parts else None,
            None if mid is None else str(mid)[:100],
            reason[:1000],
            payload[:200].decode("utf-8", "replace"),
        )
        self.stats["rejected"] += 1
        return "rejected"

    @staticmethod
    def _key(topic: str, payload: bytes, props) -> str:
        mid = user_props(props).get(MESSAGE_ID)
        return hashlib.sha256(topic.encode() + b"\0" + (str(mid).encode() if mid else payload)).hexdigest()

    def deliver(self, topic: str, payload: bytes, props) -> bool:
        """Handle one message; True when it may be acknowledged (stored, duplicate, rejected or
        dead-lettered), False after a storage failure (not acknowledged: the broker redelivers it)."""
        key = self._key(topic, payload, props)
        try:
            self.handle(topic, payload, props)
        except Exception as exc:  # noqa: BLE001 (the database failed; the message was fine)
            error = f"{type(exc).__name__}: {first_line(exc)}"[:1000]
            n = self._failures.pop(key, 0) + 1
            if n < self.max_attempts:
                self._failures[key] = n
                while len(self._failures) > 10_000:  # bounded: forget the oldest
                    self._failures.pop(next(iter(self._failures)))
                log.error(
                    "could not store a message on %s (attempt %d of %d: %s); not acknowledged",
                    topic[:200],
                    n,
                    self.max_attempts,
                    error,
                )
                return False
            parts = parse_summary_topic(topic)
            mid = user_props(props).get(MESSAGE_ID)
            try:
                self.sink.dead_letter(
                    topic[:500], parts[1] if parts else None, None if mid is None else str(mid)[:100], n, error, payload
                )
            except Exception as exc2:  # noqa: BLE001 (the dead-letter table failed too: try again later)
                self._failures[key] = n
                log.error("could not dead-letter a message on %s (%s); not acknowledged", topic[:200], first_line(exc2))
                return False
            self.stats["dead_lettered"] += 1
            log.error("message on %s failed %d times (%s); moved to dead_letter", topic[:200], n, error)
            return True
        self._failures.pop(key, None)
        return True

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
            log.info(
                "connected to %s:%s as %s (session present: %s)",
                self.host,
                self.port,
                self.client_id,
                flags.session_present,
            )
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
            if not self.deliver(msg.topic, msg.payload, msg.properties):
                # a storage failure: no ack; drop the connection so that the broker redelivers it
                state["error"] = "storage error; reconnecting for a redelivery"
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
                state["connected"], state["error"] = (
                    False,
                    f"cannot reach broker {self.host}:{self.port} ({first_line(exc)})",
                )
            if state["connected"] is not False:
                while not stop.is_set():
                    rc = client.loop(timeout=0.2)
                    if state["connected"] is False or rc not in (mqtt.MQTT_ERR_SUCCESS,):
                        break
                    if (
                        idle_exit is not None
                        and self.subscribed.is_set()
                        and time.monotonic() - self.last_message > idle_exit
                    ):
                        stop.set()
                if stop.is_set():
                    client.disconnect()
                    client.loop(timeout=0.1)
                    break
                failures = 0 if self.subscribed.is_set() else failures + 1
            else:
                failures += 1
            log.warning("%s", state["error"] or "connection lost")
            delay = min(30.0, 0.5 * 2**failures)
            stop.wait(delay / 2 + random.uniform(0, delay / 2))
        log.info("ingest stopped: %s", json.dumps(self.stats))
