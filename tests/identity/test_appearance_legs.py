"""The appearance sample with the legs (identity.appearance): torso then legs, each its own histogram."""

from __future__ import annotations

import numpy as np

from edge_app.identity import appearance_samples, split_sample, torso_histogram
from edge_app.identity.appearance import HIST_SIZE, LEGS_BAND, colour_histogram, torso_box
from edge_app.vision.detections import Detections


def _person(frame, x, shirt_bgr, shorts_bgr):
    """A 40 x 100 px person drawn at column x: a shirt over the top 60 %, shorts below."""
    frame[100:160, x : x + 40] = shirt_bgr
    frame[160:200, x : x + 40] = shorts_bgr
    return [x, 100, x + 40, 200]


def test_a_sample_is_the_torso_then_the_legs_and_splits_back():
    frame = np.full((300, 400, 3), 90, np.uint8)
    boxes = [_person(frame, 50, (0, 0, 200), (40, 20, 10)), _person(frame, 250, (0, 0, 200), (230, 230, 230))]
    tracked = Detections(
        np.array(boxes, np.float32), np.full(2, 0.9, np.float32), np.zeros(2, np.int32), tracker_id=np.array([7, 8])
    )
    torso_only = appearance_samples(frame, tracked)
    both = appearance_samples(frame, tracked, legs=True)
    assert {len(h) for h in torso_only.values()} == {HIST_SIZE} and {len(h) for h in both.values()} == {2 * HIST_SIZE}
    for tid, box in zip((7, 8), boxes):
        torso, legs = split_sample(both[tid])
        np.testing.assert_array_equal(torso, torso_histogram(frame, box))
        x1, y1, x2, y2 = torso_box(box, frame.shape, LEGS_BAND)
        np.testing.assert_array_equal(legs, colour_histogram(frame[y1:y2, x1:x2]))
    # same bibs, different shorts: the torsos alike, the legs apart
    t7, l7 = split_sample(both[7])
    t8, l8 = split_sample(both[8])
    np.testing.assert_allclose(t7, t8)
    assert not np.allclose(l7, l8)
    assert split_sample(torso_only[7])[1] is None  # a sample stored before the legs: torso only
