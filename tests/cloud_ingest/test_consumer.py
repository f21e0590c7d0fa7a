"""The ingest's MQTT consumer against a real Mosquitto: bad messages rejected while it keeps running,
a worker SIGKILLed and a second one added mid-stream: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import uuid

from tests.sync.helpers import (BACKLOG, RATE, TENANT, USERS, assert_exactly_once, fill_store, ingest_counts,
                                ingest_stats, make_summary, start_ingest, start_uplink, wait_until)


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
    assert ingest_stats(ingest) == {"stored": 1, "duplicates": 1, "rejected": 5}
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
