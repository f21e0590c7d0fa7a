import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "samples" / "vtest-15s.avi"
CALIBRATION = ROOT / "samples" / "vtest-calibration.json"  # the ground plane of vtest.avi's camera
VTEST = ROOT.parent / "shared" / "data" / "vtest.avi"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data directory, so nothing touches the user's sessions."""
    monkeypatch.setenv("AXOLOTL_EDGE_HOME", str(tmp_path / "home"))


@pytest.fixture
def vtest() -> Path:
    if not VTEST.exists():
        pytest.skip("../shared/data/vtest.avi is not here (the shared data folder is optional)")
    return VTEST


def cli_path() -> str:
    exe = Path(sys.executable).with_name("axolotl-edge")
    return str(exe) if exe.exists() else shutil.which("axolotl-edge") or "axolotl-edge"


def run_cli(*args, env=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """Run the installed `axolotl-edge` entry point as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout, **kw)


def pytest_collection_finish(session):
    from tests import early

    early.start(session.config, session.items)  # the longest CLI run, in the background (tests/early.py)


def pytest_sessionfinish(session):
    from tests import early

    early.stop_all()
