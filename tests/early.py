"""The suite's longest CLI runs, started when collection ends instead of when their tests come up.

`analyze` over all of vtest.avi (tests/test_vtest.py) takes minutes of CPU, the suite's shared
analysis of the sample clip (tests/conftest.py `analysed_sample`) tens of seconds. Most other
tests leave a core idle (one Python thread, a subprocess starting, a clip replayed in real
time, a broker round trip), so each run the selected tests need starts in the background at
the lowest priority (nice 19), where it only takes what the rest leave; its fixture then
renices it to 0 and waits for it. The runs and their assertions are the same as in the
foreground; without the hook (a worker of pytest-xdist, --collect-only) the fixture runs
the command itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.paths import CALIBRATION, SAMPLE, VTEST, cli_command

# name -> (the fixture whose tests need it, the CLI arguments, with {db} for the database path)
RUNS = {
    "sample": (
        "analysed_sample",
        (
            "analyze",
            str(SAMPLE),
            "--db",
            "{db}",
            "--json",
            "--quiet",
            "--no-pose",
            "--max-frames",
            "80",
            "--calibration",
            str(CALIBRATION),
            "--profile",
            "u13",
        ),
    ),
    "quick_start": (
        "quick_start",
        (
            "analyze",
            str(SAMPLE),
            "--db",
            "{db}",
            "--json",
            "--quiet",
            "--calibration",
            str(CALIBRATION),
            "--charts",
            "{db}.charts",
        ),
    ),
    "vtest": (
        "vtest_module",
        ("analyze", str(VTEST), "--db", "{db}", "--json", "--quiet", "--calibration", str(CALIBRATION)),
    ),
}
TIMEOUT_S = 900

_started: dict[str, "_Run"] = {}


class _Run:
    def __init__(self, name: str, args: tuple[str, ...]):
        self.dir = Path(tempfile.mkdtemp(prefix=f"axolotl-early-{name}-"))
        self.db = self.dir / "run.db"
        # Its own data folder: the run starts before any test's isolated one exists.
        env = {**os.environ, "AXOLOTL_EDGE_HOME": str(self.dir / "home")}
        self.out, self.err = open(self.dir / "stdout", "wb"), open(self.dir / "stderr", "wb")  # a pipe would fill
        self.args = [*cli_command(), *(a.format(db=self.db) for a in args)]
        self.proc = subprocess.Popen(
            self.args, stdout=self.out, stderr=self.err, env=env, preexec_fn=lambda: os.nice(19)
        )

    def finish(self, timeout: float) -> subprocess.CompletedProcess:
        _renice(self.proc.pid, 0)  # now the suite waits for it
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.out.close()
            self.err.close()
        return subprocess.CompletedProcess(
            self.args, self.proc.returncode, (self.dir / "stdout").read_text(), (self.dir / "stderr").read_text()
        )

    def discard(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _renice(pid: int, value: int) -> None:
    """Every thread of the process (Linux nice is per thread): as root; elsewhere it stays niced."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, value)
        except OSError:
            pass


def start(config, items) -> None:
    """Start the runs that the selected tests' fixtures need (pytest_collection_finish), in RUNS' order."""
    # AXOLOTL_TEST_EARLY=0: everything in the foreground (to compare suite times)
    if config.option.collectonly or hasattr(config, "workerinput") or os.environ.get("AXOLOTL_TEST_EARLY") == "0":
        return
    needed = {f for item in items for f in getattr(item, "fixturenames", ())}
    for name, (fixture, args) in RUNS.items():
        if fixture in needed and name not in _started and (name != "vtest" or VTEST.exists()):
            _started[name] = _Run(name, args)


def result(name: str, db: Path) -> subprocess.CompletedProcess:
    """The run's outcome, its database moved to `db`: the early one, else run now in the foreground."""
    run = _started.pop(name, None)
    if run is None:
        _, args = RUNS[name]
        env = {**os.environ, "AXOLOTL_EDGE_HOME": str(db.parent / "home")}
        return subprocess.run(
            [*cli_command(), *(a.format(db=db) for a in args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT_S,
        )
    try:
        proc = run.finish(TIMEOUT_S)
        for f in run.dir.glob("run.db*"):  # with any -wal / -shm (and charts folder) left beside it
            shutil.move(f, db.parent / f.name.replace("run.db", db.name, 1))
        return proc
    finally:
        run.discard()


def stop_all() -> None:
    """At the session's end: a run nobody asked for (its tests deselected or skipped after -x) is killed."""
    while _started:
        _started.popitem()[1].discard()
