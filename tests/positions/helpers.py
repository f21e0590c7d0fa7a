"""The harness's tripod as a pinhole camera, and a person's box seen by it (hand-checkable geometry)."""

import numpy as np

from edge_app.pitch import SEVEN, Calibration
from tests.vision.scene import PinholeCamera

# The harness's tripod: 4 m up, 2 m outside a 7v7 corner, 2.8 mm lens on a 5.6 mm sensor (f = 960 px).
TRIPOD = PinholeCamera(position=(-2.0, -2.0, 4.0), target=(27.5, 18.5), focal_px=960.0)


def tripod_calibration() -> Calibration:
    return Calibration(np.linalg.inv(TRIPOD.pitch_to_image), template=SEVEN, image_size=TRIPOD.size)


def person_box(x: float, y: float, stature: float, seen_to: float = 0.0) -> np.ndarray:
    """The box of a person standing at (x, y), from the head down to `seen_to` × stature above the ground."""
    (fx, fy), (hx, hy), (_, by) = TRIPOD.project([[x, y, 0.0], [x, y, stature], [x, y, seen_to * stature]])
    half = 0.2 * (fy - hy)
    return np.array([fx - half, hy, fx + half, by])
