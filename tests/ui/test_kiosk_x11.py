"""`axolotl-edge kiosk --fullscreen` on a real X server with no window manager (xinit and the kiosk alone):
the window must fill the screen, seen from outside the app (xwininfo), not from Qt. It used to open at
its own 628×481 in the corner, because nothing honoured the fullscreen request."""

import os
import re
import select
import shutil
import subprocess
import time

import pytest

from tests.ui.kiosk_helpers import START_S, start_kiosk, terminate, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None, reason="Xvfb is not installed (scripts/install.sh --test installs it)"
)

TITLE = "Axolotl Edge"


@pytest.fixture
def xserver(request, tmp_path):
    """A bare Xvfb (no window manager) of the given size, on a display number it picks itself (-displayfd)."""
    w, h = request.param
    read_fd, write_fd = os.pipe()
    with open(tmp_path / "xvfb.log", "w") as log:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=log,
            stderr=log,
        )
    os.close(write_fd)
    try:
        number = b""
        while not number.endswith(b"\n"):  # Xvfb writes the number once it accepts connections
            ready, _, _ = select.select([read_fd], [], [], START_S)
            chunk = os.read(read_fd, 16) if ready else b""
            assert chunk, f"Xvfb did not start: {(tmp_path / 'xvfb.log').read_text()}"
            number += chunk
        yield f":{number.decode().strip()}", (w, h)
    finally:
        os.close(read_fd)
        proc.terminate()
        proc.wait(timeout=30)


def window_geometry(display: str):
    """(x, y, width, height) of the kiosk's window once the X server shows it, else None."""
    r = subprocess.run(
        ["xwininfo", "-name", TITLE], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True
    )
    if r.returncode != 0 or "IsViewable" not in r.stdout:
        return None
    field = {
        k: int(re.search(rf"{k}:\s+(-?\d+)", r.stdout).group(1))
        for k in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    }
    return tuple(field.values())


@pytest.mark.parametrize("xserver", [(1024, 600), (1920, 1080)], indirect=True, ids=["1024x600", "1920x1080"])
def test_fullscreen_fills_a_screen_without_a_window_manager(xserver, tmp_path):
    display, (w, h) = xserver
    proc = start_kiosk(tmp_path / "home", "--fullscreen", QT_QPA_PLATFORM="xcb", DISPLAY=display)
    try:
        shown = wait_until(proc, lambda: window_geometry(display), "kiosk window on the X server", poll_s=0.2)
        # Settled: a window that is first mapped small and grown later passes too, one that stays small fails.
        deadline = time.monotonic() + 30
        while shown != (0, 0, w, h) and time.monotonic() < deadline:
            time.sleep(0.2)
            shown = window_geometry(display) or shown
    finally:
        err = terminate(proc)
    assert shown == (0, 0, w, h), f"the kiosk's window is {shown[2]}×{shown[3]} at {shown[:2]} on a {w}×{h} screen"
    assert proc.returncode == 0, err
    assert "Traceback" not in err
