"""The kiosk's tests drive real widgets offscreen, over a real session database made from the sample clip."""

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display in CI

import pytest

from tests.conftest import CALIBRATION, SAMPLE

UI_OVERRIDES = {"detector": {"input_size": 960}, "pose": {"enabled": False}}


@pytest.fixture(scope="session")
def recorded_db(tmp_path_factory):
    """One real, calibrated, summarised session of the sample clip (the first 80 frames), made once."""
    from edge_app.config import load_config
    from edge_app.pipeline import Pipeline
    from edge_app.pitch import Calibration
    from edge_app.report import summarize_session
    from edge_app.store import SessionStore

    path = tmp_path_factory.mktemp("recorded") / "axolotl.db"
    cal = Calibration.load(CALIBRATION)
    with SessionStore(path) as store:
        pipe = Pipeline(load_config(overrides=UI_OVERRIDES), store, calibration=cal)
        try:
            sid = pipe.run(str(SAMPLE), max_frames=80).session_id
        finally:
            pipe.close()
        summarize_session(store, sid, calibration=cal, profile="u13")
    return path


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
    shutil.copy(recorded_db, home / "axolotl.db")
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
