"""The border as a user drives it: `serve`, `pair`, `pair --join`, then the phone starts a live session."""

import json
import os
import signal
import subprocess
import time

import httpx

from tests.conftest import SAMPLE, cli_path, run_cli
from tests.sync.helpers import free_port, wait_until


def test_pair_then_the_phone_runs_a_live_session_over_the_api(tmp_path):
    port = free_port()
    env = {**os.environ, "AXOLOTL_EDGE_HOME": str(tmp_path / "home")}
    server = subprocess.Popen([cli_path(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "serve.log", "wb"))
    try:
        def up():
            try:
                httpx.get(f"https://127.0.0.1:{port}/openapi.json", verify=False, timeout=1)
                return True
            except httpx.HTTPError:
                return False
        wait_until(up, 30, "the API")
        pair = run_cli("pair", "--host", "127.0.0.1", "--port", port, "--json", env=env)
        assert pair.returncode == 0, pair.stderr
        uri = json.loads(pair.stdout)["uri"]
        joined = run_cli("pair", "--join", uri, "--client-name", "coach-phone", "--json", env=env)
        assert joined.returncode == 0, joined.stderr
        token = json.loads(joined.stdout)["token"]
        again = run_cli("pair", "--join", uri, env=env)  # the code was single use
        assert again.returncode == 2 and again.stderr.count("\n") == 1

        api = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=False, timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
        assert httpx.get(f"https://127.0.0.1:{port}/sessions", verify=False).status_code == 401
        assert api.post("/live/start", json={"source": str(SAMPLE)}).status_code == 200
        time.sleep(5)
        stopped = api.post("/live/stop")
        assert stopped.status_code == 200, stopped.text
        sessions = api.get("/sessions").json()
        assert len(sessions) == 1
        summary = api.get(f"/sessions/{sessions[0]['id']}/summary")
        assert summary.status_code == 200 and summary.json()["schema"] == "axolotl.session-summary/1"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
