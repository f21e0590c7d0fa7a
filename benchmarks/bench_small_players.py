"""Small players on a 1080p mast view: our zoom tiles against SAHI's sliced inference (issue 12).

Renders `--frames` views of the mast camera (tests/vision/scene.py: real people cut from
vtest.avi, pasted at their perspective size, 24 per frame, 40-180 px tall), then measures on
the same frames, with the same ONNX model:
  - ours: the plain full-frame pass (the old default), the zoom tiles in one batched call
    (the new default), the same tiles one model call each, and other tile shapes/targets;
  - the peer: SAHI 0.12.8 `get_sliced_prediction` over Ultralytics (benchmarks/peer_sahi.py,
    in the peers' venv from benchmarks/setup_peers.sh), 256 and 384 px slices + full pass.
Recall counts people >= 40 px tall and at least half visible, matched one-to-one at IoU >= 0.5,
score >= 0.25; precision counts every box >= 0.25. ms/frame is the median, model load and a
first warm-up frame left out.

    .venv/bin/python benchmarks/bench_small_players.py --frames 4 [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_app.config import OnnxRuntimeDetectorConfig, ZoomConfig  # noqa: E402
from edge_app.vision.detections import Detections  # noqa: E402
from edge_app.vision.detectors import create_detector  # noqa: E402
from edge_app.vision.zoom import ZoomDetector  # noqa: E402
from tests.vision import scene  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "small_players"
PEER_PY = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"


def render(n: int, seed: int):
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / "sprites.npz"
    if cache.exists():
        data = np.load(cache)
        sprites = [data[k] for k in data.files]
    else:
        sprites = scene.cut_people(12)
        np.savez_compressed(cache, *sprites)
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        players = scene.place_players(scene.MAST, 24, rng)
        image, boxes, _, visible = scene.render(scene.MAST, sprites, players, rng)
        path = OUT / f"mast_{seed}_{i}.png"
        cv2.imwrite(str(path), image)
        frames.append((path, image, boxes, visible))
    return frames


def harness_clip(clip: Path, n: int, stride: int):
    """Frames of an accuracy-harness clip (benchmarks/accuracy/), saved as PNG for the peer, with truth."""
    from benchmarks.accuracy import score as hs
    from edge_app.pitch import Calibration

    truth = hs.load_truth(clip / "truth.csv")
    cap = cv2.VideoCapture(str(clip / "video.mp4"))
    frames, index = [], 0
    out = OUT / clip.name
    out.mkdir(parents=True, exist_ok=True)
    while len(frames) < n:
        ok, image = cap.read()
        if not ok:
            break
        if index % stride == 0:
            rows = truth.frame == index
            path = out / f"{index:05d}.png"
            cv2.imwrite(str(path), image)
            frames.append((path, image, truth.xyxy[rows], truth.visible[rows] * (truth.height[rows] >= 40)))
        index += 1
    return frames, Calibration.load(clip / "calibration.json")


def score(boxes: np.ndarray, scores: np.ndarray, truth: np.ndarray, visible: np.ndarray, conf: float = 0.25):
    """(true positives among counted truths, counted truths, true positive boxes, boxes): one-to-one at IoU >= 0.5."""
    keep = scores >= conf
    boxes, scores = boxes[keep], scores[keep]
    boxes = boxes[np.argsort(-scores)]
    counted = ((truth[:, 3] - truth[:, 1]) >= 40) & (visible >= 0.5)
    taken = np.zeros(len(truth), bool)
    tp_boxes = 0
    for b in boxes:
        ix = np.clip(np.minimum(b[2], truth[:, 2]) - np.maximum(b[0], truth[:, 0]), 0, None)
        iy = np.clip(np.minimum(b[3], truth[:, 3]) - np.maximum(b[1], truth[:, 1]), 0, None)
        inter = ix * iy
        union = (b[2] - b[0]) * (b[3] - b[1]) + (truth[:, 2] - truth[:, 0]) * (truth[:, 3] - truth[:, 1]) - inter
        iou = np.where(taken, 0, inter / union)
        k = int(np.argmax(iou))
        if iou[k] >= 0.5:
            taken[k] = True
            tp_boxes += 1
    return int((taken & counted).sum()), int(counted.sum()), tp_boxes, len(boxes)


def run_ours(name: str, detector, frames, *, calls_per_frame: int, tiles: int, mpx: float) -> dict:
    detector.detect(frames[0][1])  # warm-up
    ms, tally = [], np.zeros(4)
    for _, image, truth, visible in frames:
        t0 = time.perf_counter()
        dets: Detections = detector.detect(image)
        ms.append((time.perf_counter() - t0) * 1e3)
        tally += score(dets.xyxy, dets.confidence, truth, visible)
    return {
        "name": name,
        "calls": calls_per_frame,
        "tiles": tiles,
        "mpx": mpx,
        "ms": float(np.median(ms)),
        "tally": tally,
    }


def run_crops(backend, cal, frames, note: str = "") -> dict:
    """The default (auto = crops): the first frame runs the whole plan, later ones crops + 2 sweep tiles."""
    det = ZoomDetector(backend, ZoomConfig(), cal)
    ms, tally, tiles, mpx = [], np.zeros(4), [], []
    for i, (_, image, truth, visible) in enumerate(frames):
        t0 = time.perf_counter()
        dets = det.detect(image)
        if i:  # the first frame (the whole plan, nothing followed yet) is the warm-up
            ms.append((time.perf_counter() - t0) * 1e3)
            tiles.append(len(det.params[1]))
            mpx.append(det.params[1].model_pixels / 1e6)
        tally += score(dets.xyxy, dets.confidence, truth, visible)
    return {
        "name": f"**ours: crops around found players + 2 sweep tiles, one batched call (default){', ' + note if note else ''}**",
        "calls": 1,
        "tiles": f"{np.mean(tiles):.1f}",
        "mpx": float(np.mean(mpx)),
        "ms": float(np.median(ms)),
        "tally": tally,
    }


def run_peer(slice_px: int, frames) -> dict | None:
    if not PEER_PY.exists():
        print(f"no peers venv ({PEER_PY}); run benchmarks/setup_peers.sh", file=sys.stderr)
        return None
    cmd = [
        str(PEER_PY),
        str(ROOT / "benchmarks" / "peer_sahi.py"),
        *[str(f[0]) for f in frames],
        "--slice",
        str(slice_px),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "YOLO_OFFLINE": "1"})
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(rows) != len(frames):
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    tally = np.zeros(4)
    for row, (_, _, truth, visible) in zip(rows, frames):
        b = np.array(row["boxes"], np.float32).reshape(-1, 5)
        tally += score(b[:, :4], b[:, 4], truth, visible)
    # SAHI's slices: a 1920x1080 frame at 20% overlap, each slice resized to 640 px, + the full frame at 640.
    step = int(slice_px * 0.8)
    n = (-(-(1920 - slice_px) // step) + 1) * (-(-(1080 - slice_px) // step) + 1)
    return {
        "name": f"SAHI {slice_px} px slices + full pass (first {len(frames)} frames)",
        "calls": n + 1,
        "tiles": n + 1,
        "mpx": (n + 1) * 640 * 640 / 1e6,
        "ms": float(np.median([r["ms"] for r in rows])),
        "tally": tally,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument(
        "--clip",
        type=Path,
        help="an accuracy-harness clip folder instead of the pasted stills: "
        "every --stride'th frame, crops mode included (it follows players from frame to frame)",
    )
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--peer-frames", type=int, default=4, help="SAHI runs on the first N frames only (it is slow)")
    ap.add_argument(
        "--variants",
        nargs="*",
        default=["640x384x100", "640x640x100", "960x384x90", "960x384x110"],
        help="other tile shapes and targets: WIDTHxHEIGHTxTARGET",
    )
    args = ap.parse_args()
    if args.clip:
        frames, cal = harness_clip(args.clip, args.frames, args.stride)
    else:
        frames, cal = render(args.frames, args.seed), scene.MAST.calibration()
    heights = np.concatenate([f[2][:, 3] - f[2][:, 1] for f in frames])
    print(
        f"{len(frames)} frames, {len(heights)} people, {heights.min():.0f}-{heights.max():.0f} px tall, "
        f"median {np.median(heights):.0f}",
        file=sys.stderr,
    )
    backend = create_detector(OnnxRuntimeDetectorConfig())
    size = (frames[0][1].shape[1], frames[0][1].shape[0])
    lb = backend.letterbox
    lb(frames[0][1])
    full_mpx = lb._tensor.shape[2] * lb._tensor.shape[3] / 1e6

    def zoomed(cfg):
        det = ZoomDetector(backend, cfg, cal)
        plan = det.plan_for(size)
        return det, len(plan), plan.model_pixels / 1e6

    rows = []
    default = ZoomConfig(mode="tiles")
    det, n, mpx = zoomed(default)
    rows.append(
        run_ours(
            f"ours: full frame at {backend.info.input_size} (old default)",
            backend,
            frames,
            calls_per_frame=1,
            tiles=1,
            mpx=full_mpx,
        )
    )
    rows.append(
        run_ours(
            f"ours: zoom tiles {default.tile_width}x{default.tile_height}, target {default.target_px} px, one batched call",
            det,
            frames,
            calls_per_frame=1,
            tiles=n,
            mpx=mpx,
        )
    )
    if args.clip:  # crops follow players from frame to frame: only on consecutive video frames
        rows.append(run_crops(backend, cal, frames))
    backend.max_batch = 1
    rows.append(run_ours("ours: the same tiles, one call per tile", det, frames, calls_per_frame=n, tiles=n, mpx=mpx))
    backend.max_batch = None
    if not args.no_peer:
        for s in (256, 384):
            peer = run_peer(s, frames[: args.peer_frames])
            if peer:
                rows.append(peer)
    det, n, mpx = zoomed(default)
    rows.append(run_ours("ours: zoom tiles, again after the peer", det, frames, calls_per_frame=1, tiles=n, mpx=mpx))
    if args.clip:
        rows.append(run_crops(backend, cal, frames, "again after the peer"))
    for spec in args.variants:
        tw, th, target = map(int, spec.split("x"))
        det, n, mpx = zoomed(ZoomConfig(mode="tiles", tile_width=tw, tile_height=th, target_px=target))
        rows.append(
            run_ours(f"ours: tiles {tw}x{th}, target {target} px", det, frames, calls_per_frame=1, tiles=n, mpx=mpx)
        )

    print("| detector | model calls / frame | tiles (model Mpx) / frame | recall ≥ 40 px | precision | ms / frame |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        tp, counted, tp_boxes, boxes = r["tally"]
        tiles = f"{r['tiles']} ({r['mpx']:.1f})"
        print(
            f"| {r['name']} | {r['calls']} | {tiles} | {tp / max(counted, 1):.0%} ({int(tp)}/{int(counted)}) | "
            f"{tp_boxes / max(boxes, 1):.0%} | {r['ms']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
