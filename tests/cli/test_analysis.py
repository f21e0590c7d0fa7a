"""The analysing commands (cli.analysis) as a user runs them: `analyze` end to end (real model, real
video, real SQLite) and `kpis` on positions in metres."""

import json
import os
import signal
import sqlite3
import subprocess
import time

import numpy as np
import pytest

from edge_app.summary import validate_summary
from tests.conftest import SAMPLE, cli_command, run_cli


def test_without_calibration_everything_says_pixels(tmp_path):
    proc = run_cli(
        "analyze",
        SAMPLE,
        "--db",
        tmp_path / "p.db",
        "--quiet",
        "--no-pose",
        "--max-frames",
        "40",
        "--input-size",
        "640",
    )
    assert proc.returncode == 0, proc.stderr
    assert "PIXELS, not metres" in proc.stdout
    session_id = json.loads(run_cli("sessions", "list", "--db", tmp_path / "p.db", "--json").stdout)[0]["id"]
    summary = json.loads(
        run_cli("sessions", "export", session_id, "--format", "summary", "--db", tmp_path / "p.db").stdout
    )
    assert summary["units"] == "px" and summary["calibration"] is None
    assert all(p["zones"] == [] and p["heatmap"] == [] and p["sprint_count"] == 0 for p in summary["players"])


def _wait_for_rows(db, n, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                if con.execute("select count(*) from detections").fetchone()[0] >= n:
                    return True
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    return False


def test_sigkill_mid_analysis_leaves_a_database_that_opens_and_an_interrupted_session(tmp_path):
    db = tmp_path / "k.db"
    proc = subprocess.Popen(
        [*cli_command(), "analyze", str(SAMPLE), "--db", str(db), "--quiet", "--no-pose"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        assert _wait_for_rows(db, 40), "no rows reached the database"
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with sqlite3.connect(db) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        before = con.execute("select count(*) from detections").fetchone()[0]
        status = con.execute("select status from sessions").fetchone()[0]
    assert before >= 40 and status == "running"  # nobody has looked yet
    listed = run_cli("sessions", "list", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    sessions = json.loads(listed.stdout)
    assert len(sessions) == 1 and sessions[0]["status"] == "interrupted"
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from detections").fetchone()[0] == before  # nothing lost


def test_missing_and_unreadable_videos_are_one_line_errors(tmp_path):
    proc = run_cli("analyze", tmp_path / "nope.avi", "--db", tmp_path / "e.db")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not found" in proc.stderr and "Traceback" not in proc.stderr
    junk = tmp_path / "junk.avi"
    junk.write_text("this is not a video\n" * 100)
    proc = run_cli("analyze", junk, "--db", tmp_path / "e.db")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "junk.avi" in proc.stderr


def test_unknown_camera_is_a_one_line_error(tmp_path):
    proc = run_cli("analyze", "7", "--db", tmp_path / "e.db", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "camera" in proc.stderr and "7" in proc.stderr


def test_locked_database_is_a_one_line_error_and_loses_nothing(tmp_path):
    db = tmp_path / "l.db"
    fast = tmp_path / "fast.toml"  # what is tested is the database: the small-player zoom (slower) is off
    fast.write_text('[zoom]\nmode = "off"\n')
    assert (
        run_cli(
            "analyze", SAMPLE, "--db", db, "--config", fast, "--quiet", "--no-pose", "--max-frames", "10"
        ).returncode
        == 0
    )
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("begin exclusive")
    try:
        proc = run_cli("analyze", SAMPLE, "--db", db, "--config", fast, "--quiet", "--no-pose", "--max-frames", "5")
    finally:
        holder.execute("rollback")
        holder.close()
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "locked" in proc.stderr and "Traceback" not in proc.stderr
    sessions = json.loads(run_cli("sessions", "list", "--db", db, "--json").stdout)
    assert len(sessions) == 1 and sessions[0]["frames"] == 10


def _csv(path, rows):
    path.write_text("t,player,x,y\n" + "".join(f"{t:.3f},{p},{x:.3f},{y:.3f}\n" for t, p, x, y in rows))
    return path


def test_kpis_json_is_a_valid_summary_with_hand_checked_numbers(tmp_path):
    # Ana runs along the touchline at 5 m/s for 20 s: 100 m, top speed 5 m/s, 300 m/min.
    # Ben walks 1.5 m/s for 20 s at an irregular ~25 Hz: 30 m.
    rng = np.random.default_rng(1)
    ana = [(i / 10, "Ana", 5 * i / 10, 10.0) for i in range(201)]
    tb = np.cumsum(rng.uniform(0.03, 0.05, 500))
    tb = tb[tb <= 20.0]
    ben = [(t, "Ben", 50.0, 20 + 1.5 * t) for t in tb]
    proc = run_cli("kpis", _csv(tmp_path / "p.csv", ana + ben), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    validate_summary(summary)
    players = {p["player"]: p for p in summary["players"]}
    assert players["Ana"]["distance"] == pytest.approx(100, rel=0.02)
    assert players["Ana"]["top_speed"] == pytest.approx(5.0, abs=0.3)
    assert players["Ana"]["work_rate_per_min"] == pytest.approx(300, rel=0.02)
    assert players["Ben"]["distance"] == pytest.approx(1.5 * tb[-1] - 1.5 * tb[0], rel=0.02)
    assert all(p["sprint_count"] == 0 for p in players.values())
    u13 = json.loads(run_cli("kpis", tmp_path / "p.csv", "--json", "--profile", "u13").stdout)
    assert u13["profile"]["name"] == "u13"
    assert u13["profile"]["thresholds"]["sprint_lower_ms"] < summary["profile"]["thresholds"]["sprint_lower_ms"]


def test_kpis_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,who,x\n1,a,2\n")
    proc = run_cli("kpis", bad)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    proc = run_cli("kpis", tmp_path / "missing.csv")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = run_cli("kpis", _csv(tmp_path / "ok.csv", [(0, "a", 0, 0), (1, "a", 1, 0)]), "--profile", "u9")
    assert proc.returncode == 2 and "u9" in proc.stderr


def test_analyze_with_a_roster_stores_it_and_the_summary_has_its_players(tmp_path):
    from tests.conftest import CALIBRATION

    roster = tmp_path / "roster.toml"
    roster.write_text('players = ["Sam", "Alex", "Kim"]\n')
    db = tmp_path / "r.db"
    proc = run_cli(
        "analyze", SAMPLE, "--calibration", CALIBRATION, "--roster", roster, "--db", db,
        "--max-frames", "60", "--quiet", "--no-pose", "--input-size", "640", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = validate_summary(json.loads(proc.stdout)).to_json_dict()
    players = [p for p in summary["players"] if p["role"] == "player"]
    assert 1 <= len(players) <= 3
    assert {p["player"] for p in players} <= {"Player 1", "Player 2", "Player 3"}
    assert all(p["role"] == "other" for p in summary["players"] if p not in players)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT idx, name FROM roster ORDER BY idx").fetchall() == [
            (0, "Sam"),
            (1, "Alex"),
            (2, "Kim"),
        ]


def test_analyze_with_a_bad_roster_is_one_line_before_the_models_load(tmp_path):
    roster = tmp_path / "roster.toml"
    roster.write_text('[[players]]\nname = "Sam"\nteam = "red"\n')
    proc = run_cli("analyze", SAMPLE, "--roster", roster, "--db", tmp_path / "r.db", "--quiet")
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert "team 'red'" in err and "[teams]" in err, err
