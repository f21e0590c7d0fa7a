"""PoseEstimator on real images: MediaPipe's bundled model, no fakes for the pose itself."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.vision import pose as pose_mod
from edge_app.vision.detections import PERSON, SPORTS_BALL, Detections
from edge_app.vision.pose import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    PoseEstimator,
    PoseSample,
    padded_crop_bounds,
)

DATA = Path(__file__).resolve().parents[1] / "data"
VTEST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vtest.avi"

# Messi in messi5.jpg (548x342), measured by drawing it: left hand at x~70, right boot
# tip at x~457, hair at y~60, boots at y~337. (A box of x 200-330 would cut off both
# arms and the extended leg.)
MESSI_BOX = (68.0, 58.0, 458.0, 338.0)
# In vtest.avi frame 200: the walker in jeans on the right of the road, measured likewise.
VTEST_FRAME = 200
VTEST_WALKER = (615.0, 263.0, 653.0, 369.0)


def tracked(boxes, track_ids, class_ids=None) -> Detections:
    n = len(boxes)
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(n, 4),
        confidence=np.full(n, 0.9, np.float32),
        class_id=np.asarray(class_ids if class_ids is not None else [PERSON] * n, np.int32),
        tracker_id=np.asarray(track_ids, np.int64),
    )


@pytest.fixture(scope="module")
def messi() -> np.ndarray:
    image = cv2.imread(str(DATA / "messi5.jpg"))
    assert image is not None and image.shape == (342, 548, 3)
    return image


def assert_upright_body(sample: PoseSample, min_vis: float) -> None:
    lm = sample.landmarks
    hips_y = lm[[LEFT_HIP, RIGHT_HIP], 1].mean()
    assert lm[NOSE, 1] < lm[[LEFT_SHOULDER, RIGHT_SHOULDER], 1].mean() < hips_y
    assert lm[NOSE, 1] < hips_y
    assert lm[LEFT_ANKLE, 1] > lm[LEFT_KNEE, 1]
    assert lm[RIGHT_ANKLE, 1] > lm[RIGHT_KNEE, 1]
    key = [NOSE, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE]
    assert lm[key, 3].min() > min_vis, lm[key, 3]


def assert_inside(points: np.ndarray, box, tol: float = 1.0) -> None:
    x1, y1, x2, y2 = box
    assert (points[:, 0] >= x1 - tol).all() and (points[:, 0] <= x2 + tol).all(), points[:, 0]
    assert (points[:, 1] >= y1 - tol).all() and (points[:, 1] <= y2 + tol).all(), points[:, 1]


def test_messi_pose_in_full_frame_pixels(messi):
    with PoseEstimator() as estimator:
        samples = estimator.process(messi, tracked([MESSI_BOX], [7]), t_ms=1234)
    assert len(samples) == 1
    s = samples[0]
    assert s.track_id == 7 and s.t_ms == 1234
    assert s.landmarks.shape == (33, 4) and s.landmarks.dtype == np.float32
    assert s.world_landmarks.shape == (33, 4) and s.world_landmarks.dtype == np.float32
    padded = padded_crop_bounds(np.array(MESSI_BOX), 0.15, 548, 342)
    assert s.crop_xyxy == padded
    assert_inside(s.landmarks, padded)
    assert_upright_body(s, min_vis=0.7)
    assert s.score > 0.8
    # Where the joints really are (by eye, full-frame pixels): face, right hand up-left, boots.
    assert np.hypot(*(s.landmarks[NOSE, :2] - (250, 115))) < 20
    assert np.hypot(*(s.landmarks[16, :2] - (105, 100))) < 25  # right wrist, the outstretched arm
    assert s.landmarks[[LEFT_ANKLE, RIGHT_ANKLE], 1].max() > 290
    # World landmarks: metres around the hip centre.
    hip_centre = s.world_landmarks[[LEFT_HIP, RIGHT_HIP], :3].mean(axis=0)
    assert np.abs(hip_centre).max() < 0.05
    assert 0.2 < np.abs(s.world_landmarks[:, :3]).max() < 1.5


def test_landmarks_follow_the_crop_offset(messi):
    """The same player pasted elsewhere in a bigger frame: landmarks move by exactly the offset."""
    dx, dy = 300, 150
    canvas = np.full((342 + 2 * dy, 548 + 2 * dx, 3), 90, np.uint8)
    canvas[dy : dy + 342, dx : dx + 548] = messi
    box = np.array(MESSI_BOX) + [dx, dy, dx, dy]
    with PoseEstimator(padding=0.0) as estimator:
        (base,) = estimator.process(messi, tracked([MESSI_BOX], [1]), 0)
        (moved,) = estimator.process(canvas, tracked([box], [1]), 100)
    shift = moved.landmarks[:, :2] - base.landmarks[:, :2]
    visible = base.landmarks[:, 3] > 0.8
    assert np.allclose(np.median(shift[visible], axis=0), (dx, dy), atol=1.0), np.median(shift[visible], axis=0)


def test_round_robin_under_budget_and_skips(messi):
    """Three real players (Messi tiled thrice), a too-small box and a ball: one crop per frame."""
    frame = np.ascontiguousarray(np.hstack([messi, messi, messi]))
    x1, y1, x2, y2 = MESSI_BOX
    boxes = [(x1 + 548 * k, y1, x2 + 548 * k, y2) for k in range(3)]
    boxes.append((1200.0, 10.0, 1240.0, 70.0))  # a person 60 px tall: below min_box_height
    boxes.append((100.0, 10.0, 300.0, 330.0))  # tall, but a ball
    dets = tracked(boxes, [5, 2, 9, 1, 3], [PERSON, PERSON, PERSON, PERSON, SPORTS_BALL])
    tile_of = {5: 0, 2: 1, 9: 2}

    # ~1 ms fits no more than one crop (each takes tens of ms); the first always runs.
    with PoseEstimator(budget_ms=1.0) as estimator:
        turns = []
        for t in range(3):
            samples = estimator.process(frame, dets, t_ms=100 * t)
            assert len(estimator.last_attempted) == 1
            turns.extend(estimator.last_attempted)
            assert [s.track_id for s in samples] == list(estimator.last_attempted)
            for s in samples:  # each pose lands on its own tile
                k = tile_of[s.track_id]
                assert_inside(s.landmarks, padded_crop_bounds(np.array(boxes[k]), 0.15, frame.shape[1], 342))
        assert sorted(turns) == [2, 5, 9]
        assert turns == [2, 5, 9]  # by track id, the cursor persisting across frames
        estimator.process(frame, dets, t_ms=300)
        assert estimator.last_attempted == (2,)  # wrapped around
        assert estimator.mean_crop_ms is not None and estimator.mean_crop_ms > 1.0

    with PoseEstimator(budget_ms=0.0) as estimator:
        for t in range(4):
            estimator.process(frame, dets, t_ms=t)
            assert len(estimator.last_attempted) == 1

    with PoseEstimator(budget_ms=60_000.0) as estimator:
        samples = estimator.process(frame, dets, t_ms=0)
        assert sorted(estimator.last_attempted) == [2, 5, 9]  # never the small box (1) nor the ball (3)
        assert sorted(s.track_id for s in samples) == [2, 5, 9]

    with PoseEstimator(budget_ms=60_000.0, max_tracks_per_frame=2) as estimator:
        estimator.process(frame, dets, t_ms=0)
        assert estimator.last_attempted == (2, 5)
        estimator.process(frame, dets, t_ms=1)
        assert estimator.last_attempted == (9, 2)


def test_round_robin_survives_tracks_coming_and_going(messi):
    frame = np.ascontiguousarray(np.hstack([messi, messi]))
    x1, y1, x2, y2 = MESSI_BOX
    with PoseEstimator(budget_ms=0.0) as estimator:
        estimator.process(frame, tracked([MESSI_BOX, (x1 + 548, y1, x2 + 548, y2)], [4, 8]), 0)
        assert estimator.last_attempted == (4,)
        # track 8 is gone, 6 appeared: the cursor (last served: 4) moves on to 6, then wraps to 4
        now = tracked([MESSI_BOX, (x1 + 548, y1, x2 + 548, y2)], [4, 6])
        estimator.process(frame, now, 100)
        assert estimator.last_attempted == (6,)
        estimator.process(frame, now, 200)
        assert estimator.last_attempted == (4,)


def test_nothing_eligible_and_untracked(messi):
    with PoseEstimator() as estimator:
        assert estimator.process(messi, Detections.empty(), 0) == []
        assert estimator.last_attempted == ()
        small = tracked([(10.0, 10.0, 40.0, 60.0)], [1])
        assert estimator.process(messi, small, 0) == [] and estimator.last_attempted == ()
        untracked = Detections(np.array([MESSI_BOX], np.float32), np.ones(1, np.float32), np.zeros(1, np.int32))
        with pytest.raises(ValueError, match="tracker"):
            estimator.process(messi, untracked, 0)


def test_padded_crop_bounds_clip_to_frame():
    assert padded_crop_bounds(np.array([100, 100, 200, 300]), 0.1, 1000, 1000) == (90, 80, 210, 320)
    assert padded_crop_bounds(np.array([-20, 5, 60, 90]), 0.5, 50, 80) == (0, 0, 50, 80)


def test_close_is_idempotent(messi):
    estimator = PoseEstimator()
    estimator.close()
    estimator.close()
    with pytest.raises(RuntimeError):
        estimator.process(messi, tracked([MESSI_BOX], [1]), 0)


def _assert_fix_named(exc: AxolotlError) -> None:
    message = str(exc)
    assert "pip install mediapipe==0.10.21 (0.10.18 on aarch64)" in message
    assert "\n" not in message


def test_clear_error_when_mediapipe_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe -> ImportError
    with pytest.raises(AxolotlError) as info:
        PoseEstimator()
    _assert_fix_named(info.value)


def test_clear_error_when_mediapipe_has_no_solutions(monkeypatch, tmp_path):
    fake = types.ModuleType("mediapipe")  # like mediapipe >= 0.10.30: no legacy `solutions`
    fake.__file__ = str(tmp_path / "__init__.py")
    fake.__version__ = "0.10.30"
    monkeypatch.setitem(sys.modules, "mediapipe", fake)
    with pytest.raises(AxolotlError) as info:
        PoseEstimator()
    _assert_fix_named(info.value)


def test_clear_error_when_model_not_bundled(monkeypatch):
    monkeypatch.setattr(pose_mod, "_BUNDLED_MODELS", ("modules/pose_landmark/nope.tflite",))
    with pytest.raises(AxolotlError) as info:
        PoseEstimator()
    _assert_fix_named(info.value)
    assert "nope.tflite" in str(info.value)


@pytest.mark.skipif(not VTEST.is_file(), reason=f"{VTEST} not present")
def test_walker_in_vtest_video():
    capture = cv2.VideoCapture(str(VTEST))
    capture.set(cv2.CAP_PROP_POS_FRAMES, VTEST_FRAME)
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape == (576, 768, 3)
    x1, y1, x2, y2 = VTEST_WALKER
    with PoseEstimator() as estimator:
        samples = estimator.process(frame, tracked([VTEST_WALKER], [3]), t_ms=VTEST_FRAME * 100)
    assert len(samples) == 1
    s = samples[0]
    assert_inside(s.landmarks, padded_crop_bounds(np.array(VTEST_WALKER), 0.15, 768, 576))
    assert_upright_body(s, min_vis=0.8)
    lm = s.landmarks
    height = y2 - y1
    assert lm[NOSE, 1] < y1 + 0.25 * height  # head at the top of the box
    assert lm[[LEFT_ANKLE, RIGHT_ANKLE], 1].min() > y2 - 0.2 * height  # feet at the bottom
    assert x1 <= lm[[LEFT_HIP, RIGHT_HIP], 0].mean() <= x2
    assert s.score > 0.7
