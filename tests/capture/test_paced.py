"""A file played as a live camera: frames due at the file's rate, dropped (oldest first) when the consumer is slow."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from edge_app.capture import PacedSource, open_paced
from edge_app.errors import AxolotlError
from tests.capture.helpers import one_line_error

pytestmark = pytest.mark.timeout(60)

FPS = 50.0
N = 40  # 0.8 s of video


@pytest.fixture
def clip(tmp_path):
    """A short real MJPEG file whose frame i is filled with grey level 5 * i (decodable back to i)."""
    path = tmp_path / "count.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 48))
    assert out.isOpened()
    for i in range(N):
        out.write(np.full((48, 64, 3), 5 * i, np.uint8))
    out.release()
    return path


def _level(image) -> int:
    return int(round(float(image.mean()) / 5))


def test_fast_consumer_gets_every_frame_at_its_due_time(clip):
    with open_paced(clip, queue_size=N) as src:  # room for the whole clip: a stalled consumer still drops nothing
        assert isinstance(src, PacedSource) and src.is_live and src.fps == pytest.approx(FPS) and src.frame_count == N
        got, received = [], []
        for frame in src:
            received.append(time.monotonic_ns())
            got.append(frame)
        stats = src.stats
    # Nobody was slow, so nothing dropped: each frame once, in order, with the file's index and time.
    assert [f.index for f in got] == list(range(N)) and [_level(f.image) for f in got] == list(range(N))
    assert stats["decoded"] == N and stats["dropped"] == 0
    assert [f.pts_s for f in got] == pytest.approx([i / FPS for i in range(N)])
    # t_ns is the paced clock's due time: exactly i / fps after frame 0, and never delivered before it.
    assert [f.t_ns - got[0].t_ns for f in got] == [round(i * 1e9 / FPS) for i in range(N)]
    assert all(r >= f.t_ns for r, f in zip(received, got))


def test_slow_consumer_loses_the_oldest_frames_never_the_camera_its_pace(clip):
    with open_paced(clip, queue_size=2) as src:
        got = []
        for frame in src:
            got.append(frame)
            time.sleep(4 / FPS)  # four frames' time per frame: the paced clock runs on, frames pile up
        stats = src.stats
    idx = [f.index for f in got]
    assert stats["decoded"] == N and stats["dropped"] > 0
    assert stats["decoded"] == len(got) + stats["dropped"]  # each frame either delivered or dropped
    assert stats["max_queued"] <= 2
    assert all(b > a for a, b in zip(idx, idx[1:])) and idx[-1] - idx[0] > len(idx)  # gaps: the drops
    assert [_level(f.image) for f in got] == idx  # the index is the file's own
    assert idx[-1] == N - 1  # the newest frame is never the one dropped


def test_newest_hands_over_the_latest_frame_and_counts_what_it_passed_over(clip):
    with open_paced(clip, queue_size=8) as src:
        got = []
        for frame in src.newest():
            got.append(frame)
            time.sleep(4 / FPS)
        stats = src.stats
    idx = [f.index for f in got]
    assert stats["decoded"] == N and stats["decoded"] == len(got) + stats["dropped"] and stats["dropped"] > 0
    assert all(b > a for a, b in zip(idx, idx[1:])) and idx[-1] == N - 1


def test_closed_source_delivers_nothing_more(clip):
    src = open_paced(clip)
    src.close()
    assert src.closed and list(src) == [] and src.stats["decoded"] < N


@pytest.mark.parametrize("spec, message", [("no-such-clip.avi", "video not found"), (0, "camera source")])
def test_bad_source_is_one_line_error(spec, message):
    with pytest.raises(AxolotlError) as excinfo:
        open_paced(spec)
    assert message in one_line_error(excinfo)
