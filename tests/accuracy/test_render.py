"""A short render (1 s, 10 fps, half-size mast camera) and its truth, checked for self-consistency."""

from __future__ import annotations

import csv
from dataclasses import replace

import cv2
import numpy as np
import pytest

from benchmarks.accuracy.render import render
from benchmarks.accuracy.scene import Scene
from benchmarks.accuracy.setups import SETUPS
from benchmarks.accuracy.sprites import WalkCycle, load_bank
from edge_app.pitch import Calibration

MAST = SETUPS["mast"]
# The mast's lens on half the pixels: the same view, four times cheaper to draw.
SMALL = replace(MAST, camera=replace(MAST.camera, width=960, height=540))


def _rows(path):
    return [{k: (v if k in ("id", "role") else float(v)) for k, v in r.items()} for r in csv.DictReader(open(path))]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return render(SMALL, tmp_path_factory.mktemp("mast"), seconds=1.0, fps=10.0)


def test_the_clip_is_a_video_the_product_can_read(clip):
    cap = cv2.VideoCapture(str(clip.video))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == clip.frames == 10
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (960, 540)


def test_the_calibration_maps_each_true_ground_point_to_its_box_bottom(clip):
    cal = Calibration.load(clip.calibration)  # the product's own format and loader
    rows = [r for r in _rows(clip.truth) if r["x1"] > 0 and r["y1"] > 0 and r["x2"] < 960 and r["y2"] < 540]
    assert len(rows) > 50
    ground = np.array([[r["x_m"], r["y_m"]] for r in rows])
    bottom = np.array([[(r["x1"] + r["x2"]) / 2, r["y2"]] for r in rows])
    assert np.abs(cal.to_image(ground) - bottom).max() <= 1.0
    # ... and back: the product's projection of the exact foot point is the true position.
    feet = np.array([[r["foot_u"], r["foot_v"]] for r in rows])
    assert np.hypot(*(cal.project(feet) - ground).T).max() < 0.02


def test_hidden_fractions_and_heights_follow_the_camera(clip):
    rows = _rows(clip.truth)
    vis = np.array([r["visible"] for r in rows])
    assert np.all((vis >= 0) & (vis <= 1))
    # A 1.8 m person: pixel height x depth / focal length (px) is 1.8 m, up to the tilt's effect
    # (the head is nearer the camera than the feet: up to 8% at the mast's 15° for near people).
    f_px = SMALL.camera.f_px
    metres = np.array([r["height_px"] * r["depth_m"] / f_px for r in rows])
    assert np.all(np.abs(metres - 1.8) < 0.15) and np.median(np.abs(metres - 1.8)) < 0.08
    # Farther people are smaller, frame by frame.
    for k in {int(r["frame"]) for r in rows}:
        fr = sorted((r["depth_m"], r["height_px"]) for r in rows if r["frame"] == k)
        assert all(a[1] > b[1] for a, b in zip(fr, fr[1:]))
    # The box drawn is the sprite at that height (walk cycles vary a little frame to frame).
    whole = [r for r in rows if r["x1"] > 0 and r["y1"] > 0 and r["x2"] < 960 and r["y2"] < 540]
    ratio = np.array([(r["y2"] - r["y1"]) / r["height_px"] for r in whole])
    assert np.all((ratio > 0.8) & (ratio < 1.25))


def test_painters_order_hides_the_farther_person(tmp_path):
    cam = SMALL.camera
    # Two people of one silhouette on one ray from the camera, 25 m and 26 m away along the ground:
    # from 10 m up the far one's feet are ~9 px above the near one's, well inside the near body.
    c = np.array(cam.position[:2])
    direction = np.array([np.cos(np.radians(cam.pan_deg)), np.sin(np.radians(cam.pan_deg))])
    near, far = c + 25 * direction, c + 26 * direction
    t = np.arange(3) / 10.0
    xy = np.stack([np.tile(near, (3, 1)), np.tile(far, (3, 1))], axis=1)
    sc = Scene("two on a ray", (105.0, 68.0), t, ["near", "far"], ["player", "player"], xy)
    one = load_bank()[0]
    r = render(SMALL, tmp_path, fps=10.0, scene=sc, bank=[WalkCycle(one.frames[:1], 0, one.origin)])
    rows = _rows(r.truth)
    near_v = [x["visible"] for x in rows if x["id"] == "near"]
    far_v = [x["visible"] for x in rows if x["id"] == "far"]
    assert near_v == [1.0, 1.0, 1.0]
    assert len(far_v) == 3 and max(far_v) < 0.5
    # Drawn the other way round (the far one nearer), the hidden one changes.
    sc2 = Scene("two on a ray", (105.0, 68.0), t, ["near", "far"], ["player", "player"], xy[:, ::-1])
    r2 = render(SMALL, tmp_path / "swap", fps=10.0, scene=sc2, bank=[WalkCycle(one.frames[:1], 0, one.origin)])
    rows2 = _rows(r2.truth)
    assert [x["visible"] for x in rows2 if x["id"] == "far"] == [1.0, 1.0, 1.0]
