"""Two kits and the training-session generator (benchmarks/accuracy/session.py)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import cv2
import numpy as np
import pytest

from benchmarks.accuracy import session
from benchmarks.accuracy.render import render
from benchmarks.accuracy.setups import SETUPS
from edge_app.identity import histogram_distance, mean_histogram, torso_histogram

MAST = SETUPS["mast"]
SMALL_CAM = replace(MAST.camera, width=960, height=540)  # the mast's view on half the pixels
SESSION = SETUPS["mast-session"]


def _torso_means(clip) -> tuple[dict, dict]:
    """Each person's mean torso histogram over the clip (the product's own), and their team."""
    cap = cv2.VideoCapture(str(clip.video))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    team = {p["id"]: p.get("team") for p in json.loads(clip.meta.read_text())["people"]}
    hists = {}
    for r in csv.DictReader(open(clip.truth)):
        if float(r["visible"]) > 0.9 and float(r["height_px"]) > 30:
            box = [float(r[k]) for k in ("x1", "y1", "x2", "y2")]
            hists.setdefault(r["id"], []).append(torso_histogram(frames[int(r["frame"])], box))
    return {k: mean_histogram(v) for k, v in hists.items()}, team


def _pairs(hists, team):
    ids = sorted(hists)
    same, other = [], []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            (same if team[a] == team[b] else other).append(histogram_distance(hists[a], hists[b]))
    return np.array(same), np.array(other)


def test_kits_make_teammates_alike_and_opponents_apart(tmp_path):
    small = replace(MAST, camera=SMALL_CAM)
    kit = render(small, tmp_path / "kits", seconds=0.3, fps=10.0, kits=True)
    hists, team = _torso_means(kit)
    same, other = _pairs(hists, team)
    assert len(same) >= 5 and len(other) >= 5
    # Measured (seed 0, 4 frames at 960×540): teammates <= 0.30, opponents >= 0.86.
    assert same.max() < 0.35 and other.min() > 0.5
    # Without kits the same people do not split so: street clothes.
    plain = render(small, tmp_path / "plain", seconds=0.3, fps=10.0, kits=False)
    hists0, _ = _torso_means(plain)
    same0, other0 = _pairs(hists0, team)
    assert not (same0.max() < 0.35 and other0.min() > 0.5)


@pytest.fixture(scope="module")
def gen():
    a = SESSION.source_args
    return session.generate(6.0, a["people"], a["pitch"], seed=1, drill=a["drill"], camera=MAST.camera)


def _in_view(cam, xy):
    """(T, N) whether any of a person's box touches the image."""
    T, N = xy.shape[:2]
    feet, h = cam.person_pixels(xy.reshape(-1, 2))
    depth = cam.to_camera(np.c_[xy.reshape(-1, 2), np.zeros(T * N)])[:, 2]
    u, v, h = feet[:, 0], feet[:, 1], np.nan_to_num(h)
    seen = (depth > 0.5) & (u > -h / 2) & (u < cam.width + h / 2) & (v > 0) & (v - h < cam.height)
    return seen.reshape(T, N)


def test_play_stays_on_the_pitch_and_everyone_near_it(gen):
    L, W = gen.scene.pitch
    xy = gen.xy
    on = (xy[..., 0] >= 0) & (xy[..., 0] <= L) & (xy[..., 1] >= 0) & (xy[..., 1] <= W)
    assert on[gen.play].all()
    assert np.isfinite(xy).all()
    assert (xy[..., 0] > -12).all() and (xy[..., 0] < L + 12).all() and (xy[..., 1] > -10).all()
    assert (xy[..., 1] < W + 10).all()


def test_the_session_has_breaks_and_people_out_of_view_for_a_while(gen):
    phases = [p for p, _, _ in gen.phases]
    assert phases.count("play") >= 2 and "break" in phases
    _, a, b = next(p for p in gen.phases if p[0] == "break")
    c = (a + b) / 2
    mid = gen.xy[int((c - 5) * session.RATE) : int((c + 5) * session.RATE), :-1]
    speed = np.hypot(*np.diff(mid, axis=0).transpose(2, 0, 1)) * session.RATE
    assert np.median(speed) < 0.5  # standing at the water
    spread = np.hypot(*(mid[len(mid) // 2] - mid[len(mid) // 2].mean(0)).T)
    assert spread.max() < 6  # bunched
    seen = _in_view(MAST.camera, gen.xy)
    longest = []
    for i in range(seen.shape[1] - 1):
        gone = np.r_[False, ~seen[:, i], False].astype(int)
        e = np.flatnonzero(np.diff(gone))
        runs = [(s, t) for s, t in zip(e[::2], e[1::2]) if t < len(seen)]  # came back
        longest.append(max([(t - s) / session.RATE for s, t in runs], default=0.0))
    assert sum(x >= 20 for x in longest) >= 3
    assert gen.away.any(axis=0).sum() >= 3


def test_movement_matches_the_providers(gen):
    pools = session.provider_paths()
    he, sc = session.movement_stats(pools["hawkeye"]), session.movement_stats(pools["skillcorner"])
    n = gen.xy.shape[1] - 1
    g = session.movement_stats(session._runs(gen.xy[:, :n], gen.play[:, :n]))
    for key, tol in [
        ("speed p50", 0.15),
        ("speed p90", 0.10),
        ("speed p99", 0.10),
        ("acc p50", 0.15),
        ("acc p90", 0.15),
        ("acc p99", 0.15),
        ("pause p50 s", 0.25),
    ]:
        lo, hi = min(he[key], sc[key]), max(he[key], sc[key])
        assert lo * (1 - tol) <= g[key] <= hi * (1 + tol), (key, g[key], lo, hi)
    for z in session.ZONE_NAMES:
        lo, hi = min(he[f"% {z}"], sc[f"% {z}"]), max(he[f"% {z}"], sc[f"% {z}"])
        assert lo - 8 <= g[f"% {z}"] <= hi + 8, (z, g[f"% {z}"], lo, hi)  # measured: walk +3..+7


def test_one_seed_one_session():
    a = session.training_session(1.0, 8, seed=3, fps=5.0)
    b = session.training_session(1.0, 8, seed=3, fps=5.0)
    c = session.training_session(1.0, 8, seed=4, fps=5.0)
    assert np.array_equal(a.xy, b.xy) and a.ids == b.ids and a.teams == b.teams
    assert not np.allclose(a.xy, c.xy)
    assert a.xy.shape == (300, 8, 2) and a.teams.count("orange") == 4 and a.roles[-1] == "coach"


def test_a_session_render_writes_truth_for_people_in_view_only(tmp_path):
    small = replace(SESSION, camera=SMALL_CAM)
    clip = render(small, tmp_path, seconds=2.0, fps=5.0)
    meta = json.loads(clip.meta.read_text())
    assert meta["kits"] and {p["team"] for p in meta["people"]} == {"orange", "blue", "coach"}
    rows = list(csv.DictReader(open(clip.truth)))
    pos = list(csv.DictReader(open(clip.positions)))
    ids = [p["id"] for p in meta["people"]]
    xy = np.full((10, len(ids), 2), np.nan)
    for r in pos:
        xy[int(round(float(r["t"]) * 5)), ids.index(r["player"])] = (float(r["x"]), float(r["y"]))
    seen = _in_view(SMALL_CAM, xy)
    rowset = {(int(r["frame"]), r["id"]) for r in rows}
    assert rowset and all(seen[k, ids.index(i)] for k, i in rowset)
    assert (~seen).any()  # someone out of view, so the check bites
    assert all((k, ids[i]) not in rowset for k, i in zip(*np.nonzero(~seen)))
