"""Where the picture moved between two processed frames (edge_app/vision/motion.py)."""

from pathlib import Path

import cv2
import numpy as np

from edge_app.vision.motion import MotionMap

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "vtest-15s.avi"


def _frame() -> np.ndarray:
    cap = cv2.VideoCapture(str(SAMPLE))
    ok, image = cap.read()
    cap.release()
    assert ok
    return image


def test_only_what_moved_is_a_place_and_the_crops_are_left_out():
    first = _frame()  # 768 x 576: the small copy is 480 wide, 0.625 of it
    second = first.copy()
    # A real patch of the picture (a walker's region) moved 12 px right; the rest is the same picture.
    second[200:330, 312:372] = first[200:330, 300:360]
    motion = MotionMap()
    motion.update(first)
    assert len(motion.blobs()) == 0  # one frame: nothing to compare with
    motion.update(second)
    # Boxes where its texture changed, all within the patch's old and new place (a few px of blur and
    # dilation round it).
    blobs = motion.blobs()
    assert len(blobs) and (blobs[:, :2] >= [290, 190]).all() and (blobs[:, 2:] <= [385, 340]).all()
    # A crop over the patch: players already followed are not what the crops look for.
    assert len(motion.blobs(covered=np.array([[290, 190, 380, 340]]))) == 0
    # Tiny changes (sensor noise, a ball far away) are not a place.
    assert len(motion.blobs(min_px=10_000)) == 0
    # The same picture again: nothing moved.
    motion.update(second)
    assert len(motion.blobs()) == 0
