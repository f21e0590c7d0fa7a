"""Starting and stopping the real `axolotl-edge kiosk` process, for the tests that treat it as systemd does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import cli_command

START_S = 180  # generous: a loaded 2-core machine takes seconds to import Qt and open the store
STOP_S = 15  # issue 11: a SIGTERM at any moment of the start ends the kiosk within 15 s


def start_kiosk(home: Path, *args: str, **env: str) -> subprocess.Popen:
    full_env = {**os.environ, "AXOLOTL_EDGE_HOME": str(home), **env}
    return subprocess.Popen(
        [*cli_command(), "kiosk", *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(proc: subprocess.Popen, ready, what: str, poll_s: float = 0.01):
    """Poll `ready()` until it returns something truthy, failing at once (with its stderr) if the kiosk ends."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"the kiosk ended (status {proc.returncode}) before {what}: {proc.communicate()[1]}")
        time.sleep(poll_s)
    raise AssertionError(f"no {what} within {START_S} s")


def terminate(proc: subprocess.Popen) -> str:
    """systemd's stop: SIGTERM, then the kiosk has STOP_S seconds to end. Returns its stderr."""
    try:
        proc.send_signal(signal.SIGTERM)
        return proc.communicate(timeout=STOP_S)[1]
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the kiosk still ran {STOP_S} s after SIGTERM") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
