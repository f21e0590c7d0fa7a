"""Outbox → MQTT (real Mosquitto) → ingest, with faults on the box's side: nothing lost, nothing duplicated
(the ingest's own faults: tests/cloud_ingest)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from sync.wire import status_topic, summary_topic
from tests.sync.helpers import (
    BACKLOG,
    RATE,
    REPO,
    RIVAL,
    TENANT,
    USERS,
    RawDevice,
    assert_exactly_once,
    fill_store,
    ingest_counts,
    ingest_stats,
    make_certs,
    make_summary,
    outbox_counts,
    start_ingest,
    start_uplink,
    wait_until,
)


def test_store_outbox_same_transaction(tmp_path):
    from edge_app.errors import AxolotlError
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
        # an invalid summary: the schema's one-line error, and neither summary nor outbox row
        with pytest.raises(AxolotlError, match="session summary is invalid"):
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
    assert_exactly_once(ingest_db, edge_db, 5)
    assert ingest_stats(ingest) == {"stored": 5, "duplicates": 0, "rejected": 0, "dead_lettered": 0}


def test_tls_wrong_ca_is_refused(tls_broker, tmp_path):
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
            info = c.publish(
                f"axolotl/v1/{TENANT}/{dev}/sessions/{sid}/summary",
                json.dumps(make_summary(sid, dev)),
                qos=1,
                properties=props,
            )
            info.wait_for_publish(5)
            results[dev] = wait_until(lambda mid=info.mid: acks.get(mid), 5, "PUBACK")
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


def test_acl_binds_each_device_to_its_tenant(broker, tmp_path, procs):
    """Issue 13: with packaging/mosquitto/acl and add-device.sh, dev-a (club1) may not publish under
    the rival club's tenant, not even under its own id; the rival's own device may."""
    import sqlite3

    ingest_db = tmp_path / "ingest.db"
    start_ingest(procs, broker, ingest_db)
    dev_a, rival = RawDevice(broker, "dev-a"), RawDevice(broker, "rival-1")
    sids = {k: str(uuid.uuid4()) for k in ("hijack", "own", "rival")}
    try:

        def send(dev, tenant, device, key):
            return dev.publish(
                summary_topic(tenant, device, sids[key]), json.dumps(make_summary(sids[key], device)), str(uuid.uuid4())
            )

        hijack = send(dev_a, RIVAL, "dev-a", "hijack")
        assert hijack.is_failure and "authori" in str(hijack).lower()
        assert dev_a.publish(status_topic(RIVAL, "dev-a"), "online").is_failure
        assert not send(dev_a, TENANT, "dev-a", "own").is_failure
        assert not send(rival, RIVAL, "rival-1", "rival").is_failure
        assert send(rival, TENANT, "rival-1", "hijack").is_failure  # and the other way round
    finally:
        dev_a.close()
        rival.close()
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= 2, 60, "the two allowed summaries")
    con = sqlite3.connect(ingest_db)
    assert sorted(con.execute("SELECT tenant, device_id, session_id FROM received").fetchall()) == sorted(
        [(TENANT, "dev-a", sids["own"]), (RIVAL, "rival-1", sids["rival"])]
    )
    con.close()


def test_broker_down_when_session_ends(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    # its persistent session survives the broker's restart; plain subscription: Mosquitto 2.0.11
    # does not restore $share subscriptions from persistence (cloud_ingest.consumer.share_filter)
    start_ingest(procs, broker, ingest_db, share=False)
    broker.stop()
    fill_store(edge_db, 20)
    start_uplink(procs, edge_db, broker.sync_config())
    time.sleep(3)  # "minutes later", shortened
    assert outbox_counts(edge_db)["sent"] == 0
    import subprocess
    import sys

    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.uplink",
            "--db",
            str(edge_db),
            "--status",
            "--config",
            str(tmp_path / "uplink.json"),
        ],
        capture_output=True,
        text=True,
        cwd=str(REPO),
    )
    assert "20 pending" in status.stdout and "cannot reach broker" in status.stdout, status.stdout + status.stderr
    broker.start()
    assert_exactly_once(ingest_db, edge_db, 20)


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
    assert_exactly_once(ingest_db, edge_db, BACKLOG)


def test_uplink_sigkilled_mid_backlog(broker, tmp_path, procs):
    ingest_db, edge_db = tmp_path / "ingest.db", tmp_path / "edge.db"
    ingest = start_ingest(procs, broker, ingest_db)
    fill_store(edge_db, BACKLOG)
    up = start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE))
    wait_until(lambda: outbox_counts(edge_db)["sent"] >= 50, 30, "a part of the backlog")
    up.kill()  # SIGKILL
    assert outbox_counts(edge_db)["sent"] < BACKLOG
    start_uplink(procs, edge_db, broker.sync_config(max_rate=RATE), name="uplink2")
    assert_exactly_once(ingest_db, edge_db, BACKLOG)
    assert ingest_stats(ingest)["stored"] == BACKLOG
