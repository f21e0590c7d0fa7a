"""The camera model: the focal length and a person's height everywhere, from the ground homography alone."""

import numpy as np
import pytest

from edge_app.positions.camera import CalibratedScale, camera_from_homography
from tests.vision import scene
from tests.vision.scene import LEVEL_G, F, hand_height, level_calibration


def test_camera_and_person_height_recovered_from_the_homography_alone():
    K, R, t = camera_from_homography(LEVEL_G, (1920, 1080))
    assert K[0, 0] == pytest.approx(F)
    assert (-R.T @ t)[2] == pytest.approx(10.0)  # the camera's height above the pitch
    scale = CalibratedScale(level_calibration(), (1920, 1080))
    v = np.array([600.0, 767.27, 1000.0])
    np.testing.assert_allclose(scale.height_px(np.c_[[300, 960, 1500], v]), hand_height(v), rtol=1e-6)
    # A tilted mast camera (tests/vision/scene.py): its focal length and every person's size, from H alone.
    mast = CalibratedScale(scene.MAST.calibration(), scene.MAST.size)
    assert mast.camera[0][0, 0] == pytest.approx(scene.MAST.focal_px)
    for x, y in [(52.5, 68), (20, 40), (80, 5)]:
        ((u, v),) = scene.MAST.project([[x, y, 0]])
        assert mast.height_px(np.array([[u, v]]))[0] == pytest.approx(scene.MAST.person_px(x, y), rel=1e-6)
