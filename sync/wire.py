"""The MQTT wire contract between the box's uplink (`sync.uplink`) and the cloud ingest (`cloud_ingest`):
topics, content types and the summary schema check (ARCHITECTURE §3). Both ends import this module
and nothing else of each other; it needs only the summary schema (pydantic)."""

from __future__ import annotations

import re

TOPIC_PREFIX = "axolotl/v1"
CT_JSON = "application/json"
CT_JSON_GZIP = "application/json+gzip"
MESSAGE_ID = "message_id"  # the MQTT 5 user property: the outbox row's UUID, the ingest's idempotency key

SUMMARY_FILTER = f"{TOPIC_PREFIX}/+/+/sessions/+/summary"  # every box's summaries (the ingest's subscription)
_SUMMARY_RE = re.compile(rf"^{re.escape(TOPIC_PREFIX)}/([^/+#]+)/([^/+#]+)/sessions/([^/+#]+)/summary$")


def summary_topic(tenant: str, device_id: str, session_id: str) -> str:
    return f"{TOPIC_PREFIX}/{tenant}/{device_id}/sessions/{session_id}/summary"


def status_topic(tenant: str, device_id: str) -> str:
    return f"{TOPIC_PREFIX}/{tenant}/{device_id}/status"


def parse_summary_topic(topic: str) -> tuple[str, str, str] | None:
    """(tenant, device_id, session_id) of a summary topic, None for any other topic."""
    m = _SUMMARY_RE.match(topic)
    return m.groups() if m else None


def check_summary(data: dict) -> dict:
    """The summary as the schema writes it (JSON-ready dict); a one-line AxolotlError names the first problem."""
    from edge_app.summary import validate_summary

    return validate_summary(data).to_json_dict()
