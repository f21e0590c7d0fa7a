"""The metrics-facing commands as a user runs them: kpis, calibrate, players."""

import json

import cv2
import numpy as np
import pytest

from edge_app.pitch import Calibration, get_template
from edge_app.summary import validate_summary
from tests.conftest import CALIBRATION, SAMPLE, run_cli


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


def test_calibrate_from_taps_recovers_the_pitch(tmp_path):
    full = get_template("full")
    # a camera on the halfway line looking at the near half: a homography pitch (m) -> image (px)
    H = np.array([[12.0, 2.0, 100.0], [0.5, -6.0, 700.0], [0.0, 0.004, 1.0]])
    names = ["corner_bottom_left", "halfway_bottom", "centre_spot", "left_penalty_spot", "left_box_edge_top", "left_box_edge_bottom"]
    pitch = np.array([full.point(n) for n in names])
    img = cv2.perspectiveTransform(pitch[None].astype(np.float64), H)[0]
    args = []
    for (px, py), name in zip(img, names):
        args += ["--pair", f"{px:.2f},{py:.2f}={name}"]
    out = tmp_path / "cam.json"
    proc = run_cli("calibrate", *args, "--out", out, "--camera", "north")
    assert proc.returncode == 0, proc.stderr
    cal = Calibration.load(out)
    probe = np.array([[30.0, 20.0], [5.0, 60.0]])
    probe_px = cv2.perspectiveTransform(probe[None], H)[0]
    np.testing.assert_allclose(cal.project(probe_px), probe, atol=0.05)
    # the same taps all on one line are refused in one line
    line = []
    for i in range(5):
        line += ["--pair", f"{100 + 10 * i},{200 + 10 * i}={i * 5},{i * 5}"]
    proc = run_cli("calibrate", *line, "--out", tmp_path / "bad.json")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and not (tmp_path / "bad.json").exists()
    proc = run_cli("calibrate", "--pair", "1,2=nowhere", "--pair", "1,2=3,4", "--pair", "5,6=7,8", "--pair", "9,9=1,1", "--out", tmp_path / "x.json")
    assert proc.returncode == 2 and "nowhere" in proc.stderr


@pytest.fixture(scope="module")
def session_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("players") / "p.db"
    proc = run_cli("analyze", SAMPLE, "--db", db, "--json", "--quiet", "--no-pose", "--max-frames", "80",
                   "--calibration", CALIBRATION)
    assert proc.returncode == 0, proc.stderr
    return db, json.loads(proc.stdout)


def test_coach_names_merges_and_splits_and_the_summary_follows(session_db):
    db, summary = session_db
    sid = summary["session_id"]
    players = json.loads(run_cli("players", sid, "list", "--db", db, "--json").stdout)
    seen = {t["track_id"]: t["frames_seen"] for t in json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)["tracks"]}
    singles = [p for p in players if len(p["track_ids"]) == 1 and seen[p["track_ids"][0]] >= 30]
    assert len(singles) >= 2
    first, second = singles[0]["track_ids"][0], singles[1]["track_ids"][0]

    proc = run_cli("players", sid, "name", first, "Sam", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)
    assert "Sam" in [p["player"] for p in shown["summary"]["players"]]
    sam = next(p for p in shown["summary"]["players"] if p["player"] == "Sam")
    assert first in sam["track_ids"]

    # split Sam's track in the middle: the later part becomes a new track
    track = next(t for t in shown["tracks"] if t["track_id"] == first)
    middle = (track["first_frame"] + track["last_frame"]) // 2
    proc = run_cli("players", sid, "split", first, middle, "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    after = json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)
    assert len(after["tracks"]) == len(shown["tracks"]) + 1
    old = next(t for t in after["tracks"] if t["track_id"] == first)
    assert old["last_frame"] < middle

    # tracks seen at the same time cannot be one person
    proc = run_cli("players", sid, "merge", first, second, "--db", db)
    if proc.returncode == 0:  # they never overlapped: now one player with one id merged
        merged = json.loads(run_cli("players", sid, "--db", db, "--json").stdout)
        group = next(p for p in merged if first in p["track_ids"])
        assert second in group["track_ids"] and group["ids_merged"] >= 1
    else:
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr

    proc = run_cli("players", sid, "split", "abc", "3", "--db", db)
    assert proc.returncode == 2 and "abc" in proc.stderr


def test_one_player_can_have_another_profile(session_db):
    from edge_app.metrics.profiles import get_profile
    from edge_app.report import build_summary
    from edge_app.store import SessionStore

    db, summary = session_db
    with SessionStore(db) as store:
        label = summary["players"][0]["player"]
        out = build_summary(store, summary["session_id"], calibration=Calibration.load(CALIBRATION),
                            player_profiles={label: "u13"}).to_json_dict()
    sprint = {p["player"]: next(z["lower"] for z in p["zones"] if z["name"] == "sprint") for p in out["players"]}
    assert sprint[label] == pytest.approx(get_profile("u13").thresholds().zone_lowers[4], abs=1e-3)
    assert all(v == pytest.approx(get_profile("adult").thresholds().zone_lowers[4], abs=1e-3) for k, v in sprint.items() if k != label)
    before = json.loads(run_cli("sessions", "list", "--db", db, "--json").stdout)
    proc = run_cli("analyze", SAMPLE, "--player-profile", "Sam:u13", "--db", db)
    assert proc.returncode == 2 and "PLAYER=PROFILE" in proc.stderr
    # refused before the video is analysed: no half-made session left behind
    assert json.loads(run_cli("sessions", "list", "--db", db, "--json").stdout) == before


def test_sessions_export_and_compare_from_the_command_line(session_db, tmp_path):
    import csv
    import io

    db, first = session_db
    sid = first["session_id"]
    stored = json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)["summary"]
    rows = list(csv.DictReader(io.StringIO(run_cli("sessions", "export", sid, "--format", "players", "--db", db).stdout)))
    assert [r["player"] for r in rows] == [p["player"] for p in stored["players"]]
    assert [float(r["distance"]) for r in rows] == [p["distance"] for p in stored["players"]]
    assert json.loads(run_cli("sessions", "export", sid, "--format", "summary", "--db", db).stdout) == stored

    same = json.loads(run_cli("sessions", "compare", sid, sid, "--db", db, "--json").stdout)
    assert same["players"] == [len(stored["players"])] * 2 + [0]
    assert same["distance"][0] == round(sum(p["distance"] for p in stored["players"]), 1) and same["distance"][2] == 0

    # a session without a summary (started, never finished): one line naming it, nothing changed
    from edge_app.store import SessionStore

    with SessionStore(db) as store:
        bare = store.start_session(source="cam", fps=10.0)
    for args in (("compare", sid, bare), ("charts", bare), ("export", bare, "--format", "players")):
        proc = run_cli("sessions", *args, "--db", db)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and f"session {bare}" in proc.stderr
        assert "no summary yet" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)["summary"] == stored
