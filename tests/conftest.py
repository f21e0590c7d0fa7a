import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from contextlib import closing
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


def cli_command() -> list[str]:
    """The installed `axolotl-edge` entry point, as a user starts it; `python -m cli` where the installed script
    imports another entry point than pyproject.toml's (an editable install made before the CLI moved)."""
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["axolotl-edge"]
    module, _, func = target.partition(":")
    exe = Path(sys.executable).with_name("axolotl-edge")
    found = str(exe) if exe.exists() else shutil.which("axolotl-edge")
    if found and f"from {module} import {func}" in Path(found).read_text(errors="replace"):
        return [found]
    return [sys.executable, "-m", module]


def run_cli(*args, env=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """Run the installed `axolotl-edge` entry point as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*cli_command(), *map(str, args)], capture_output=True, text=True, env=full_env,
                          timeout=timeout, **kw)


@pytest.fixture(scope="session")
def analysed_sample(tmp_path_factory):
    """`analyze` of the sample clip's first 80 frames as a coach runs it (calibrated, u13, no pose), made once
    for the suite: (database, the --json summary). Read only; a test that changes it takes a `copy_db`."""
    from tests import early

    # `analyze SAMPLE --db DB --json --quiet --no-pose --max-frames 80 --calibration CALIBRATION --profile u13`,
    # started in the background when collection ended (tests/early.py)
    db = tmp_path_factory.mktemp("sample") / "sample.db"
    proc = early.result("sample", db)
    assert proc.returncode == 0, proc.stderr
    return db, json.loads(proc.stdout)


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of an SQLite database (SQLite's backup: the WAL's rows included)."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def pytest_collection_finish(session):
    from tests import early

    early.start(session.config, session.items)  # the longest CLI runs, in the background (tests/early.py)


def pytest_sessionfinish(session):
    from tests import early

    early.stop_all()
