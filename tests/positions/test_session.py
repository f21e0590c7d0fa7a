"""The positions stage: one typed object per session, built from stored boxes with the rules worked by hand."""

import numpy as np
import pytest

from edge_app.pitch import SEVEN, Calibration
from edge_app.positions.session import BOX, HEAD, ghost_ends, session_positions
from edge_app.store.records import BoxRows
from tests.positions.helpers import TRIPOD, person_box, tripod_calibration


def test_a_ghost_frame_after_a_long_loss_is_not_the_track():
    fps = 25
    body = np.arange(0, 100) / fps  # 4 s seen
    # Re-found for one frame 0.8 s after it was lost, then gone: the track's end is where it was lost.
    t = np.r_[body, body[-1] + 0.8]
    assert ghost_ends(t) == slice(0, 100)
    # Also at the start (two frames, then 0.6 s of nothing), and not for a short loss (0.2 s).
    t = np.r_[0.0, 0.04, 0.64 + body]
    assert ghost_ends(t) == slice(2, 102)
    t = np.r_[body, body[-1] + 0.2]
    assert ghost_ends(t) == slice(0, 101)
    # Three frames after the loss are the player coming back, and a short track is left whole.
    t = np.r_[body, body[-1] + 0.8 + np.arange(3) / fps]
    assert ghost_ends(t) == slice(0, 103)
    assert ghost_ends(np.array([0.0, 1.0, 2.0])) == slice(0, 3)


def _rows(*boxes):
    """BoxRows from (frame, t, track_id, x1, y1, x2, y2) tuples, in the order given."""
    a = np.array(boxes, float).reshape(-1, 7)
    return BoxRows(a[:, 0].astype(np.int64), a[:, 1], a[:, 2].astype(np.int64), a[:, 3:].astype(np.float32))


def test_each_track_in_time_order_without_its_ghost_end():
    # Track 1 seen in frames 0-9 at 10 fps, then one ghost frame 1.0 s later (frame 20); track 2 in frames 5-9.
    rows = [(f, f / 10, 1, 100 + f, 200, 140 + f, 300) for f in range(10)]
    rows += [(f, f / 10, 2, 500, 100, 520, 150) for f in range(5, 10)]
    rows.append((20, 2.0, 1, 900, 200, 940, 300))
    rows.sort(key=lambda r: r[0])  # the store's order: by frame
    pos = session_positions("s", _rows(*rows), (1920, 1080))
    assert pos.units == "px" and set(pos.tracks) == {1, 2}
    one = pos.tracks[1]
    np.testing.assert_allclose(one.t, np.arange(10) / 10)  # the ghost frame is gone
    np.testing.assert_allclose(one.image, np.c_[120 + np.arange(10), np.full(10, 300)])  # bottom centres
    np.testing.assert_allclose(one.height, 100)
    assert one.pitch is None and one.kept.all() and (one.how == BOX).all()
    # A player of both tracks: every point in time order (track 2's frames interleave with track 1's).
    t, xy = pos.player([2, 1])
    assert list(t) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.8, 0.8, 0.9, 0.9])
    assert xy.shape == (15, 2) and pos.player([7])[0].shape == (0,)


def test_calibrated_positions_are_metres_with_the_kept_samples_marked():
    # 1 px = 0.1 m, so 1 px a frame at 10 fps is a 1 m/s walk; in frame 15 the box's bottom leaps
    # 300 px (30 m) away and back: a spike the cleaning drops.
    cal = Calibration(np.diag([0.1, 0.1, 1.0]), template=SEVEN, image_size=(1920, 1080))
    rows = [(f, f / 10, 3, 100 + f - 20, 200, 100 + f + 20, 400 + (300 if f == 15 else 0)) for f in range(30)]
    tr = session_positions("s", _rows(*rows), (1920, 1080), cal).tracks[3]
    np.testing.assert_allclose(tr.pitch[:, 0], (100 + np.arange(30)) / 10)
    assert tr.pitch[15, 1] == pytest.approx(70.0) and tr.pitch[14, 1] == pytest.approx(40.0)
    assert list(np.flatnonzero(~tr.kept)) == [15]


def test_a_player_whose_legs_are_hidden_stands_under_their_head():
    # The tripod view: a 1.55 m player walks 30 frames; from frame 22 a nearer player's box (ending
    # 200 px lower) covers their legs, and their own box ends at the hips.
    steps = np.linspace(0, 6, 30)
    xs, ys = 20 + steps, 14 + 0.3 * steps
    rows = []
    for f, (x, y) in enumerate(zip(xs, ys)):
        b = person_box(x, y, 1.55, 0.5 if f >= 22 else 0.0)
        rows.append((f, f / 25, 1, *b))
        if f >= 22:
            rows.append((f, f / 25, 2, b[0] - 10, b[3] - 60, b[2] + 10, b[3] + 200))
    pos = session_positions("s", _rows(*rows), TRIPOD.size, tripod_calibration())
    one = pos.tracks[1]
    assert list(np.flatnonzero(one.how == HEAD)) == list(range(22, 30))
    assert np.hypot(*(one.pitch - np.c_[xs, ys]).T).max() < 0.2  # the box's bottom would be metres off


def test_ghost_end_boundaries():
    # Four detections (= 2 * GHOST_FRAMES) are a short track, left whole even with a lone first frame.
    assert ghost_ends(np.array([0.0, 1.0, 1.04, 1.08])) == slice(0, 4)
    # Five are not: the first frame, 1.0 s before the rest, is a ghost.
    assert ghost_ends(np.array([0.0, 1.0, 1.04, 1.08, 1.12])) == slice(1, 5)
    # A gap of exactly GHOST_GAP_S (0.5 s, exact in binary) is not "more than": nothing dropped.
    assert ghost_ends(np.r_[0.0, 0.5 + np.arange(5) * 0.04]) == slice(0, 6)
