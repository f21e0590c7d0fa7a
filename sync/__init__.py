"""Cloud sync (issue #5): the device's MQTT uplink (`sync.uplink`) drains the store's outbox;
the cloud ingest (`sync.ingest`) stores each message exactly once. See ARCHITECTURE §3 (MQTT)."""

TOPIC_PREFIX = "axolotl/v1"
CT_JSON = "application/json"
CT_JSON_GZIP = "application/json+gzip"


def summary_topic(tenant: str, device_id: str, session_id: str) -> str:
    return f"{TOPIC_PREFIX}/{tenant}/{device_id}/sessions/{session_id}/summary"


def status_topic(tenant: str, device_id: str) -> str:
    return f"{TOPIC_PREFIX}/{tenant}/{device_id}/status"
