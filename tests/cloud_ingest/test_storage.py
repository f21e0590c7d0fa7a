"""The ingest's SQLite storage: a redelivered message is stored once; rejections are kept."""

import sqlite3

from cloud_ingest.storage import SqliteSink, open_sink


def test_sqlite_stores_each_message_once_and_keeps_rejections(tmp_path):
    db = tmp_path / "ingest.db"
    sink = open_sink(db)
    assert isinstance(sink, SqliteSink)
    try:
        assert sink.store("box-1", "m-1", "s-1", "club", '{"a": 1}') is True
        assert sink.store("box-1", "m-1", "s-1", "club", '{"a": 2}') is False  # a redelivery
        assert sink.store("box-2", "m-1", "s-9", "club", '{"b": 1}') is True  # same id, another box
        sink.reject("axolotl/v1/club/box-1/status", "box-1", None, "topic is not ...", "{}")
    finally:
        sink.close()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT device_id, summary FROM received ORDER BY id").fetchall() == [
            ("box-1", '{"a": 1}'),
            ("box-2", '{"b": 1}'),
        ]
        assert con.execute("SELECT device_id, reason FROM rejected").fetchall() == [("box-1", "topic is not ...")]
