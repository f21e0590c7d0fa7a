"""The wire contract shared by the uplink and the ingest: topics and the summary check."""

import pytest

from edge_app.errors import AxolotlError
from sync.wire import SUMMARY_FILTER, check_summary, parse_summary_topic, status_topic, summary_topic
from tests.sync.helpers import make_summary


def test_summary_topic_round_trip_and_filter():
    from paho.mqtt.client import topic_matches_sub

    topic = summary_topic("club", "box-1", "5b1f")
    assert topic == "axolotl/v1/club/box-1/sessions/5b1f/summary"
    assert parse_summary_topic(topic) == ("club", "box-1", "5b1f")
    assert topic_matches_sub(SUMMARY_FILTER, topic)
    for other in (
        status_topic("club", "box-1"),
        "axolotl/v2/club/box-1/sessions/5b1f/summary",
        "axolotl/v1/club/box-1/sessions/5b1f/summary/x",
        "axolotl/v1/club/+/sessions/5b1f/summary",
    ):
        assert parse_summary_topic(other) is None, other


def test_check_summary_returns_the_schema_dict_or_a_one_line_error():
    summary = make_summary("s-1", "box-1")
    assert check_summary(summary) == summary
    with pytest.raises(AxolotlError) as err:
        check_summary({**summary, "surprise": 1})
    assert "surprise" in str(err.value) and "\n" not in str(err.value)
