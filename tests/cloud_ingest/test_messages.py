"""One message checked against the wire contract, without a broker: what is stored, what is rejected and why."""

import gzip
import json
import uuid

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud_ingest.messages import MAX_PAYLOAD, Rejected, parse_message
from sync.wire import CT_JSON, CT_JSON_GZIP, MESSAGE_ID, summary_topic
from tests.sync.helpers import make_summary


def _props(ctype: str = CT_JSON, message_id: str | None = None) -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    props.ContentType = ctype
    if message_id is not None:
        props.UserProperty = [(MESSAGE_ID, message_id)]
    return props


def test_a_good_message_plain_and_gzipped():
    mid = str(uuid.uuid4())
    body = json.dumps(make_summary("s-1", "box-1")).encode()
    topic = summary_topic("club", "box-1", "s-1")
    for payload, ctype in ((body, CT_JSON), (gzip.compress(body), CT_JSON_GZIP)):
        tenant, device, sid, got_mid, text = parse_message(topic, payload, _props(ctype, mid))
        assert (tenant, device, sid, got_mid) == ("club", "box-1", "s-1", mid)
        assert json.loads(text) == make_summary("s-1", "box-1")


@pytest.mark.parametrize(
    "topic, payload, ctype, mid, reason",
    [
        ("axolotl/v1/club/box-1/status", b"{}", CT_JSON, "uuid", "topic is not"),
        (None, b"{}", CT_JSON, None, "no message_id"),
        (None, b"{}", CT_JSON, "not-a-uuid", "is not a UUID"),
        (None, b"{}", "text/plain", "uuid", "unsupported content type"),
        (None, b"\x1f\x8b not gzip", CT_JSON_GZIP, "uuid", "bad gzip payload"),
        (None, gzip.compress(b"{}")[:-6], CT_JSON_GZIP, "uuid", "truncated gzip"),
        (None, gzip.compress(b" " * (MAX_PAYLOAD + 1)), CT_JSON_GZIP, "uuid", "larger than"),
        (None, b"{not json", CT_JSON, "uuid", "not JSON"),
        (None, b"[]", CT_JSON, "uuid", "not a JSON object"),
        (None, b'{"schema": "x"}', CT_JSON, "uuid", "session summary is invalid"),
        (None, json.dumps(make_summary("s-2", "box-1")).encode(), CT_JSON, "uuid", "summary is of session s-2"),
    ],
)
def test_bad_messages_are_rejected_with_a_one_line_reason(topic, payload, ctype, mid, reason):
    topic = topic or summary_topic("club", "box-1", "s-1")
    with pytest.raises(Rejected) as err:
        parse_message(topic, payload, _props(ctype, str(uuid.uuid4()) if mid == "uuid" else mid))
    assert reason in str(err.value) and "\n" not in str(err.value)
