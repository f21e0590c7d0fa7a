"""Outbox → MQTT (real Mosquitto) → ingest, with faults: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.sync.conftest import (TENANT, USERS, fill_store, ingest_counts, make_summary, outbox_counts,
                                 start_ingest, start_uplink, wait_until)

BACKLOG = 220
RATE = 100.0  # messages/s: the backlog takes ~2 s, so the faults land in the middle of it


def _stats(proc) -> dict:
    proc.stop()
    line = [l for l in proc.text().splitlines() if "ingest stopped:" in l][-1]
    return json.loads(line.split("ingest stopped:", 1)[1])


def _exact(ingest_db, edge_db, n):
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= n and outbox_counts(edge_db)["sent"] == n, 60,
               f"{n} summaries in the ingest and sent in the outbox")
    time.sleep(0.5)  # late redeliveries would show up now
    c = ingest_counts(ingest_db)
    assert c == {"rows": n, "messages": n, "sessions": n, "rejected": 0}, c
    assert outbox_counts(edge_db) == {"pending": 0, "sent": n, "failed": 0}


def test_store_outbox_same_transaction(tmp_path):
    from edge_app.store import SessionStore

    db = tmp_path / "e.db"
    with SessionStore(db) as s:
        sid = s.start_session("x")
        s.end_session(sid)
        s.save_summary(sid, make_summary(sid, s.device_id))  # not enqueued
        assert s.outbox_counts() == {"pending": 0, "sent": 0, "failed": 0}
        s.save_summary(sid, make_summary(sid, s.device_id), enqueue=True)
        s.save_summary(sid, make_summary(sid, s.device_id, players=2), enqueue=True)  # a new version
        rows = s.outbox_rows("pending", with_payload=True)
        assert len(rows) == 2 and len({r["id"] for r in rows}) == 2
        assert json.loads(rows[1]["payload"])["players"][1]["player"] == "track-2"
        with pytest.raises(Exception):  # an invalid summary: neither summary nor outbox row
            s.save_summary(sid, {"schema": "nope"}, enqueue=True)
        assert s.outbox_counts()["pending"] == 2
        due = s.outbox_due(10, time.time())
        s.outbox_mark_retry(due[0]["id"], "boom", time.time() + 100)
        assert [r["id"] for r in s.outbox_due(10, time.time())] == [due[1]["id"]]
        s.outbox_mark_sent(due[1]["id"])
        assert s.outbox_counts() == {"pending": 0, "sent": 1, "failed": 1}
        assert s.outbox_rows("failed")[0]["last_error"] == "boom"
        from sync.uplink import status_text

        text = status_text(s, None)
        assert "0 pending, 1 sent, 1 failing" in text and "boom" in text


def test_tls_end_to_end_exactly_once(tls_broker, tmp_path, procs):
    from sync.uplink import SyncConfig, Uplink, status_text

    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    ingest = start_ingest(procs, tls_broker, ingest_db)
    fill_store(edge_db, 4)
    fill_store(edge_db, 1, players=80)  # > 16 KiB: sent gzipped
    cfg = SyncConfig.from_dict(tls_broker.sync_config())
    with Uplink(edge_db, cfg) as up:
        big = [r for r in up.store.outbox_rows(with_payload=True) if len(r["payload"]) > cfg.gzip_threshold]
        assert len(big) == 1 and up._message(big[0])[2].ContentType == "application/json+gzip"
        stats = up.run_once(20)
        assert stats["sent"] == 5
        assert up.run_once(5)["published"] == 5  # nothing more was due
        assert "0 pending, 5 sent, 0 failing" in status_text(up.store, cfg)
    _exact(ingest_db, edge_db, 5)
    assert _stats(ingest) == {"stored": 5, "duplicates": 0, "rejected": 0}


def test_tls_wrong_ca_is_refused(tls_broker, tmp_path):
    from tests.sync.conftest import make_certs
    from sync.uplink import ConnectFailed, SyncConfig, Uplink

    other = make_certs(tmp_path / "other")
    edge_db = tmp_path / "edge.db"
    fill_store(edge_db, 1)
    with Uplink(edge_db, SyncConfig.from_dict(tls_broker.sync_config(tls_ca=str(other["ca"])))) as up:
        with pytest.raises(ConnectFailed, match="certificate|SSL"):
            up.run_once(5)
        assert up.store.outbox_counts()["pending"] == 1
        assert "certificate" in (up.store.meta_get("sync.last_error") or "").lower()


def test_acl_device_cannot_publish_under_another_id(broker, tmp_path, procs):
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    start_ingest(procs, broker, ingest_db)
    # a raw client with dev-a's credentials
    acks = {}
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="raw-a", protocol=mqtt.MQTTv5)
    c.username_pw_set("dev-a", USERS["dev-a"])
    c.on_publish = lambda _c, _u, mid, rc, _p: acks.__setitem__(mid, rc)
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        results = {}
        for dev in ("dev-b", "dev-a"):
            sid = str(uuid.uuid4())
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = "application/json"
            props.UserProperty = [("message_id", str(uuid.uuid4()))]
            info = c.publish(f"axolotl/v1/{TENANT}/{dev}/sessions/{sid}/summary",
                             json.dumps(make_summary(sid, dev)), qos=1, properties=props)
            info.wait_for_publish(5)
            results[dev] = wait_until(lambda: acks.get(info.mid), 5, "PUBACK")
    finally:
        c.loop_stop()
        c.disconnect()
    assert results["dev-b"].is_failure and "authori" in str(results["dev-b"]).lower()
    assert not results["dev-a"].is_failure
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= 1, 10, "dev-a's summary")
    time.sleep(0.5)
    conn_rows = ingest_counts(ingest_db)
    assert conn_rows["rows"] == 1
    import sqlite3
    assert sqlite3.connect(ingest_db).execute("SELECT device_id FROM received").fetchall() == [("dev-a",)]
    # the uplink misconfigured with another device's id: the row fails with the broker's reason, is kept
    from sync.uplink import SyncConfig, Uplink

    fill_store(edge_db, 1)
    with Uplink(edge_db, SyncConfig.from_dict(broker.sync_config(device_id="dev-b"))) as up:
        up.run_once(5)
        failed = up.store.outbox_rows("failed")
        assert len(failed) == 1 and "authori" in failed[0]["last_error"].lower()
    assert ingest_counts(ingest_db)["rows"] == 1


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
        for payload, ctype, msg_id in (("{not json", "application/json", str(uuid.uuid4())),
                                       (json.dumps({"schema": "x"}), "application/json", str(uuid.uuid4())),
                                       (good, "application/json", None),
                                       (good, "application/json", "not-a-uuid"),
                                       (good, "application/json+gzip", str(uuid.uuid4())),
                                       (good, "application/json", mid), (good, "application/json", mid)):
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = ctype
            if msg_id:
                props.UserProperty = [("message_id", msg_id)]
            c.publish(topic, payload, qos=1, properties=props).wait_for_publish(5)
    finally:
        c.loop_stop()
        c.disconnect()
    wait_until(lambda: ingest_counts(ingest_db)["rejected"] >= 5 and ingest_counts(ingest_db)["rows"] >= 1, 10,
               "rejections")
    assert ingest.proc.poll() is None
    assert _stats(ingest) == {"stored": 1, "duplicates": 1, "rejected": 5}
    assert ingest_counts(ingest_db)["rows"] == 1


def test_broker_down_when_session_ends(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    # its persistent session survives the broker's restart; plain subscription: Mosquitto 2.0.11
    # does not restore $share subscriptions from persistence (sync.ingest.share_filter)
    start_ingest(procs, broker, ingest_db, share=False)
    broker.stop()
    fill_store(edge_db, 20)
    start_uplink(procs, edge_db, broker.sync_config())
    time.sleep(3)  # "minutes later", shortened
    assert outbox_counts(edge_db)["sent"] == 0
    import subprocess
    import sys
    status = subprocess.run([sys.executable, "-m", "sync.uplink", "--db", str(edge_db), "--status",
                             "--config", str(tmp_path / "uplink.json")], capture_output=True, text=True,
                            cwd=str(__import__("tests.sync.conftest", fromlist=["REPO"]).REPO))
    assert "20 pending" in status.stdout and "cannot reach broker" in status.stdout, status.stdout + status.stderr
    broker.start()
    _exact(ingest_db, edge_db, 20)


def test_broker_restart_mid_backlog(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    start_ingest(procs, broker, ingest_db, share=False)
    fill_store(edge_db, BACKLOG)
    start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE))
    wait_until(lambda: outbox_counts(edge_db)["sent"] >= 50, 30, "a part of the backlog")
    broker.stop()
    sent = outbox_counts(edge_db)["sent"]
    assert sent < BACKLOG
    time.sleep(1.0)
    broker.start()
    _exact(ingest_db, edge_db, BACKLOG)


def test_uplink_sigkilled_mid_backlog(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    ingest = start_ingest(procs, broker, ingest_db)
    fill_store(edge_db, BACKLOG)
    up = start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE))
    wait_until(lambda: outbox_counts(edge_db)["sent"] >= 50, 30, "a part of the backlog")
    up.kill()  # SIGKILL
    assert outbox_counts(edge_db)["sent"] < BACKLOG
    start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE), name="uplink2")
    _exact(ingest_db, edge_db, BACKLOG)
    assert _stats(ingest)["stored"] == BACKLOG


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
    _exact(ingest_db, edge_db, BACKLOG)
    s2 = _stats(w2)
    _stats(w1)
    assert s2["stored"] > 0  # the second worker took a share
