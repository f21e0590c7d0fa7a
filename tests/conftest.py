import json
import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests import early

# Re-exported: test modules import these from here (tests/paths.py holds them, so early.py needs no conftest).
from tests.paths import CALIBRATION, DATA, ROOT, SAMPLE, VTEST, cli_command  # noqa: F401


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data directory, so nothing touches the user's sessions."""
    monkeypatch.setenv("AXOLOTL_EDGE_HOME", str(tmp_path / "home"))


@pytest.fixture
def vtest() -> Path:
    if not VTEST.exists():
        pytest.skip("../shared/data/vtest.avi is not here (the shared data folder is optional)")
    return VTEST


def run_cli(*args, env=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """Run the installed `axolotl-edge` entry point as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*cli_command(), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout, **kw
    )


@pytest.fixture(scope="session")
def analysed_sample(tmp_path_factory):
    """`analyze` of the sample clip's first 80 frames as a coach runs it (calibrated, u13, no pose), made once
    for the suite: (database, the --json summary). Read only; a test that changes it takes a `copy_db`."""
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
    early.start(session.config, session.items)  # the longest CLI runs, in the background (tests/early.py)


def pytest_sessionfinish(session):
    early.stop_all()
