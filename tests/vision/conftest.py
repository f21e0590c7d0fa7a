"""Fixtures shared by the zoom's tests (tiles, zoom): the real model and a rendered mast frame."""

import numpy as np
import pytest

from edge_app.config import OnnxRuntimeDetectorConfig
from edge_app.vision.detectors import create_detector
from tests.vision import scene


@pytest.fixture(scope="session")
def backend():
    return create_detector(OnnxRuntimeDetectorConfig())


@pytest.fixture(scope="session")
def mast_frame():
    if not scene.VTEST.exists():
        pytest.skip("the shared vtest.avi is not here: no real people to paste")
    rng = np.random.default_rng(7)
    sprites = scene.cut_people(12)
    players = scene.place_players(scene.MAST, 24, rng)
    frame, truth, _, _ = scene.render(scene.MAST, sprites, players, rng)
    return frame, truth
