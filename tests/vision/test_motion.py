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


def test_only_what_moved_counts_and_the_crops_are_left_out():
    first = _frame()  # 768 x 576: the small copy is 480 wide, 0.625 of it
    second = first.copy()
    # A real patch of the picture (a walker's region) moved 12 px right; the rest is the same picture.
    x1, y1, x2, y2 = 300, 200, 360, 330
    second[y1:y2, x1 + 12:x2 + 12] = first[y1:y2, x1:x2]
    motion = MotionMap()
    motion.update(first)
    assert motion.counts(np.array([[0, 0, 768, 576]])).tolist() == [0.0]  # one frame: nothing to compare with
    motion.update(second)
    everywhere, around, elsewhere = motion.counts(np.array([[0, 0, 768, 576], [290, 190, 380, 340], [400, 0, 768, 576]]))
    assert everywhere > 50 and around == everywhere and elsewhere == 0
    # A crop over the patch: players already followed are not what the sweep looks for.
    assert motion.counts(np.array([[0, 0, 768, 576]]), covered=np.array([[290, 190, 380, 340]])).tolist() == [0.0]
    # The same picture again: nothing moved.
    motion.update(second)
    assert motion.counts(np.array([[0, 0, 768, 576]])).tolist() == [0.0]
