"""End-to-end pipeline benchmark: per-stage ms and FPS, against Ultralytics' tracker.

    .venv/bin/python benchmarks/bench_pipeline.py [--video ../shared/data/vtest.avi] [--sizes 640 320] [--frames N]

Our side runs the real pipeline (capture thread, detect thread, ByteTrack, SQLite store in
a temp file; pose off unless --pose, because the peer has no pose stage). The peer is
`YOLO(model).track(..., tracker="bytetrack.yaml")` on the same ONNX file, video and
machine, run from the peers' venv (benchmarks/setup_peers.sh). FPS is counted from the
first result to the last on both sides, so model loading and warm-up are left out. "raw" is the detector's
inference alone, back to back on one letterboxed frame: the ceiling for this backend. Our side is
`edge_app.bench.measure`, the code behind `axolotl-edge bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_app.bench import measure  # noqa: E402
from edge_app.config import load_config  # noqa: E402
from edge_app.pipeline import STAGES  # noqa: E402

DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "vtest.avi"
PEER_PY = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"


def ours(video: Path, size: int, frames: int | None, pose: bool) -> dict:
    """The real pipeline and the raw inference ceiling, measured as `axolotl-edge bench` does."""
    cfg = load_config(overrides={"detector": {"input_size": size}, "pose": {"enabled": pose}})
    return measure(cfg, str(video), frames=frames)


def peer(video: Path, size: int, frames: int | None) -> dict | None:
    py = Path(os.environ.get("PEER_PYTHON", PEER_PY))
    if not py.exists():
        print(f"(peer skipped: {py} missing; run benchmarks/setup_peers.sh)", file=sys.stderr)
        return None
    cmd = [
        str(py),
        str(ROOT / "benchmarks" / "peer_ultralytics.py"),
        str(video),
        "--imgsz",
        str(size),
        "--model",
        str(ROOT / "models" / "yolo11n-pose.onnx"),
        "--frames",
        str(frames or 0),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--video", type=Path, default=DEFAULT_VIDEO if DEFAULT_VIDEO.exists() else ROOT / "samples" / "vtest-15s.avi"
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[640, 320])
    ap.add_argument("--frames", type=int, help="limit frames per run")
    ap.add_argument("--pose", action="store_true", help="also run with MediaPipe pose on (our side only)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    print(
        f"video {args.video.name}, {os.cpu_count()} CPUs, ONNX Runtime on CPU, {args.repeats} alternating repeats (medians)"
    )
    for size in args.sizes:
        runs, peers, ratios = [], [], []
        for _ in range(args.repeats):  # A B A B: a noisy neighbour slows both sides alike
            runs.append(ours(args.video, size, args.frames, pose=False))
            p = None if args.no_peer else peer(args.video, size, args.frames)
            if p:
                peers.append(p)
                ratios.append(runs[-1]["fps"] / p["fps"])
        runs.sort(key=lambda r: r["fps"])
        rows = {"ours": runs[len(runs) // 2]}
        if args.pose:
            rows["ours+pose"] = ours(args.video, size, args.frames, pose=True)
        print(f"\n## input {size}  ({rows['ours']['frames']} frames, providers {','.join(rows['ours']['providers'])})")
        print(f"{'stage (ms, mean / p95)':<24}" + "".join(f"{name:>20}" for name in rows))
        for stage in STAGES:
            cells = []
            for r in rows.values():
                st = r["stages"].get(stage)
                cells.append(f"{st['mean']:8.2f} / {st['p95']:7.2f}" if st else f"{'-':>18}")
            print(f"{stage:<24}" + "".join(f"{c:>20}" for c in cells))
        print(f"{'end-to-end FPS':<24}" + "".join(f"{r['fps']:>20.2f}" for r in rows.values()))
        print(f"{'raw inference FPS':<24}" + "".join(f"{r['raw_fps']:>20.2f}" for r in rows.values()))
        print(f"{'e2e / raw inference':<24}" + "".join(f"{r['fps'] / r['raw_fps']:>20.2f}" for r in rows.values()))
        print(f"{'distinct track ids':<24}" + "".join(f"{r['tracks']:>20}" for r in rows.values()))
        every = ", ".join(f"{r['fps']:.2f}" for r in runs)
        print(f"ours, every repeat: {every} FPS")
        if peers:
            peers.sort(key=lambda q: q["fps"])
            q = peers[len(peers) // 2]
            every = ", ".join(f"{x['fps']:.2f}" for x in peers)
            print(
                f"peer ultralytics track (median): {q['fps']:.2f} FPS (pre {q['preprocess_ms']:.1f} / infer {q['inference_ms']:.1f} / "
                f"post {q['postprocess_ms']:.1f} ms, {q['track_ids']} ids); every repeat: {every}"
            )
            print(
                f"ratio ours / ultralytics = {float(np.median(ratios)):.2f}x (median of {len(ratios)} paired runs; "
                f"range {min(ratios):.2f}-{max(ratios):.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
