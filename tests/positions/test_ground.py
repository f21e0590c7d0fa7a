"""Hidden feet: where a nearer player covers someone's legs, the ground point goes under the head."""

import numpy as np

from edge_app.pitch import SEVEN, Calibration
from edge_app.positions.camera import CalibratedScale, camera_from_homography
from edge_app.positions.ground import (
    MIN_SEEN,
    feet_hidden,
    feet_under_heads,
    ground_points,
    pitch_points,
    track_ground_points,
)
from edge_app.vision.detections import Detections
from tests.positions.helpers import TRIPOD, person_box, tripod_calibration


def test_a_nearer_box_over_the_legs_hides_the_feet():
    boxes = np.array(
        [
            [100, 100, 140, 200],  # 0: far player
            [95, 150, 150, 300],  # 1: nearer player (ends 100 px lower) over 0's legs
            [139, 101, 179, 202],  # 2: a neighbour at 0's depth, touching 0's edge by 1 px
            [600, 900, 660, 1080],  # 3: cut by the bottom of the frame
            [400, 100, 440, 200],  # 4: alone
        ],
        float,
    )
    np.testing.assert_array_equal(feet_hidden(boxes, 1080), [True, False, False, True, False])
    assert not feet_hidden(boxes[[4]], 1080).any()


def test_the_feet_under_a_head_from_the_homography_alone():
    camera = camera_from_homography(TRIPOD.pitch_to_image, TRIPOD.size)
    for x, y, stature in [(20.0, 12.0, 1.6), (45.0, 30.0, 1.8), (8.0, 3.0, 1.4)]:
        head, feet = TRIPOD.project([[x, y, stature], [x, y, 0.0]])
        np.testing.assert_allclose(feet_under_heads(head[None], stature, camera)[0], feet, atol=0.5)
    # A point above the horizon has no ground under it.
    assert np.isnan(feet_under_heads(np.array([[960.0, -2000.0]]), 1.6, camera)).all()


def test_a_track_whose_legs_go_behind_someone_keeps_its_feet():
    # A 1.55 m youth player walks across; in the last 8 of 30 frames a nearer player hides
    # everything below the hips (the detector boxes the head-to-hip part it sees).
    steps = np.linspace(0, 6, 30)
    xs, ys = 20 + steps, 14 + 0.3 * steps
    hidden = np.arange(30) >= 22
    boxes = np.array([person_box(x, y, 1.55, 0.5 if h else 0.0) for x, y, h in zip(xs, ys, hidden)])
    feet = TRIPOD.project(np.c_[xs, ys, np.zeros(30)])
    scale = CalibratedScale(tripod_calibration(), TRIPOD.size)
    g = track_ground_points(boxes, hidden, scale)
    np.testing.assert_allclose(g, feet, atol=1.5)  # within 1.5 px in every frame, hidden ones included
    # The box's bottom centre alone is half a body too high where the legs are hidden: metres off on the pitch.
    box_bottom = np.c_[(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]]
    off = np.hypot(*(tripod_calibration().project(box_bottom[hidden]) - np.c_[xs, ys][hidden]).T)
    assert off.min() > 2.0
    on = np.hypot(*(tripod_calibration().project(g[hidden]) - np.c_[xs, ys][hidden]).T)
    assert on.max() < 0.2


def test_the_box_stays_where_the_feet_are_seen_or_the_track_is_too_short_to_know():
    xs = np.linspace(20, 26, 30)
    boxes = np.array([person_box(x, 14.0, 1.8) for x in xs])
    scale = CalibratedScale(tripod_calibration(), TRIPOD.size)
    bottom = np.c_[(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]]
    # Flagged hidden, but the box is as tall as the player: the feet were in view after all.
    flags = np.arange(30) % 3 == 0
    np.testing.assert_allclose(track_ground_points(boxes, flags, scale), bottom)
    # Too few frames with the feet in view to learn the stature: the box.
    cut = np.array([person_box(x, 14.0, 1.8, 0.5) for x in xs])
    few = np.arange(30) >= MIN_SEEN - 1
    np.testing.assert_allclose(track_ground_points(cut, few, scale), np.c_[(cut[:, 0] + cut[:, 2]) / 2, cut[:, 3]])
    # No calibration: the box.
    np.testing.assert_allclose(track_ground_points(cut, few, None), np.c_[(cut[:, 0] + cut[:, 2]) / 2, cut[:, 3]])


def test_ankles_give_the_ground_point_where_confident():
    box = np.array([[100, 0, 160, 200], [300, 0, 340, 100], [500, 0, 540, 100]], np.float32)
    kps = np.zeros((3, 17, 3), np.float32)
    # Player 0 strides: ankles at (110, 185) and (150, 192), both confident. The ground point is
    # under their middle, x = 130, at the lower ankle plus the ankle's height 0.095 × 200 = 19 px.
    kps[0, 15], kps[0, 16] = (110, 185, 0.9), (150, 192, 0.8)
    # Player 1: one confident ankle (330, 95); the other is a guess (0.2) and is ignored: y 95 + 9.5.
    kps[1, 15], kps[1, 16] = (330, 95, 0.7), (305, 60, 0.2)
    # Player 2: no confident ankle: the box's bottom centre (520, 100).
    kps[2, 15], kps[2, 16] = (510, 99, 0.3), (530, 99, 0.1)
    g = ground_points(box, kps)
    np.testing.assert_allclose(g, [[130, 211], [330, 104.5], [520, 100]], atol=1e-4)
    np.testing.assert_allclose(ground_points(box), [[130, 200], [320, 100], [520, 100]])  # a detect model
    # The product projects the box's bottom centre (measured better on the harness: ground.py).
    dets = Detections(box, np.ones(3, np.float32), np.zeros(3, np.int32), kps)
    np.testing.assert_allclose(dets.ground_point, ground_points(box))


def test_live_positions_are_the_box_bottom_on_the_pitch():
    # 1 px = 0.1 m: a box from (100, 200) to (140, 400) stands at (120, 400) px, (12, 40) m.
    cal = Calibration(np.diag([0.1, 0.1, 1.0]), template=SEVEN, image_size=(1920, 1080))
    boxes = np.array([[100, 200, 140, 400], [0, 0, 20, 50]], np.float32)
    np.testing.assert_allclose(pitch_points(boxes, cal), [[12.0, 40.0], [1.0, 5.0]])
