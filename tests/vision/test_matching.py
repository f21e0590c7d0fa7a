"""The tracker's matching: box overlap and linear assignment, on numbers worked by hand."""

import numpy as np
import pytest

from edge_app.vision.matching import assign, buffered, fused_cost, iou, unmatched


def test_iou_pairwise():
    a = np.array([[0.0, 0, 10, 10], [0, 0, 0, 0]])
    b = np.array([[5.0, 0, 15, 10], [20, 20, 30, 30]])
    got = iou(a, b)
    # 5 x 10 = 50 shared of 100 + 100 - 50: a third; apart: 0; an empty box: 0, not nan.
    np.testing.assert_allclose(got, [[1 / 3, 0], [0, 0]])
    assert iou(a[:1], a[:1])[0, 0] == pytest.approx(1.0)


def test_buffered_boxes_grow_by_their_size():
    np.testing.assert_array_equal(buffered(np.array([[0.0, 0, 10, 20]]), 0.5), [[-5, -10, 15, 30]])
    # Two boxes a width apart: no overlap plain, some buffered.
    a, b = np.array([[0.0, 0, 10, 20]]), np.array([[20.0, 0, 30, 20]])
    assert iou(a, b)[0, 0] == 0 and iou(buffered(a, 1.0), buffered(b, 1.0))[0, 0] > 0


def test_fused_cost_weighs_the_overlap_by_the_score():
    np.testing.assert_allclose(fused_cost(np.array([[0.5, 1.0]]), np.array([0.8, 0.5])), [[0.6, 0.5]])


def test_assign_is_the_optimum_not_the_greedy_choice():
    cost = np.array([[0.1, 0.2], [0.15, 0.9]])
    # Greedy would take (0, 0) at 0.1 and leave row 1 its 0.9 (over 0.8, clipped: unmatched);
    # the optimum (0, 1) + (1, 0) = 0.35 matches both.
    rows, cols = assign(cost.copy(), 0.8)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    # Only one acceptable pair: taken as it is.
    rows, cols = assign(cost.copy(), 0.12)
    assert rows.tolist() == [0] and cols.tolist() == [0]
    rows, cols = assign(cost.copy(), 0.05)
    assert len(rows) == len(cols) == 0


def test_unmatched_keeps_order():
    assert unmatched(5, np.array([3, 1])).tolist() == [0, 2, 4]
