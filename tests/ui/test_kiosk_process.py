"""`axolotl-edge kiosk` as systemd runs it: starts, and on SIGTERM closes cleanly (no traceback)."""

import os
import signal
import subprocess
import time

from tests.conftest import cli_path, run_cli


def test_kiosk_starts_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AXOLOTL_EDGE_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([cli_path(), "kiosk", "--size", "1024x600"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "home" / "axolotl.db").exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
        time.sleep(2)  # the window is up
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_a_bad_config_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[session]\nprofile = 'u13'\ncolour = 'red'\n")
    r = run_cli("kiosk", "--config", bad, env={"QT_QPA_PLATFORM": "offscreen"}, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "colour" in r.stderr and "Traceback" not in r.stderr
