"""`calibrate` and `models` (cli.box) as a user runs them."""

import cv2
import numpy as np

from edge_app.pitch import Calibration, get_template
from tests.conftest import run_cli


def test_calibrate_from_taps_recovers_the_pitch(tmp_path):
    full = get_template("full")
    # a camera on the halfway line looking at the near half: a homography pitch (m) -> image (px)
    H = np.array([[12.0, 2.0, 100.0], [0.5, -6.0, 700.0], [0.0, 0.004, 1.0]])
    names = [
        "corner_bottom_left",
        "halfway_bottom",
        "centre_spot",
        "left_penalty_spot",
        "left_box_edge_top",
        "left_box_edge_bottom",
    ]
    pitch = np.array([full.point(n) for n in names])
    img = cv2.perspectiveTransform(pitch[None].astype(np.float64), H)[0]
    args = []
    for (px, py), name in zip(img, names):
        args += ["--pair", f"{px:.2f},{py:.2f}={name}"]
    out = tmp_path / "cam.json"
    proc = run_cli("calibrate", *args, "--out", out, "--camera", "north")
    assert proc.returncode == 0, proc.stderr
    cal = Calibration.load(out)
    probe = np.array([[30.0, 20.0], [5.0, 60.0]])
    probe_px = cv2.perspectiveTransform(probe[None], H)[0]
    np.testing.assert_allclose(cal.project(probe_px), probe, atol=0.05)
    # the same taps all on one line are refused in one line
    line = []
    for i in range(5):
        line += ["--pair", f"{100 + 10 * i},{200 + 10 * i}={i * 5},{i * 5}"]
    proc = run_cli("calibrate", *line, "--out", tmp_path / "bad.json")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and not (tmp_path / "bad.json").exists()
    proc = run_cli(
        "calibrate",
        "--pair",
        "1,2=nowhere",
        "--pair",
        "1,2=3,4",
        "--pair",
        "5,6=7,8",
        "--pair",
        "9,9=1,1",
        "--out",
        tmp_path / "x.json",
    )
    assert proc.returncode == 2 and "nowhere" in proc.stderr


def test_models_quantize_needs_recordings_and_refuses_in_one_line(tmp_path):
    proc = run_cli("models", "quantize")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--videos" in proc.stderr
    proc = run_cli("models", "quantize", "--videos", tmp_path / "missing.mp4", "--frames", "5")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--frames 5" in proc.stderr
