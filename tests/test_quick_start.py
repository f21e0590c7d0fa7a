"""README command 1, the quick start: `analyze` of the committed sample clip with its calibration, end to end
(real model, real video, real SQLite), then the session read back with `sessions list/show/export`.

Its run starts in the background when collection ends (tests/early.py), and this module sits late in the
suite, so the run mostly uses cores the tests before it leave idle.
"""

import csv
import io
import json

import cv2
import pytest

from edge_app.summary import validate_summary
from tests import early
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory):
    """`analyze SAMPLE --db DB --json --quiet --calibration CALIBRATION --charts DB.charts`: README command 1
    with a database and charts to look at, started in the background when collection ended (tests/early.py)."""
    db = tmp_path_factory.mktemp("quick") / "s.db"
    return db, early.result("quick_start", db)


def test_analyze_sample_clip_stores_a_session(quick_start):
    db, proc = quick_start
    charts = db.parent / "s.db.charts"
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    validate_summary(summary)  # the --json output is the published schema
    assert summary["schema"] == "axolotl.session-summary/1" and summary["units"] == "m"
    assert summary["status"] == "completed" and summary["duration_s"] == pytest.approx(15.0)
    assert summary["models"]["detector"]["providers"] == ["cpu"]
    # The first 15 s of vtest.avi: six to ten people cross the road and the lawn, walking.
    assert 4 <= len(summary["players"]) <= 12, [p["player"] for p in summary["players"]]
    assert all(p["sprint_count"] == 0 for p in summary["players"])
    assert sum(p["pose"]["samples"] for p in summary["players"] if p["pose"]) > 0
    pngs = sorted(f.name for f in charts.iterdir())
    assert len(pngs) == 2 * len(summary["players"]) and all(cv2.imread(str(charts / f)) is not None for f in pngs)

    sid = summary["session_id"]
    listed = json.loads(run_cli("sessions", "list", "--db", db, "--json").stdout)
    assert [s["id"] for s in listed] == [sid] and listed[0]["frames"] == 150
    shown = run_cli("sessions", "show", sid[:8], "--db", db, "--json")
    assert shown.returncode == 0, shown.stderr
    session = json.loads(shown.stdout)
    assert session["summary"] == summary
    tracks = session["tracks"]
    # every track of the session belongs to exactly one player
    assert sorted(t for p in session["players"] for t in p["track_ids"]) == sorted(t["track_id"] for t in tracks)

    exported = run_cli("sessions", "export", sid, "--format", "csv", "--db", db)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert {int(r["track_id"]) for r in rows} == {t["track_id"] for t in tracks}
    assert max(int(r["frame"]) for r in rows) <= 149
    for r in rows[:50]:
        assert 0 <= float(r["x1"]) < float(r["x2"]) <= 768 and 0 <= float(r["y1"]) < float(r["y2"]) <= 576
