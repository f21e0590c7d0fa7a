"""The ingest's MQTT consumer against a real Mosquitto: bad messages rejected while it keeps running,
a worker SIGKILLed and a second one added mid-stream: nothing lost, nothing duplicated; a poison
message does not stall anyone; a message the database refuses ends in dead_letter; a device
writing under another tenant (through a misconfigured broker) or reusing a message id for another
session is rejected with the reason."""

from __future__ import annotations

import json
import sqlite3
import uuid

from sync.wire import summary_topic
from tests.sync.helpers import (
    ACL,
    BACKLOG,
    RATE,
    RIVAL,
    TENANT,
    USERS,
    Broker,
    RawDevice,
    assert_exactly_once,
    fill_store,
    ingest_counts,
    ingest_stats,
    make_summary,
    register_devices,
    start_ingest,
    start_uplink,
    wait_until,
)


def test_ingest_rejects_bad_messages_and_keeps_running(broker, tmp_path, procs):
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    ingest_db = tmp_path / "ingest.db"
    ingest = start_ingest(procs, broker, ingest_db)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="raw-a", protocol=mqtt.MQTTv5)
    c.username_pw_set("dev-a", USERS["dev-a"])
    c.connect(broker.host, broker.port)
    c.loop_start()
    sid = str(uuid.uuid4())
    topic = f"axolotl/v1/{TENANT}/dev-a/sessions/{sid}/summary"
    good = json.dumps(make_summary(sid, "dev-a"))
    mid = str(uuid.uuid4())
    try:
        for payload, ctype, msg_id in (
            ("{not json", "application/json", str(uuid.uuid4())),
            (json.dumps({"schema": "x"}), "application/json", str(uuid.uuid4())),
            (good, "application/json", None),
            (good, "application/json", "not-a-uuid"),
            (good, "application/json+gzip", str(uuid.uuid4())),
            (good, "application/json", mid),
            (good, "application/json", mid),
        ):
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = ctype
            if msg_id:
                props.UserProperty = [("message_id", msg_id)]
            c.publish(topic, payload, qos=1, properties=props).wait_for_publish(5)
    finally:
        c.loop_stop()
        c.disconnect()
    wait_until(
        lambda: ingest_counts(ingest_db)["rejected"] >= 5 and ingest_counts(ingest_db)["rows"] >= 1, 10, "rejections"
    )
    assert ingest.proc.poll() is None
    assert ingest_stats(ingest) == {"stored": 1, "duplicates": 1, "rejected": 5, "dead_lettered": 0}
    assert ingest_counts(ingest_db)["rows"] == 1


def test_ingest_sigkilled_and_second_worker_added_mid_stream(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    w1 = start_ingest(procs, broker, ingest_db, client_id="ingest-1")
    fill_store(edge_db, BACKLOG)
    start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE))
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= 40, 30, "a part of the backlog")
    w2 = start_ingest(procs, broker, ingest_db, client_id="ingest-2")
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= 120, 30, "more of the backlog")
    w1.kill()  # SIGKILL: what the broker gave it and it had not acknowledged waits for its return
    w1 = start_ingest(procs, broker, ingest_db, client_id="ingest-1")
    assert_exactly_once(ingest_db, edge_db, BACKLOG)
    s2 = ingest_stats(w2)
    ingest_stats(w1)
    assert s2["stored"] > 0  # the second worker took a share


def _rows(db, sql, *args):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_a_poison_message_stalls_no_worker(broker, tmp_path, procs):
    """Issue 13: `[` x 100000 `]` x 100000 (RecursionError in json.loads) then 100 valid summaries from
    two devices, two workers on the shared subscription: all 100 stored once, the poison one rejected."""
    ingest_db = tmp_path / "ingest.db"
    workers = [start_ingest(procs, broker, ingest_db, client_id=f"ingest-{i}") for i in (1, 2)]
    devices = {d: RawDevice(broker, d) for d in ("dev-a", "dev-b")}
    sent = {}
    try:
        poison_mid = str(uuid.uuid4())
        rc = devices["dev-a"].publish(
            summary_topic(TENANT, "dev-a", str(uuid.uuid4())), b"[" * 100_000 + b"]" * 100_000, poison_mid
        )
        assert not rc.is_failure
        for i in range(100):
            dev = ("dev-a", "dev-b")[i % 2]
            sid, mid = str(uuid.uuid4()), str(uuid.uuid4())
            assert (
                not devices[dev]
                .publish(summary_topic(TENANT, dev, sid), json.dumps(make_summary(sid, dev)), mid)
                .is_failure
            )
            sent[(dev, mid)] = sid
    finally:
        for d in devices.values():
            d.close()
    wait_until(
        lambda: ingest_counts(ingest_db)["rows"] >= 100 and ingest_counts(ingest_db)["rejected"] >= 1,
        120,
        "100 summaries stored and the poison one rejected",
    )
    got = _rows(ingest_db, "SELECT device_id, message_id, session_id FROM received")
    assert sorted(got) == sorted((d, m, s) for (d, m), s in sent.items())  # each once, none lost
    assert _rows(ingest_db, "SELECT device_id, message_id, reason FROM rejected") == [
        ("dev-a", poison_mid, "JSON nested too deeply")
    ]
    stats = [ingest_stats(w) for w in workers]  # both alive until now, and stopping cleanly
    assert all(w.proc.returncode == 0 for w in workers)
    assert sum(s["stored"] for s in stats) == 100 and sum(s["rejected"] for s in stats) == 1
    assert all(s["stored"] > 0 for s in stats)  # both took a share: neither was stuck
    assert not any("could not store" in w.text() for w in workers)


def test_a_message_the_database_refuses_goes_to_dead_letter(broker, tmp_path, procs):
    """A storage failure is not acknowledged (redelivered); after --max-attempts it is dead-lettered and
    acknowledged, and the messages behind it are stored."""
    ingest_db = tmp_path / "ingest.db"
    bad_sid = str(uuid.uuid4())
    register_devices(ingest_db)  # creates the tables
    con = sqlite3.connect(ingest_db)
    con.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON received WHEN NEW.session_id = '{bad_sid}' "
        "BEGIN SELECT RAISE(ABORT, 'the database refuses this row'); END"
    )
    con.commit()
    con.close()
    worker = start_ingest(procs, broker, ingest_db, extra=("--max-attempts", "3"))
    dev = RawDevice(broker, "dev-a")
    good = []
    try:
        bad_mid = str(uuid.uuid4())
        dev.publish(summary_topic(TENANT, "dev-a", bad_sid), json.dumps(make_summary(bad_sid, "dev-a")), bad_mid)
        for _ in range(3):
            sid = str(uuid.uuid4())
            dev.publish(summary_topic(TENANT, "dev-a", sid), json.dumps(make_summary(sid, "dev-a")), str(uuid.uuid4()))
            good.append(sid)
    finally:
        dev.close()
    wait_until(
        lambda: (
            _rows(ingest_db, "SELECT count(*) FROM dead_letter")[0][0] >= 1 and ingest_counts(ingest_db)["rows"] >= 3
        ),
        120,
        "the refused message dead-lettered, the others stored",
    )
    [(topic, device, mid, attempts, error)] = _rows(
        ingest_db, "SELECT topic, device_id, message_id, attempts, error FROM dead_letter"
    )
    assert (topic, device, mid, attempts) == (summary_topic(TENANT, "dev-a", bad_sid), "dev-a", bad_mid, 3)
    assert "the database refuses this row" in error
    assert sorted(r[0] for r in _rows(ingest_db, "SELECT session_id FROM received")) == sorted(good)
    assert worker.text().count("not acknowledged") == 2  # attempts 1 and 2 were redelivered
    stats = ingest_stats(worker)
    assert stats["dead_lettered"] == 1 and stats["stored"] == 3


def test_the_ingest_rejects_a_device_writing_under_another_tenant(tmp_path, procs):
    """A broker with the old wildcard ACL (`+` where the tenant goes) lets dev-a publish under the rival
    club's tenant; the ingest checks the tenant dev-a is registered with and rejects the message."""
    old_acl = ACL.read_text() + "\npattern readwrite axolotl/v1/+/%u/#\n"
    b = Broker(tmp_path / "misconfigured", acl=old_acl)
    b.start()
    try:
        ingest_db = tmp_path / "ingest.db"
        worker = start_ingest(procs, b, ingest_db)
        dev = RawDevice(b, "dev-a")
        try:
            bad_sid, ok_sid = str(uuid.uuid4()), str(uuid.uuid4())
            assert not dev.publish(
                summary_topic(RIVAL, "dev-a", bad_sid), json.dumps(make_summary(bad_sid, "dev-a")), str(uuid.uuid4())
            ).is_failure  # the misconfigured broker lets it through
            dev.publish(
                summary_topic(TENANT, "dev-a", ok_sid), json.dumps(make_summary(ok_sid, "dev-a")), str(uuid.uuid4())
            )
        finally:
            dev.close()
        wait_until(
            lambda: ingest_counts(ingest_db)["rows"] >= 1 and ingest_counts(ingest_db)["rejected"] >= 1,
            60,
            "one stored, one rejected",
        )
        assert _rows(ingest_db, "SELECT session_id, tenant FROM received") == [(ok_sid, TENANT)]
        [(device, reason)] = _rows(ingest_db, "SELECT device_id, reason FROM rejected")
        assert device == "dev-a" and reason == f"device dev-a belongs to tenant {TENANT}, not to the topic's {RIVAL}"
        assert ingest_stats(worker)["rejected"] == 1
    finally:
        b.kill()


def test_an_unregistered_device_is_rejected(broker, tmp_path, procs):
    ingest_db = tmp_path / "ingest.db"
    register_devices(ingest_db, {"dev-b": TENANT})
    worker = start_ingest(procs, broker, ingest_db, register=False)
    dev = RawDevice(broker, "dev-a")
    try:
        sid = str(uuid.uuid4())
        dev.publish(summary_topic(TENANT, "dev-a", sid), json.dumps(make_summary(sid, "dev-a")), str(uuid.uuid4()))
    finally:
        dev.close()
    wait_until(lambda: ingest_counts(ingest_db)["rejected"] >= 1, 60, "the rejection")
    [(reason,)] = _rows(ingest_db, "SELECT reason FROM rejected")
    assert "dev-a is not registered" in reason and "--add-device dev-a" in reason
    assert ingest_counts(ingest_db)["rows"] == 0
    ingest_stats(worker)


def test_the_same_message_id_for_another_session_is_rejected(broker, tmp_path, procs):
    ingest_db = tmp_path / "ingest.db"
    worker = start_ingest(procs, broker, ingest_db)
    dev = RawDevice(broker, "dev-a")
    mid, first, second = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    try:
        for sid in (first, first, second):  # a redelivery (a duplicate), then the id reused for another session
            dev.publish(summary_topic(TENANT, "dev-a", sid), json.dumps(make_summary(sid, "dev-a")), mid)
    finally:
        dev.close()
    wait_until(lambda: ingest_counts(ingest_db)["rejected"] >= 1, 60, "the rejection")
    assert _rows(ingest_db, "SELECT session_id FROM received") == [(first,)]
    [(reason,)] = _rows(ingest_db, "SELECT reason FROM rejected")
    assert reason == f"message_id {mid} was already stored for session {first}; this one says session {second}"
    assert ingest_stats(worker) == {"stored": 1, "duplicates": 1, "rejected": 1, "dead_lettered": 0}
