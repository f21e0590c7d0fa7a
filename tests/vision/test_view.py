"""The `calibrate` warning: players on the far side too small to be found even zoomed."""

import cv2
import numpy as np

from edge_app.pitch import FULL, Calibration
from edge_app.vision.view import view_warning
from tests.vision.scene import LEVEL_G, level_calibration


def test_calibrate_warns_when_the_far_side_is_too_small():
    # The far touchline (Y = 68) is at v = 767.3, sampled at row 768: 0.18 × 228 = 41.0 px.
    assert view_warning(level_calibration()) is None  # the default 40 px
    warning = view_warning(level_calibration(), min_person_px=45)
    assert "only 41 px tall" in warning and "too small" in warning
    # A farther camera (40 m behind the touchline instead of 20): v = 540 + 20000 / 108 = 725.2,
    # sampled at row 728: 0.18 × 188 = 34 px.
    far = LEVEL_G @ np.array([[1, 0, 0], [0, 1, 20], [0, 0, 1]])
    assert "only 34 px" in view_warning(Calibration(np.linalg.inv(far), template=FULL, image_size=(1920, 1080)))


def _taps(G):
    """--pair arguments for the landmarks a camera with ground homography G sees."""
    args = []
    for name, (x, y) in FULL.landmarks.items():
        ((u, v),) = cv2.perspectiveTransform(np.array([[[x, y]]], np.float64), G)[0:1, :, :].reshape(1, 1, 2)[0]
        if 0 <= u < 1920 and 540 < v < 1080:
            args += ["--pair", f"{u:.2f},{v:.2f}={name}"]
    return args


def test_cli_calibrate_warns_about_a_view_too_far_away(tmp_path):
    from tests.conftest import run_cli

    far = LEVEL_G @ np.array([[1, 0, 0], [0, 1, 20], [0, 0, 1]])  # 40 m behind the touchline: 34 px far players
    proc = run_cli("calibrate", *_taps(far), "--out", tmp_path / "far.json")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and "only 34 px tall" in proc.stderr
    proc = run_cli("calibrate", *_taps(LEVEL_G), "--out", tmp_path / "near.json")  # 41 px: seen with zoom
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
