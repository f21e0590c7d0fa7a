"""The tracker's Kalman filter (one state row per track), on numbers worked by hand."""

import numpy as np
import pytest

from edge_app.vision.kalman import NCOL, PP, PV, VV, correct, covariances, initiate, predict, tlbr


def test_a_new_track_starts_at_rest_with_the_initial_covariance():
    x = initiate(np.array([[10.0, 20.0, 0.5, 100.0]]))
    assert x.shape == (1, NCOL)
    np.testing.assert_array_equal(x[0, :8], [10, 20, 0.5, 100, 0, 0, 0, 0])
    # Position sd 2/20 of the height (10 px), velocity 10/160 (6.25 px); the aspect ratio fixed: 1e-2, 1e-5.
    np.testing.assert_allclose(x[0, PP], [100, 100, 1e-4, 100])
    np.testing.assert_allclose(x[0, PV], 0)
    np.testing.assert_allclose(x[0, VV], [39.0625, 39.0625, 1e-10, 39.0625])


def test_predict_moves_by_the_velocity_and_grows_the_covariance():
    x = initiate(np.array([[10.0, 20.0, 0.5, 100.0]]))
    x[0, 4:8] = [2, 3, 0, 1]
    before = x.copy()
    p = predict(x, n_tracked=1)
    np.testing.assert_array_equal(x, before)  # rows in, new rows out
    np.testing.assert_allclose(p[0, :8], [12, 23, 0.5, 101, 2, 3, 0, 1])
    # pp' = pp + 2 pv + vv + q = 100 + 0 + 39.0625 + (100/20)^2; pv' = pv + vv; vv' = vv + (100/160)^2.
    assert p[0, 8] == pytest.approx(164.0625)
    assert p[0, 12] == pytest.approx(39.0625)
    assert p[0, 16] == pytest.approx(39.453125)
    # A lost track (past n_tracked) keeps its height: its height velocity is zeroed first.
    lost = predict(x, n_tracked=0)
    assert lost[0, 3] == 100 and lost[0, 7] == 0 and lost[0, 0] == 12


def test_correct_is_the_kalman_gain_per_block():
    x = np.zeros((1, NCOL))
    x[0, :4] = [0, 0, 1, 100]
    x[0, PP], x[0, PV], x[0, VV] = 75, 10, 20
    z = np.array([[8.0, 0.0, 1.0, 100.0]])  # 8 px right of the prediction, the rest where predicted
    c = correct(x, z)
    # r = (100/20)^2 = 25, s = 75 + 25 = 100: gain 0.75 (position), 0.1 (velocity).
    assert c[0, 0] == pytest.approx(6.0) and c[0, 4] == pytest.approx(0.8)
    assert c[0, 1] == 0 and c[0, 3] == 100 and c[0, 5] == 0
    # pp -= 0.75 pp, pv -= 0.75 pv, vv -= 0.1 pv.
    assert (c[0, 8], c[0, 12], c[0, 16]) == pytest.approx((18.75, 2.5, 19.0))
    # The same numbers as the textbook 8x8 filter: K = P H^T (H P H^T + R)^-1.
    P = covariances(x)[0]
    H = np.eye(4, 8)
    R = np.diag([25.0, 25.0, 1e-2, 25.0])
    K = P @ H.T @ np.linalg.inv(H @ P @ H.T + R)
    np.testing.assert_allclose(c[0, :8], x[0, :8] + K @ (z[0] - x[0, :4]))
    np.testing.assert_allclose(covariances(c)[0], (np.eye(8) - K @ H) @ P, atol=1e-12)


def test_state_rows_give_boxes_and_full_covariances():
    x = np.zeros((1, NCOL))
    x[0, :4] = [50, 100, 0.5, 40]  # centre (50, 100), 20 x 40
    np.testing.assert_array_equal(tlbr(x), [[40, 80, 60, 120]])
    x[0, PP], x[0, PV], x[0, VV] = [1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]
    cov = covariances(x)[0]
    assert cov[3, 3] == 4 and cov[3, 7] == cov[7, 3] == 8 and cov[7, 7] == 12
    assert cov[0, 1] == 0 and cov[0, 5] == 0  # x and y independent
