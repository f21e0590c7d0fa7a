"""The frame writer: batching into one transaction, the writer thread, and what a SIGKILL loses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from edge_app.store import SessionStore
from edge_app.vision.detections import Detections
from tests.store.helpers import count, make_frame, make_pose, raw

ROOT = Path(__file__).resolve().parents[2]


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
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
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
        (status,) = conn.execute("SELECT status FROM sessions WHERE id = ?", (sid,)).fetchone()
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
