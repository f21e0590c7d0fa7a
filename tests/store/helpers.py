"""Shared helpers of the store tests: synthetic frames and poses, raw readers of the file, a
process that holds the database lock, and the player-identity scenario."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edge_app.identity import fragments
from edge_app.positions.session import read_positions
from edge_app.store import SessionStore
from edge_app.vision.detections import Detections


@dataclass
class FakePose:  # duck-typed like vision.pose.PoseSample
    track_id: int
    landmarks: np.ndarray
    world_landmarks: np.ndarray
    score: float = 0.9


def stored_fragments(store, sid: str) -> list:
    """A stored session's tracks as the stitching sees them (uncalibrated: pixel ends)."""
    return fragments(store.track_rows(sid), read_positions(store, sid), store.appearance(sid))


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
    return FakePose(
        track_id, rng.uniform(0, 600, (33, 4)).astype(np.float32), rng.uniform(-1, 1, (33, 4)).astype(np.float32)
    )


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


def user_version(path: Path) -> int:
    conn = raw(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


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
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path), mode], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


# ----------------------------------------------------------------------------- players (issue #3)

RED = np.zeros(68, np.float32)
RED[3] = 1.0
BLUE = np.zeros(68, np.float32)
BLUE[40] = 1.0


def dets(rows):
    """rows: (track_id, x_centre, y_bottom, height)"""
    if not rows:
        return Detections.empty()
    xyxy = np.array([(x - h / 4, y - h, x + h / 4, y) for _, x, y, h in rows], np.float32)
    return Detections(
        xyxy,
        np.full(len(rows), 0.9, np.float32),
        np.zeros(len(rows), np.int32),
        tracker_id=np.array([r[0] for r in rows], np.int64),
    )


def record(
    s: SessionStore, script: dict[int, list], n: int, fps: float = 10.0, hist_every: int | None = 2, end=True
) -> str:
    """script: frame -> rows; hist: track 1, 2 red, 3 blue, 4 red."""
    sid = s.start_session("synthetic", fps=fps, frame_size=(800, 600))
    colour = {1: RED, 2: RED, 3: BLUE, 4: RED}
    for f in range(n):
        rows = script.get(f, [])
        app = {r[0]: colour[r[0]] for r in rows} if hist_every and f % hist_every == 0 else None
        s.add_frame(sid, f, f / fps, dets(rows), appearance=app)
    if end:
        s.end_session(sid)
    return sid


def scenario():
    """Track 1 walks frames 0-29, vanishes 2 s, comes back as track 2 (frames 50-79) nearby, same
    shirt; track 3 (blue) is seen all along elsewhere; track 4 (red) appears at frame 90, far away."""
    script = {}
    for f in range(100):
        rows = []
        if f < 30:
            rows.append((1, 100 + 2 * f, 400, 100))
        if 50 <= f < 80:
            rows.append((2, 170 + 2 * (f - 50), 400, 100))
        rows.append((3, 600, 300, 80))
        if f >= 90:
            rows.append((4, 700, 500, 120))
        script[f] = rows
    return script
