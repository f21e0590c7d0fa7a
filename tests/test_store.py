"""The session store on real SQLite files: round trip, batching, crash safety, exports, errors, migrations."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edge_app import store as store_mod
from edge_app.errors import AxolotlError
from edge_app.store import SessionStore, schema_version
from edge_app.vision.detections import Detections

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FakePose:  # duck-typed like vision.pose.PoseSample
    track_id: int
    landmarks: np.ndarray
    world_landmarks: np.ndarray
    score: float = 0.9


def make_frame(rng, n: int, *, track_offset: int = 1, keypoints: bool = True) -> Detections:
    xy = rng.uniform(0, 500, (n, 2)).astype(np.float32)
    wh = rng.uniform(20, 200, (n, 2)).astype(np.float32)
    return Detections(
        xyxy=np.concatenate([xy, xy + wh], axis=1),
        confidence=rng.uniform(0.3, 1.0, n).astype(np.float32),
        class_id=np.zeros(n, np.int32),
        keypoints=rng.uniform(0, 600, (n, 17, 3)).astype(np.float32) if keypoints else None,
        tracker_id=np.arange(track_offset, track_offset + n, dtype=np.int64),
    )


def make_pose(rng, track_id: int) -> FakePose:
    return FakePose(track_id, rng.uniform(0, 600, (33, 4)).astype(np.float32),
                    rng.uniform(-1, 1, (33, 4)).astype(np.float32))


def raw(path: Path) -> sqlite3.Connection:
    """An independent reader, as another process would see the file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def count(path: Path, table: str) -> int:
    conn = raw(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line(exc: pytest.ExceptionInfo, *words: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    return msg


def populated(path: Path) -> str:
    with SessionStore(path) as s:
        sid = s.start_session(source="clip.avi", config={}, models={}, fps=10.0, frame_size=(768, 576))
        rng = np.random.default_rng(0)
        for i in range(5):
            s.add_frame(sid, i, i / 10, make_frame(rng, 3))
        s.end_session(sid, stats={})
    return sid


# ----------------------------------------------------------------------------- round trip


def test_round_trip_boxes_keypoints_poses(tmp_path):
    path = tmp_path / "nested" / "dir" / "axolotl.db"
    rng = np.random.default_rng(1)
    sent = []
    with SessionStore(path) as s:
        device = s.device_id
        sid = s.start_session(source="clip.avi", config={"detector": {"conf": 0.25}},
                              models={"detector": {"name": "yolo11n-pose", "sha256": "ab"}},
                              fps=10.0, frame_size=(768, 576), live=False)
        assert len(sid) == 36 and sid.count("-") == 4
        for i in range(6):
            det = make_frame(rng, 2) if i != 3 else Detections.empty(17)  # frame 3: nobody seen
            poses = [make_pose(rng, 1)] if i % 2 == 0 else []
            s.add_frame(sid, i, i * 0.1, det, poses)
            sent.append((det, poses))
        s.end_session(sid, status="completed", stats={"fps": np.float32(9.5), "frames": 6})

    with SessionStore(path) as s:  # a fresh open reads what the first one wrote
        assert s.device_id == device
        got = s.get_session(sid[:8])  # prefix
        assert got["id"] == sid and got["status"] == "completed" and got["frames"] == 6
        assert got["source"] == "clip.avi" and got["fps"] == 10.0 and got["frame_size"] == [768, 576]
        assert got["live"] is False and got["device_id"] == device
        assert got["config"] == {"detector": {"conf": 0.25}}
        assert got["models"]["detector"]["name"] == "yolo11n-pose"
        assert got["stats"] == {"fps": 9.5, "frames": 6}
        assert got["started_at"].endswith("Z") and got["ended_at"] >= got["started_at"]
        tracks = {t["track_id"]: t for t in got["tracks"]}
        assert set(tracks) == {1, 2}
        t1 = tracks[1]
        assert (t1["first_frame"], t1["last_frame"], t1["frames_seen"], t1["pose_samples"]) == (0, 5, 5, 3)
        assert t1["first_t"] == 0.0 and t1["last_t"] == pytest.approx(0.5)
        heights = [float(d.xyxy[0, 3] - d.xyxy[0, 1]) for d, _ in sent if len(d)]
        assert t1["mean_box_height"] == pytest.approx(np.mean(heights), rel=1e-5)

        frames = list(s.frames(sid))
        assert [f.frame for f in frames] == list(range(6))
        for f, (det, poses) in zip(frames, sent):
            assert f.t == pytest.approx(f.frame * 0.1)
            assert len(f.detections) == len(det)
            if len(det):
                np.testing.assert_array_equal(f.detections.xyxy, det.xyxy)
                np.testing.assert_array_equal(f.detections.confidence, det.confidence)
                np.testing.assert_array_equal(f.detections.keypoints, det.keypoints)
                np.testing.assert_array_equal(f.detections.tracker_id, det.tracker_id)
            assert len(f.poses) == len(poses)
            for a, b in zip(f.poses, poses):
                assert a.track_id == b.track_id and a.landmarks.dtype == np.float32
                np.testing.assert_array_equal(a.landmarks, b.landmarks)
                np.testing.assert_array_equal(a.world_landmarks, b.world_landmarks)

        listed = s.list_sessions()
        assert [x["id"] for x in listed] == [sid] and listed[0]["track_count"] == 2


def test_session_id_prefix_unknown_and_ambiguous(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        ids = [s.start_session(source=f"c{i}", config={}, models={}, fps=1.0, frame_size=(1, 1)) for i in range(40)]
        assert s.resolve_id(ids[0][:8]) == ids[0]
        assert s.resolve_id(ids[0].upper()) == ids[0]
        with pytest.raises(AxolotlError) as e:
            s.get_session("ffffffff-nope")
        assert_one_line(e, "no session", "sessions list")
        # 40 ids over 16 first hex digits: some first digit is shared
        firsts = [i[0] for i in ids]
        shared = next(c for c in firsts if firsts.count(c) > 1)
        with pytest.raises(AxolotlError) as e:
            s.get_session(shared)
        assert_one_line(e, f"'{shared}' matches", "more characters")


def test_current_process_running_sessions_stay_running(tmp_path):
    path = tmp_path / "a.db"
    s = SessionStore(path)
    sid = s.start_session(source="live", config={}, models={}, fps=25.0, frame_size=(640, 480), live=True)
    s.flush()
    with SessionStore(path) as other:  # same process: its session is not someone else's leftover
        assert other.get_session(sid)["status"] == "running"
    s.close()


# ----------------------------------------------------------------------------- batching


def test_add_frame_is_buffered_and_committed_in_one_transaction(tmp_path):
    path = tmp_path / "a.db"
    rng = np.random.default_rng(2)
    with SessionStore(path, flush_interval=3600) as s:  # the writer never fires by itself here
        sid = s.start_session(source="x", config={}, models={}, fps=25.0, frame_size=(640, 480))
        before = s.write_stats["transactions"]
        for i in range(300):
            s.add_frame(sid, i, i / 25, make_frame(rng, 4), [make_pose(rng, 1)])
        assert count(path, "detections") == 0 and count(path, "frames") == 0  # nothing hit the disk yet
        s.flush()
        assert s.write_stats["transactions"] == before + 1  # 300 frames, one transaction
        assert count(path, "frames") == 300 and count(path, "detections") == 1200
        assert count(path, "pose_samples") == 300
        s.flush()  # nothing pending: no empty transaction
        assert s.write_stats["transactions"] == before + 1
        for i in range(300, 310):
            s.add_frame(sid, i, i / 25, make_frame(rng, 4))
        s.end_session(sid)  # flushes first
        assert count(path, "frames") == 310 and count(path, "detections") == 1240
        got = s.get_session(sid)
        assert got["frames"] == 310 and {t["frames_seen"] for t in got["tracks"]} == {310}


def test_writer_thread_commits_about_every_interval(tmp_path):
    path = tmp_path / "a.db"
    rng = np.random.default_rng(3)
    with SessionStore(path, flush_interval=0.2) as s:
        sid = s.start_session(source="x", config={}, models={}, fps=50.0, frame_size=(640, 480))
        start = s.write_stats["transactions"]
        for i in range(60):  # ~0.6 s of frames
            s.add_frame(sid, i, i / 50, make_frame(rng, 2))
            time.sleep(0.01)
        deadline = time.monotonic() + 5
        while count(path, "frames") < 60 and time.monotonic() < deadline:  # no flush(): the thread writes
            time.sleep(0.05)
        assert count(path, "frames") == 60
        n = s.write_stats["transactions"] - start
        assert 1 <= n <= 10, n  # a handful of batches, not 60 commits


def test_frame_indices_must_increase(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        sid = s.start_session(source="x", config={}, models={})
        s.add_frame(sid, 3, 0.1, Detections.empty())
        with pytest.raises(ValueError):
            s.add_frame(sid, 3, 0.2, Detections.empty())


# ----------------------------------------------------------------------------- crash safety

KILL_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from edge_app.store import SessionStore
    from edge_app.vision.detections import Detections
    s = SessionStore(sys.argv[1])
    sid = s.start_session(source="kill-test", config={}, models={}, fps=50.0, frame_size=(640, 480), live=True)
    print(sid, flush=True)
    kp = np.ones((3, 17, 3), np.float32)
    i = 0
    while True:
        det = Detections(np.array([[0, 0, 10, 20], [5, 5, 30, 60], [1, 1, 2, 2]], np.float32),
                         np.full(3, 0.5, np.float32), np.zeros(3, np.int32), kp, np.array([1, 2, 3]))
        s.add_frame(sid, i, time.time(), det)  # t = wall clock, to compare with the kill time
        i += 1
        time.sleep(0.01)
""")


def test_sigkill_mid_session_loses_at_most_about_a_second(tmp_path):
    path = tmp_path / "a.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(path)], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, env=env)
    try:
        sid = child.stdout.readline().strip()
        assert len(sid) == 36, sid
        time.sleep(2.2)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()

    conn = raw(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        status, = conn.execute("SELECT status FROM sessions WHERE id = ?", (sid,)).fetchone()
        assert status == "running"  # nobody has looked yet
        frames = [r[0] for r in conn.execute("SELECT frame FROM frames WHERE session_id = ? ORDER BY frame", (sid,))]
        last_t = conn.execute("SELECT max(t) FROM frames WHERE session_id = ?", (sid,)).fetchone()[0]
        dets = conn.execute("SELECT count(*) FROM detections WHERE session_id = ?", (sid,)).fetchone()[0]
    finally:
        conn.close()
    assert frames == list(range(len(frames))) and len(frames) > 20  # whole batches: no holes
    assert dets == 3 * len(frames)
    assert last_t >= killed_at - 1.6, f"lost {killed_at - last_t:.2f} s before the kill"  # ~1 s batches + slack

    with SessionStore(path) as s:
        got = s.get_session(sid)
        assert got["status"] == "interrupted"
        assert got["frames"] == len(frames) and got["ended_at"] is not None
        assert {t["frames_seen"] for t in got["tracks"]} == {len(frames)}


def test_reused_pid_with_another_start_time_is_not_the_writer(tmp_path):
    path = tmp_path / "a.db"
    s = SessionStore(path)
    sid = s.start_session(source="x", config={}, models={})
    s.close()
    conn = sqlite3.connect(path)
    with conn:  # our own pid, but another process start: a reused pid
        conn.execute("UPDATE sessions SET proc_token = 'another-boot:123' WHERE id = ?", (sid,))
    conn.close()
    if not store_mod._HAVE_PROC:
        pytest.skip("process start tokens need /proc")
    with SessionStore(path) as s:
        assert s.get_session(sid)["status"] == "interrupted"


# ----------------------------------------------------------------------------- exports


def test_export_json_and_csv_parse_back(tmp_path):
    rng = np.random.default_rng(4)
    with SessionStore(tmp_path / "a.db") as s:
        sid = s.start_session(source="clip.avi", config={"a": 1}, models={}, fps=10.0, frame_size=(768, 576))
        sent = []
        for i in range(4):
            det = make_frame(rng, 3)
            s.add_frame(sid, i, i / 10, det, [make_pose(rng, 2)])
            sent.append(det)
        s.end_session(sid, stats={"frames": 4})

        doc = json.loads(s.export_session(sid[:8], "json"))
        assert doc["schema"] == "axolotl.session-export/1"
        assert doc["session"]["id"] == sid and doc["session"]["config"] == {"a": 1}
        assert [t["track_id"] for t in doc["tracks"]] == [1, 2, 3]
        assert [f["frame"] for f in doc["frames"]] == [0, 1, 2, 3]
        f0 = doc["frames"][0]
        assert f0["detections"][1]["box"] == pytest.approx(sent[0].xyxy[1].tolist(), abs=0.01)
        assert np.array(f0["detections"][0]["keypoints"]) == pytest.approx(sent[0].keypoints[0], abs=1e-3)
        assert f0["poses"][0]["track_id"] == 2 and len(f0["poses"][0]["landmarks"]) == 33

        rows = list(csv.DictReader(io.StringIO(s.export_session(sid, "csv"))))
        assert tuple(rows[0].keys()) == ("session_id", "frame", "t", "track_id", "x1", "y1", "x2", "y2", "score")
        assert len(rows) == 12 and {r["session_id"] for r in rows} == {sid}
        r = rows[4]  # frame 1, second box
        assert (int(r["frame"]), int(r["track_id"])) == (1, 2) and float(r["t"]) == pytest.approx(0.1)
        assert [float(r[k]) for k in ("x1", "y1", "x2", "y2")] == pytest.approx(sent[1].xyxy[1].tolist(), abs=0.01)
        assert float(r["score"]) == pytest.approx(float(sent[1].confidence[1]), abs=1e-4)

        with pytest.raises(AxolotlError) as e:
            s.export_session(sid, "xml")
        assert_one_line(e, "format")


# ----------------------------------------------------------------------------- errors

HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "exclusive":  # nobody else may even read
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
    else:  # another writer in the middle of a transaction
        conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO meta (key, value) VALUES ('held-by-other', 'x')")
    print("locked", flush=True)
    time.sleep(60)
""")


class LockHolder:
    def __init__(self, path: Path, mode: str):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), mode], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def test_database_locked_by_another_process(tmp_path):
    path = tmp_path / "a.db"
    sid = populated(path)
    holder = LockHolder(path, "exclusive")
    try:
        t0 = time.monotonic()
        with pytest.raises(AxolotlError) as e:
            SessionStore(path, busy_timeout=0.3)
        assert time.monotonic() - t0 < 5
        assert_one_line(e, str(path), "locked", "close the other program", "--db")
    finally:
        holder.release()
    with SessionStore(path) as s:  # once the other program is gone, everything is still there
        assert s.get_session(sid)["frames"] == 5
        assert count(path, "detections") == 15 and count(path, "meta") == 2


def test_writer_blocked_by_another_process_keeps_the_rows(tmp_path):
    path = tmp_path / "a.db"
    rng = np.random.default_rng(5)
    s = SessionStore(path, busy_timeout=0.3, flush_interval=3600)
    try:
        sid = s.start_session(source="x", config={}, models={})
        for i in range(10):
            s.add_frame(sid, i, i / 10, make_frame(rng, 2))
        holder = LockHolder(path, "immediate")
        try:
            with pytest.raises(AxolotlError) as e:
                s.flush()
            assert_one_line(e, str(path), "locked")
            with pytest.raises(AxolotlError) as e:
                s.start_session(source="y", config={}, models={})
            assert_one_line(e, "locked")
        finally:
            holder.release()
        s.end_session(sid)  # the other program is gone: the buffered rows are written now
        assert s.get_session(sid)["frames"] == 10 and count(path, "detections") == 20
    finally:
        s.close()


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my training notes, not a database\n" * 200)
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, str(path), "not a SQLite database", "--db")
    assert digest(path) == before


def _fake_readonly(monkeypatch):
    """root ignores file modes: make `os.access` answer from the mode bits, as it would for a user."""
    if os.geteuid() != 0:
        return

    def access(p, mode):
        bits = os.stat(p).st_mode
        return not (mode & os.W_OK) or bool(bits & 0o200)

    monkeypatch.setattr(store_mod.os, "access", access)


def test_read_only_file(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    populated(path)
    before = digest(path)
    path.chmod(0o444)
    _fake_readonly(monkeypatch)
    try:
        with pytest.raises(AxolotlError) as e:
            SessionStore(path)
        assert_one_line(e, str(path), "read-only", "--db")
    finally:
        path.chmod(0o644)
    assert digest(path) == before


def test_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.db"
    populated(path)
    before = digest(path)
    folder.chmod(0o555)
    _fake_readonly(monkeypatch)
    try:
        with pytest.raises(AxolotlError) as e:
            SessionStore(path)
        assert_one_line(e, str(folder), "read-only", "--db")
    finally:
        folder.chmod(0o755)
    assert digest(path) == before


def test_sqlite_readonly_error_is_one_line(tmp_path):
    """SQLite's own SQLITE_READONLY (here through query_only) becomes the read-only message."""
    path = tmp_path / "a.db"
    sid = populated(path)
    with SessionStore(path) as s:
        s._conn.execute("PRAGMA query_only = 1")
        with pytest.raises(AxolotlError) as e:
            s.start_session(source="x", config={}, models={})
        assert_one_line(e, str(path), "read-only", "--db")
        s._conn.execute("PRAGMA query_only = 0")
        assert [x["id"] for x in s.list_sessions()] == [sid]


# ----------------------------------------------------------------------------- migrations


def user_version(path: Path) -> int:
    conn = raw(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_migrates_an_empty_v0_file(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")  # a 0-byte file is an empty SQLite database at version 0
    with SessionStore(path) as s:
        assert user_version(path) == schema_version() >= 1
        assert s.list_sessions() == []
        device = s.device_id
        conn = raw(path)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        finally:
            conn.close()
        assert {"meta", "sessions", "frames", "detections", "pose_samples", "tracks"} <= names
        assert {"idx_detections_session_frame", "idx_detections_session_track"} <= indexes
    with SessionStore(path) as s:
        assert s.device_id == device  # made once per database


def test_refuses_a_v0_database_of_another_program(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE sessions (x)")
        conn.execute("INSERT INTO sessions VALUES (42)")
    conn.close()
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, "another program", "--db")
    assert digest(path) == before


def test_refuses_a_newer_schema_and_leaves_it_untouched(tmp_path):
    path = tmp_path / "a.db"
    populated(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 5}")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(AxolotlError) as e:
        SessionStore(path)
    assert_one_line(e, str(path), "newer", f"v{schema_version() + 5}", "upgrade")
    assert digest(path) == before
    assert count(path, "detections") == 15


def test_later_migration_steps_run_in_order_and_keep_data(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    sid = populated(path)
    v = store_mod.schema_version()  # the current version, before the extra step
    seen = []

    def step_add_column(conn):
        seen.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("ALTER TABLE sessions ADD COLUMN note TEXT")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*store_mod.MIGRATIONS, step_add_column])
    with SessionStore(path) as s:
        assert seen == [v]  # run once, from the current version
        assert user_version(path) == v + 1
        got = s.get_session(sid)
        assert got["frames"] == 5 and got["note"] is None
    with SessionStore(path):
        assert seen == [v]  # not again
