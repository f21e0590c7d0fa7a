"""The kiosk's tests drive real widgets offscreen, over a real session database made from the sample clip."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display in CI

import pytest

from tests.conftest import CALIBRATION, SAMPLE, copy_db

UI_OVERRIDES = {"detector": {"input_size": 960}, "pose": {"enabled": False}}


@pytest.fixture(scope="session")
def recorded_db(analysed_sample):
    """One real, calibrated, summarised (u13) session of the sample clip (the first 80 frames): the suite's
    `analyze` of it (tests/conftest.py)."""
    return analysed_sample[0]


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"  # the autouse fixture points AXOLOTL_EDGE_HOME here


@pytest.fixture
def kiosk(home, qtbot):
    from ui.context import Kiosk

    k = Kiosk(home=home, calibration=CALIBRATION)
    yield k
    k.close()


@pytest.fixture
def recorded_kiosk(home, recorded_db, qtbot):
    """A kiosk whose database already holds the recorded session (a copy: tests may edit it)."""
    from ui.context import Kiosk

    home.mkdir(parents=True, exist_ok=True)
    copy_db(recorded_db, home / "axolotl.db")
    k = Kiosk(home=home, calibration=CALIBRATION)
    yield k
    k.close()


def _window(kiosk, qtbot, size):
    from ui.window import MainWindow

    w = MainWindow(kiosk, str(SAMPLE))
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    return w


@pytest.fixture
def window(kiosk, qtbot):
    return _window(kiosk, qtbot, (1024, 600))


@pytest.fixture
def recorded_window(recorded_kiosk, qtbot):
    return _window(recorded_kiosk, qtbot, (1920, 1080))
