"""One MQTT message checked against the wire contract (`sync.wire`): the summary topic (tenant, device
id, session id), the `message_id` user property (a UUID), the content type (`application/json` or
`application/json+gzip`, inflated to at most MAX_PAYLOAD bytes) and the summary schema. Anything else
is `Rejected` with a one-line reason."""

from __future__ import annotations

import json
import logging
import uuid
import zlib

from edge_app.errors import AxolotlError, first_line
from sync.wire import CT_JSON, CT_JSON_GZIP, MESSAGE_ID, check_summary, parse_summary_topic

log = logging.getLogger("axolotl.ingest")

MAX_PAYLOAD = 16 * 1024 * 1024  # after decompression


class Rejected(Exception):
    """A message that breaks the contract: logged, kept in `rejected` and acknowledged."""


def user_props(props) -> dict:
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
    """(tenant, device_id, session_id, message_id, summary JSON text), or raises `Rejected`: whatever
    goes wrong while decoding or checking a message is the message's fault, never the worker's."""
    try:
        return _parse(topic, payload, props)
    except Rejected:
        raise
    except Exception as exc:  # noqa: BLE001 (a decoder or validator failing in a way not foreseen above)
        raise Rejected(f"undecodable message ({type(exc).__name__}: {first_line(exc)[:200]})") from None


def _parse(topic: str, payload: bytes, props) -> tuple[str, str, str, str, str]:
    parts = parse_summary_topic(topic)
    if parts is None:
        raise Rejected("topic is not axolotl/v1/<tenant>/<device>/sessions/<session>/summary")
    tenant, device_id, session_id = parts
    message_id = user_props(props).get(MESSAGE_ID)
    if not message_id:
        raise Rejected(f"no {MESSAGE_ID} user property")
    try:
        message_id = str(uuid.UUID(message_id))
    except ValueError:
        raise Rejected(f"{MESSAGE_ID} '{message_id[:60]}' is not a UUID") from None
    ctype = getattr(props, "ContentType", None) or CT_JSON
    if ctype == CT_JSON_GZIP:
        try:
            payload = _inflate(payload)
        except zlib.error as exc:
            raise Rejected(f"bad gzip payload ({first_line(exc)})") from None
    elif ctype != CT_JSON:
        raise Rejected(f"unsupported content type '{ctype[:60]}'")
    if len(payload) > MAX_PAYLOAD:
        raise Rejected(f"payload larger than {MAX_PAYLOAD} bytes")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(f"not JSON ({first_line(exc)})") from None
    except RecursionError:  # e.g. "[" * 100000: the parser's recursion limit, the message's fault
        raise Rejected("JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise Rejected("the summary is not a JSON object")
    try:
        checked = check_summary(data)
    except AxolotlError as exc:
        raise Rejected(str(exc)) from None
    if checked["session_id"] != session_id:
        raise Rejected(f"summary is of session {checked['session_id'][:36]}, topic says {session_id[:36]}")
    if checked["device_id"] != device_id:  # the topic (checked by the broker's ACL) is what counts
        log.warning(
            "message %s: summary device_id %s differs from the topic's %s; kept under the topic's",
            message_id,
            checked["device_id"],
            device_id,
        )
    return tenant, device_id, session_id, message_id, json.dumps(checked, separators=(",", ":"))
