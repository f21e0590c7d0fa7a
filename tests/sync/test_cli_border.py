"""The border as a user drives it: `serve`, `pair`, `pair --join`, then the phone starts a live session."""

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from sync.pairing import PairingStore
from tests.conftest import SAMPLE, cli_command, run_cli
from tests.sync.helpers import free_port, wait_until


def start_serve(tmp_path):
    """The real `axolotl-edge serve` on 127.0.0.1 (TLS), stderr to serve.log, once it answers: (process, port, env)."""
    port = free_port()
    env = {**os.environ, "AXOLOTL_EDGE_HOME": str(tmp_path / "home")}
    server = subprocess.Popen(
        [*cli_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "serve.log", "wb"),
    )

    def up():
        try:
            httpx.get(f"https://127.0.0.1:{port}/openapi.json", verify=False, timeout=1)
            return True
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, 60, "the API")
    except BaseException:
        server.kill()
        server.wait()
        raise
    return server, port, env


@pytest.fixture
def served(tmp_path):
    """The real `axolotl-edge serve` on 127.0.0.1 (TLS): (port, env)."""
    server, port, env = start_serve(tmp_path)
    try:
        yield port, env
    finally:
        # Two tests leave their keep-alive connection open, as a phone's app does: SIGINT must still
        # stop the server (it waited 30 s for the idle TLS connection, forever for a /live/metrics stream).
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            pytest.fail("`serve` did not stop within 20 s of SIGINT")


def test_a_guesser_on_the_lan_does_not_stop_the_phone_from_pairing(served):
    """Issue 13: another address (127.0.0.2) sends wrong codes all along, over TLS to the real `serve`; it
    is locked out, and the phone (127.0.0.1) pairs with its code on the first try; its replays of the used
    code are refused but do not lock it out."""
    port, env = served
    pair = run_cli("pair", "--host", "127.0.0.1", "--port", port, "--json", env=env)
    assert pair.returncode == 0, pair.stderr
    uri = json.loads(pair.stdout)["uri"]
    code = json.loads(pair.stdout)["code"]
    wrong = f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"
    statuses, stop = [], threading.Event()

    def attacker():
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=False,
            timeout=30,
            transport=httpx.HTTPTransport(local_address="127.0.0.2", verify=False),
        ) as c:
            while not stop.is_set():
                statuses.append(c.post("/pair", json={"code": wrong, "client_name": "mallory"}).status_code)

    thread = threading.Thread(target=attacker, daemon=True)
    thread.start()
    try:
        wait_until(lambda: statuses.count(429) >= 3, 60, "the guesser locked out")
        joined = run_cli("pair", "--join", uri, "--client-name", "coach-phone", "--json", env=env)
        assert joined.returncode == 0, joined.stderr  # first try
        token = json.loads(joined.stdout)["token"]
        for _ in range(7):  # the phone's app retries (a replay of the used code)
            again = httpx.post(
                f"https://127.0.0.1:{port}/pair",
                json={"code": code, "client_name": "coach-phone"},
                verify=False,
                timeout=30,
            )
            assert again.status_code == 403 and "already used" in again.json()["detail"]
        n_before = len(statuses)
        wait_until(lambda: len(statuses) > n_before + 3, 60, "the guesser still at it")
    finally:
        stop.set()
        thread.join(30)
    assert statuses[:5] == [403] * 5 and set(statuses[5:]) <= {403, 429}
    sessions = httpx.get(
        f"https://127.0.0.1:{port}/sessions", verify=False, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    assert sessions.status_code == 200
    with PairingStore(Path(env["AXOLOTL_EDGE_HOME"]) / "pairing.db") as ps:  # what the kiosk shows
        [g] = ps.guessers()
    assert g["source"] == "127.0.0.2" and g["wrong"] == len(statuses)


def test_pair_then_the_phone_runs_a_live_session_over_the_api(served, tmp_path):
    port, env = served
    pair = run_cli("pair", "--host", "127.0.0.1", "--port", port, "--json", env=env)
    assert pair.returncode == 0, pair.stderr
    uri = json.loads(pair.stdout)["uri"]
    joined = run_cli("pair", "--join", uri, "--client-name", "coach-phone", "--json", env=env)
    assert joined.returncode == 0, joined.stderr
    token = json.loads(joined.stdout)["token"]
    again = run_cli("pair", "--join", uri, env=env)  # the code was single use
    assert again.returncode == 2 and again.stderr.count("\n") == 1

    api = httpx.Client(
        base_url=f"https://127.0.0.1:{port}", verify=False, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    assert httpx.get(f"https://127.0.0.1:{port}/sessions", verify=False).status_code == 401
    (tmp_path / "home" / "recordings").mkdir()
    shutil.copy(SAMPLE, tmp_path / "home" / "recordings" / "match.avi")  # a phone may name a recording
    assert api.post("/live/start", json={"source": str(SAMPLE)}).status_code == 409  # but no other file
    assert api.post("/live/start", json={"source": "match.avi"}).status_code == 200
    # Stop once the phone has seen players live (a slow machine gets there later), not after a fixed time.
    with api.stream("GET", "/live/metrics", timeout=120) as live:
        for line in live.iter_lines():
            if line.startswith("data:") and json.loads(line[5:])["players"]:
                break
    stopped = api.post("/live/stop")
    assert stopped.status_code == 200, stopped.text
    sessions = api.get("/sessions").json()
    assert len(sessions) == 1
    summary = api.get(f"/sessions/{sessions[0]['id']}/summary")
    assert summary.status_code == 200 and summary.json()["schema"] == "axolotl.session-summary/1"


def test_the_real_serve_caps_bodies_and_tells_nothing_about_its_files(served, tmp_path):
    """Issue 13 over TLS: a 10 MB body to /pair is refused unread (413, not echoed); a paired phone's
    /live/start gets the same answer for a file that exists, one that does not and an RTSP URL; a 404
    does not name the database."""
    port, env = served
    base = f"https://127.0.0.1:{port}"
    resp = httpx.post(f"{base}/pair", json={"code": "7" * (10 * 1024 * 1024)}, verify=False, timeout=60)
    assert resp.status_code == 413 and len(resp.content) < 200
    code = json.loads(run_cli("pair", "--host", "127.0.0.1", "--port", port, "--json", env=env).stdout)["code"]
    token = httpx.post(f"{base}/pair", json={"code": code}, verify=False, timeout=30).json()["token"]
    api = httpx.Client(base_url=base, verify=False, timeout=60, headers={"Authorization": f"Bearer {token}"})
    answers = {
        src: api.post("/live/start", json={"source": src})
        for src in ("/etc/passwd", "/etc/no-such-file", str(SAMPLE), "rtsp://192.0.2.1/stream", "../axolotl.db")
    }
    assert {r.status_code for r in answers.values()} == {409}
    assert len({r.json()["detail"] for r in answers.values()}) == 1
    missing = api.get("/sessions/ffffffff/summary")
    assert missing.status_code == 404 and "axolotl.db" not in missing.text and str(tmp_path) not in missing.text


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MiB tmpfs, filled up (root only: skipped elsewhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: full
            pass
        finally:
            os.close(fd)
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_pair_on_a_full_disk_ends_in_one_line_and_leaves_no_temporary_file(full_disk):
    """Issue 13: `pair` on a full disk ended in a traceback and left an empty tls/key.pem.tmp."""
    env = {**os.environ, "AXOLOTL_EDGE_HOME": str(full_disk / "home")}
    proc = run_cli("pair", "--host", "127.0.0.1", env=env)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "No space left on device" in proc.stderr and "free some space" in proc.stderr
    assert not [p.name for p in full_disk.rglob("*.tmp")]
    (full_disk / "filler").unlink()  # room again: the same command works
    proc = run_cli("pair", "--host", "127.0.0.1", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["code"].isdigit()


def test_sigint_ends_an_open_live_metrics_stream_cleanly(tmp_path):
    """A phone watching /live/metrics when the box stops: its stream ends (no cut connection) within the
    grace, and the server's log has no traceback (it had the cancelled stream's)."""
    server, port, env = start_serve(tmp_path)
    try:
        code = json.loads(run_cli("pair", "--host", "127.0.0.1", "--port", port, "--json", env=env).stdout)["code"]
        token = httpx.post(f"https://127.0.0.1:{port}/pair", json={"code": code}, verify=False, timeout=30).json()[
            "token"
        ]
        lines, ended = [], []

        def phone():
            with httpx.stream(
                "GET",
                f"https://127.0.0.1:{port}/live/metrics",
                verify=False,
                timeout=60,
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                lines.extend(resp.iter_lines())  # raises if the server cuts the connection
            ended.append(True)

        thread = threading.Thread(target=phone, daemon=True)
        thread.start()
        wait_until(lambda: lines, 30, "the stream's first line")
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
        thread.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert lines[0] == ": connected" and ended == [True]
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and "Cancel" not in log, log
