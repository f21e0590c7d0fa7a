"""ByteTrack: hand-made cases, then agreement with supervision's ByteTrack on real detections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_app.config import TrackerConfig
from edge_app.vision.detections import Detections
from edge_app.vision.track import ByteTrack

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "vtest_detections.npz"


def make_tracker(**params) -> ByteTrack:
    """ByteTrack with the app's configured thresholds (TrackerConfig's defaults), `params` on top."""
    return ByteTrack(**{**TrackerConfig().model_dump(), **params})


def dets(boxes, scores=None, keypoints=None) -> Detections:
    xyxy = np.asarray(boxes, np.float32).reshape(-1, 4)
    conf = np.full(len(xyxy), 0.9, np.float32) if scores is None else np.asarray(scores, np.float32)
    return Detections(xyxy, conf, np.zeros(len(xyxy), np.int32), keypoints)


def box(cx, cy, w=40.0, h=80.0):
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def ids_by_row(out: Detections) -> dict[tuple, int]:
    return {tuple(np.round(b, 2)): int(t) for b, t in zip(out.xyxy, out.tracker_id)}


def run_one(tracker, frames):
    """frames: list of lists of (box, score); returns per frame {box: id}."""
    result = []
    for frame in frames:
        boxes = [b for b, _ in frame]
        scores = [s for _, s in frame]
        result.append(ids_by_row(tracker.update(dets(boxes, scores))))
    return result


def single_id(frame_out: dict) -> int:
    assert len(frame_out) == 1, frame_out
    return next(iter(frame_out.values()))


# ---------------------------------------------------------------- hand-made cases


def test_two_crossing_objects_keep_their_ids():
    tracker = make_tracker(frame_rate=10)
    n = 60
    a_id = b_id = None
    for t in range(n):
        a = box(100 + 8 * t, 200)  # left to right
        b = box(100 + 8 * (n - 1) - 8 * t, 215)  # right to left, a bit lower: they overlap mid-way
        out = tracker.update(dets([a, b]))
        if t == 0:
            assert len(out) == 2  # the very first frame confirms tracks at once (as ByteTrack)
        got = {tuple(np.round(r, 2)): int(i) for r, i in zip(out.xyxy, out.tracker_id)}
        ka, kb = tuple(np.round(np.float32(a), 2)), tuple(np.round(np.float32(b), 2))
        assert set(got) == {ka, kb}, f"frame {t}: {got}"
        if a_id is None:
            a_id, b_id = got[ka], got[kb]
            assert a_id != b_id
        assert (got[ka], got[kb]) == (a_id, b_id), f"id switch at frame {t}"


def _gap_run(gap: int, frame_rate=10, moving=True):
    """One object seen for 10 frames, missing for `gap` frames, then seen for 5."""
    tracker = make_tracker(frame_rate=frame_rate)
    ids = []
    for t in range(10 + gap + 5):
        if 10 <= t < 10 + gap:
            out = tracker.update(dets([]))
            assert len(out) == 0
            continue
        out = tracker.update(dets([box(100 + (6 * t if moving else 0), 200)]))
        ids.append(int(out.tracker_id[0]) if len(out) else None)
    return ids, tracker


def test_short_gap_gets_the_old_id_back():
    tracker = make_tracker(frame_rate=10)
    assert tracker.max_time_lost == 10  # 30 frames at 30 fps -> 10 at 10 fps
    ids, _ = _gap_run(gap=5)
    assert ids[:10] == [1] * 10
    assert ids[10:] == [1] * 5  # re-found on its first frame back, where the Kalman filter put it


def test_gap_longer_than_the_buffer_gets_a_new_id():
    ids, _ = _gap_run(gap=20, moving=False)
    assert ids[:10] == [1] * 10
    # a new track: unconfirmed on its first frame (not output), then a new id
    assert ids[10] is None and ids[11:] == [2] * 4


def test_low_score_continues_a_track_but_never_starts_one():
    tracker = make_tracker(frame_rate=10)
    outs = []
    for t in range(12):
        x = 100 + 5 * t
        score = 0.9 if t < 4 else 0.15  # 0.1 < 0.15 < 0.25: a second-stage detection
        frame = [(box(x, 200), score), (box(500, 300), 0.15), (box(300, 450), 0.3)]
        outs.append(run_one(tracker, [frame])[0])
    # the moving object keeps id 1 through its low-score frames, output as those rows
    for t, out in enumerate(outs):
        assert list(out.values()) == [1], (t, out)
        assert next(iter(out)) == tuple(np.round(np.float32(box(100 + 5 * t, 200)), 2))
    # the lone 0.15 box, and the 0.3 box (above 0.25 but below the 0.35 needed to start a
    # track), never became tracks
    assert tracker.tracked_ids.tolist() == [1] and tracker.num_lost == 0


def test_low_score_alone_does_not_revive_a_lost_track():
    """Second stage matches only tracks still tracked, not lost ones (ByteTrack's rule)."""
    tracker = make_tracker(frame_rate=10)
    for _t in range(5):
        tracker.update(dets([box(100, 200)]))
    tracker.update(dets([]))  # lost
    out = tracker.update(dets([box(100, 200)], [0.2]))
    assert len(out) == 0 and tracker.num_lost == 1
    out = tracker.update(dets([box(100, 200)], [0.9]))
    assert out.tracker_id.tolist() == [1]


def test_minimum_consecutive_frames_delays_the_id():
    tracker = make_tracker(frame_rate=10, minimum_consecutive_frames=3)
    lens = [len(tracker.update(dets([box(100 + 5 * t, 200)]))) for t in range(6)]
    # frame 1 activates at once but has no id before 3 matched frames
    assert lens == [0, 0, 0, 1, 1, 1]


def test_rows_and_extra_arrays_follow_the_tracks():
    tracker = make_tracker(frame_rate=10)
    kps = np.arange(2 * 17 * 3, dtype=np.float32).reshape(2, 17, 3)
    for t in range(3):
        d = dets([box(100 + 5 * t, 200), box(400, 300 + 5 * t)], [0.8, 0.9], kps + t)
        d = Detections(
            d.xyxy, d.confidence, np.array([0, 32], np.int32), d.keypoints, data={"tag": np.array(["a", "b"])}
        )
        out = tracker.update(d)
    assert out.tracker_id.dtype == np.int64
    np.testing.assert_array_equal(out.xyxy, d.xyxy)  # every row tracked, in input order
    np.testing.assert_array_equal(out.keypoints, kps + 2)
    assert out.data["tag"].tolist() == ["a", "b"] and out.class_id.tolist() == [0, 32]
    assert sorted(out.tracker_id.tolist()) == [1, 2]


def test_empty_frames_and_reset():
    tracker = make_tracker()
    assert len(tracker.update(Detections.empty())) == 0
    for _t in range(3):
        out = tracker.update(dets([box(100, 200)]))
    assert out.tracker_id.tolist() == [1]
    tracker.reset()
    assert tracker.frame_id == 0 and tracker.num_lost == 0 and len(tracker.tracked_ids) == 0
    assert tracker.update(dets([box(300, 200)])).tracker_id.tolist() == [1]


def test_many_tracks_grow_the_state_arrays():
    tracker = make_tracker()
    grid = [box(60 * (i % 12) + 30, 100 * (i // 12) + 50, 30, 60) for i in range(100)]
    for _ in range(3):
        out = tracker.update(dets(grid))
    assert len(out) == 100 and len(set(out.tracker_id.tolist())) == 100
    assert tracker.covariances().shape == (100, 8, 8) and tracker.means().shape == (100, 8)


# ---------------------------------------------------------------- against supervision


def load_frames(min_conf: float = 0.0):
    data = np.load(FIXTURE)
    frame, xyxy, conf = data["frame"], data["xyxy"], data["confidence"]
    bounds = np.searchsorted(frame, np.arange(int(data["num_frames"]) + 1))
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        keep = conf[a:b] >= min_conf
        out.append((xyxy[a:b][keep], conf[a:b][keep]))
    return out


def compare_with_supervision(frames, **params):
    """(id agreement on common rows under the best one-to-one id map, rows only ours, of which
    on a track supervision tracks with the same id, rows only supervision, common rows, our id
    count): the benchmark's comparison, so the test and the published figure are one computation."""
    pytest.importorskip("supervision")
    from benchmarks.bench_tracker import compare

    r = compare(frames, **params)
    return (
        r["id_agreement"],
        r["rows_only_ours"],
        r["only_ours_explained"],
        r["rows_only_sv"],
        r["rows_common"],
        r["ids_ours"],
    )


@pytest.mark.parametrize(
    "min_conf, params",
    [
        (0.0, {"frame_rate": 10}),  # all boxes down to 0.1: exercises the second association
        (0.25, {"frame_rate": 10}),  # the detector's default threshold
        (
            0.0,
            {
                "frame_rate": 30,
                "lost_track_buffer": 5,
                "minimum_consecutive_frames": 3,
                "track_activation_threshold": 0.5,
            },
        ),
    ],
)
def test_agrees_with_supervision_on_vtest(min_conf, params):
    frames = load_frames(min_conf)
    agreement, only_ours, explained, only_sv, common, n_ids = compare_with_supervision(frames, **params)
    total = common + only_ours + only_sv
    assert common > 1500
    assert agreement >= 0.99, f"ids agree on {agreement:.2%} of {common} track-frames"
    # Rows only we output: supervision tracks them too (same id) but its output step drops them
    # (it re-matches Kalman boxes to detections at IoU >= 0.5; we return the matched rows).
    assert explained == only_ours
    assert only_ours <= 0.03 * total and only_sv <= 0.005 * total


def test_track_count_on_vtest_is_plausible():
    """vtest.avi: ~80 s of a pedestrian precinct, a few people in view at a time, a few dozen in all."""
    frames = load_frames()
    tracker = make_tracker(frame_rate=10)
    ids, rows = set(), 0
    for xy, conf in frames:
        out = tracker.update(Detections(xy, conf, np.zeros(len(conf), np.int32)))
        ids.update(out.tracker_id.tolist())
        rows += len(out)
    assert 20 <= len(ids) <= 70, len(ids)
    assert rows / len(frames) >= 2.5  # most detected people are tracked in most frames
    assert rows / len(ids) >= 30  # tracks last (3 s and more on average), not flicker


@pytest.mark.parametrize("gap", range(1, 16))
def test_lost_buffer_boundary_matches_supervision(gap):
    """The id after a gap of `gap` empty frames, near the buffer's end (10 frames at 10 fps;
    supervision keeps a timed-out track re-findable one frame more)."""
    sv = pytest.importorskip("supervision")
    ours, theirs = make_tracker(frame_rate=10), sv.ByteTrack(frame_rate=10)
    got_ours, got_sv = [], []
    for t in range(10 + gap + 3):
        boxes = [] if 10 <= t < 10 + gap else [box(100 + 4 * t, 200)]
        a = ours.update(dets(boxes))
        b = theirs.update_with_detections(
            sv.Detections(
                xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
                confidence=np.full(len(boxes), 0.9, np.float32),
                class_id=np.zeros(len(boxes), int),
            )
        )
        got_ours.append(a.tracker_id.tolist())
        got_sv.append(b.tracker_id.tolist())
    assert got_ours == got_sv


@pytest.mark.parametrize("low, continued", [(0.1, True), (0.2, False)])
def test_low_score_threshold_decides_the_second_association(low, continued):
    """A tracked player seen once at 0.15: kept (same id, that row) above the low threshold, lost below it."""
    tracker = make_tracker(frame_rate=10, low_score_threshold=low)
    for t in range(3):
        tracker.update(dets([box(100 + 5 * t, 200)]))
    out = tracker.update(dets([box(115, 200)], [0.15]))
    assert (out.tracker_id.tolist() == [1]) is continued
    assert tracker.num_lost == (0 if continued else 1)


def test_live_iou_buffer_follows_a_player_further_than_their_width():
    from edge_app.vision.track import live_iou_buffer

    # A 24x60 px player running 30 px between two frames 0.2 s apart (a live run at 5 Hz): the
    # boxes do not overlap, so plain ByteTrack starts a new track every frame and outputs none
    # after the first; the buffer (1.0 at 0.2 s) keeps the one id.
    frames = [[(box(100 + 30 * i, 200, 24, 60), 0.9)] for i in range(6)]
    plain = run_one(ByteTrack(**TrackerConfig().model_dump()), frames)
    assert all(len(f) == 0 for f in plain[1:])
    tracker = ByteTrack(**TrackerConfig().model_dump())
    tracker.iou_buffer = live_iou_buffer(0.2)
    out = run_one(tracker, frames)
    assert tracker.iou_buffer == 1.0 and all(len(f) == 1 for f in out) and len({single_id(f) for f in out}) == 1
    assert live_iou_buffer(0.04) < live_iou_buffer(0.2) < live_iou_buffer(0.4) == live_iou_buffer(10.0)


def _crossing(tracker, speed: float, hidden=(4, 5), colours=False, offset: float = 10):
    """Two 24x60 px players running at each other `speed` px a frame (5 Hz), `offset` px apart in height;
    the one behind is hidden in `hidden` (one box where they cross). Returns the ids of the runner
    going right, and of the other, per frame (None where not output)."""
    red, blue = np.zeros(68, np.float32), np.zeros(68, np.float32)
    red[0], blue[40] = 1.0, 1.0
    going_right, going_left = [], []
    for i in range(10):
        a, b = box(100 + speed * i, 200, 24, 60), box(100 + speed * 9 - speed * i, 200 + offset, 24, 60)
        rows = [a] if i in hidden else [a, b]
        pair = colours if isinstance(colours, tuple) else (red, blue)
        cols = np.stack(pair[: len(rows)]) if colours is not False else None
        out = ids_by_row(tracker.update(dets(rows), cols))
        going_right.append(out.get(tuple(np.round(np.asarray(a, np.float32), 2))))
        going_left.append(out.get(tuple(np.round(np.asarray(b, np.float32), 2))))
    return going_right, going_left


def _sparse_tracker(steps: float) -> ByteTrack:
    from edge_app.vision.track import live_iou_buffer

    tracker = ByteTrack(**TrackerConfig().model_dump())
    tracker.iou_buffer, tracker.steps = live_iou_buffer(0.2), steps
    return tracker


def test_the_kalman_step_keeps_two_crossing_runners_apart_at_5_hz():
    # 35 px a frame at 5 Hz (7 m/s on a 60 px player). ByteTrack's noise is per 30 fps frame: its
    # velocity follows a player moving 6 frames' worth a step too slowly, so where the one behind is
    # hidden the runner in front is taken for them (id 2) and the hidden one comes back new (id 3).
    # With the step (6 reference frames) each keeps their own id.
    right, left = _crossing(_sparse_tracker(1.0), 35)
    assert 2 in right and 3 in left
    right, left = _crossing(_sparse_tracker(6.0), 35)
    assert set(right) == {1} and {i for i in left if i is not None} == {2}
    assert left[4:6] == [None, None]


def test_the_colour_gate_stops_a_track_jumping_to_the_other_kit():
    # Level runners at 25 px a frame: the plain step-1 tracker hands the red runner's box to the blue
    # track where the blue one is hidden; with their torso colours and the gate it cannot.
    right, _ = _crossing(_sparse_tracker(1.0), 25, offset=0)
    assert 2 in right
    gated = _sparse_tracker(1.0)
    gated.colour_gate = 0.5
    right, left = _crossing(gated, 25, colours=True, offset=0)
    assert set(right) == {1} and {i for i in left if i is not None} == {2}
    # Colours without the gate change nothing (ByteTrack's own).
    right, _ = _crossing(_sparse_tracker(1.0), 25, colours=True, offset=0)
    assert 2 in right


def test_an_unknown_colour_gates_nothing():
    gated = _sparse_tracker(1.0)
    gated.colour_gate = 0.5
    frames = [box(100 + 20 * i, 200, 24, 60) for i in range(5)]
    ids = []
    for i, b in enumerate(frames):
        col = np.full((1, 68), np.nan, np.float32)
        if i == 0:
            col[0] = 0.0
            col[0, 0] = 1.0  # red, then unknown (occluded torsos)
        ids.append(single_id(ids_by_row(gated.update(dets([b]), col))))
    assert ids == [1] * 5


def test_the_legs_gate_keeps_teammates_in_one_bib_apart():
    # The same red bib on both runners, navy shorts and white shorts: the torso gate alone lets the
    # red-navy track take the red-white box where the other is hidden; a gate per part (torso, legs),
    # the colours side by side, does not.
    red, navy, white = np.zeros(68, np.float32), np.zeros(68, np.float32), np.zeros(68, np.float32)
    red[0], navy[40], white[66] = 1.0, 1.0, 1.0
    a, b = np.concatenate([red, navy]), np.concatenate([red, white])
    torso_only = _sparse_tracker(1.0)
    torso_only.colour_gate = (0.5, 1.1)  # a legs gate no distance passes: the torso's alone
    right, _ = _crossing(torso_only, 25, colours=(a, b), offset=0)
    assert 2 in right
    both = _sparse_tracker(1.0)
    both.colour_gate = (0.5, 0.5)
    right, left = _crossing(both, 25, colours=(a, b), offset=0)
    assert set(right) == {1} and {i for i in left if i is not None} == {2}


def test_a_lost_track_is_dropped_after_the_same_media_time_however_sparse_the_frames():
    # ByteTrack keeps a lost track 30 frames at 30 fps: 1 s (and re-findable one update more). At 5 Hz
    # (steps 6) the clock advances 6 frames an update: a player unseen for 0.8 s is re-found, one unseen
    # for 1.6 s comes back new. Counted in updates, a lost track lingered 30 of them: 6 s.
    def back_as(updates: int) -> set:
        tracker = _sparse_tracker(6.0)
        for _ in range(3):
            assert set(ids_by_row(tracker.update(dets([box(100, 200, 24, 60)]))).values()) == {1}
        for _ in range(updates):
            tracker.update(dets([]))
        return {i for _ in range(2) for i in ids_by_row(tracker.update(dets([box(100, 200, 24, 60)]))).values()}

    assert back_as(4) == {1}
    assert back_as(8) == {2}
