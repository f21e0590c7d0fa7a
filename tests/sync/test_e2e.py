"""Acceptance: analyze the sample clip, and its summary arrives in the ingest database once."""

import json
import sqlite3

from tests.conftest import copy_db, run_cli
from tests.sync.helpers import TENANT, USERS, ingest_counts, start_ingest, wait_until


def test_sample_clip_summary_reaches_the_ingest_once(broker, procs, tmp_path, analysed_sample):
    src, summary = analysed_sample  # `analyze` of the sample clip (tests/conftest.py), as the box stored it
    db, ingest_db = copy_db(src, tmp_path / "box.db"), tmp_path / "ingest.db"
    status = json.loads(run_cli("sync", "status", "--db", db, "--json").stdout)
    assert status["outbox"]["pending"] == 1  # written with the summary, in its transaction

    # the box has no broker yet: sync says so in one line and keeps the message
    proc = run_cli("sync", "run", "--once", "--db", db, "--sync-config", tmp_path / "none.toml")
    assert proc.returncode == 2 and "not configured" in proc.stderr

    start_ingest(procs, broker, ingest_db)
    cfg = tmp_path / "sync.json"
    cfg.write_text(
        json.dumps(
            {
                "host": broker.host,
                "port": broker.port,
                "username": "dev-a",
                "password": USERS["dev-a"],
                "tenant": TENANT,
                "device_id": "dev-a",
            }
        )
    )
    for _ in range(2):  # a second run sends nothing again
        proc = run_cli("sync", "run", "--once", "--db", db, "--sync-config", cfg, "--timeout", "30")
        assert proc.returncode == 0, proc.stderr
    wait_until(lambda: ingest_counts(ingest_db)["rows"] >= 1, 30, "the summary at the ingest")
    counts = ingest_counts(ingest_db)
    assert counts["rows"] == 1 and counts["rejected"] == 0
    with sqlite3.connect(ingest_db) as con:
        session_id, stored = con.execute("SELECT session_id, summary FROM received").fetchone()
    assert session_id == summary["session_id"] and json.loads(stored)["players"] == summary["players"]
    assert json.loads(run_cli("sync", "status", "--db", db, "--json").stdout)["outbox"]["sent"] == 1
