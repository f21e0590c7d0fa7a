"""Ours against the peers on a harness clip, the same video and machine: FPS and recall (issue #14 item 5).

Runs from the app's venv; the peers run in theirs (benchmarks/setup_peers.sh, exports from
benchmarks/peer_export.py). On one accuracy-harness clip (benchmarks/accuracy/):
  - ours: `axolotl-edge analyze` with the product's defaults (bench_accuracy.py's run), and with
    each `--ours NAME=CONFIG.toml` given;
  - Ultralytics' `track()` (ByteTrack) with each `--ultralytics NAME=MODEL` (the ONNX, its OpenVINO
    f32 and INT8 exports) at `--imgsz`;
  - SAHI's sliced inference over `--sahi-model` on every `--sahi-stride`'th frame (it is slow).
Scoring: benchmarks/accuracy/score.py for everyone (people >= 40 px and less than half hidden,
one to one per frame at IoU >= 0.5): what ours stores and what track() returns are tracked boxes,
SAHI's are detections (score >= 0.25). IDF1 where there are track ids. FPS: ours, the analyze
run's frames over its wall time (decode, detect, track, pose, store); track(), first result to last;
SAHI, 1 / the median frame time of `get_sliced_prediction`.

    .venv/bin/python benchmarks/peer_table.py --clip benchmarks/out/accuracy/mast-4s-25fps --imgsz 1088 1920 \
        --ultralytics onnx=models/yolo11n-pose.onnx --ultralytics ov-int8=DIR --sahi-model DIR [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import score  # noqa: E402
from benchmarks.bench_accuracy import analyze, evaluate  # noqa: E402

PEER_PY = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"
ENV = {**os.environ, "YOLO_OFFLINE": "1"}


def boxes(rows: list[tuple[int, list]]) -> score.Boxes:
    """score.Boxes from (frame, [[x1, y1, x2, y2, score(, id)], ...]) pairs."""
    fr, ids, xyxy = [], [], []
    for f, bs in rows:
        for b in bs:
            fr.append(f)
            ids.append(int(b[5]) if len(b) > 5 else -1)
            xyxy.append(b[:4])
    xyxy = np.asarray(xyxy, float).reshape(-1, 4)
    return score.Boxes(np.array(fr, int), np.array(ids, int), xyxy, xyxy[:, 3] - xyxy[:, 1], np.ones(len(fr)))


def only(b: score.Boxes, frames) -> score.Boxes:
    keep = np.isin(b.frame, list(frames))
    return score.Boxes(
        b.frame[keep],
        b.id[keep],
        b.xyxy[keep],
        b.height[keep],
        b.visible[keep],
        b.names,
        None if b.xy is None else b.xy[keep],
    )


def scores(truth: score.Boxes, pred: score.Boxes, frames=None, identity: bool = True) -> dict:
    if frames is not None:
        truth, pred = only(truth, frames), only(pred, frames)
    m = score.match(truth, pred)
    d = score.detection_scores(truth, pred, m)
    out = {"people": d["truth"], "recall": d["recall"], "precision": d["precision"]}
    if identity:
        out["IDF1"] = score.identity_scores(truth, pred, m)["IDF1"]
    return out


def run_ours(clip: Path, name: str, config: str | None, truth, sahi_frames) -> dict:
    from edge_app.store import SessionStore

    summary, db, wall = analyze(clip, ["--config", config] if config else [])
    r = evaluate(clip, summary, db)
    with SessionStore(db) as store:
        pred = score.boxes_from_frames(store.frames(summary["session_id"]))
    return {
        "name": name,
        "fps": 1e3 / r["ms_per_frame"],
        "frames": r["frames"],
        **scores(truth, pred),
        "on_sahi_frames": scores(truth, pred, sahi_frames, identity=False),
    }


def run_ultralytics(clip: Path, name: str, model: str, imgsz: list[int], truth, sahi_frames, out: Path) -> dict | None:
    dump = out / f"ultralytics-{name}.jsonl"
    cmd = [
        str(PEER_PY),
        str(ROOT / "benchmarks" / "peer_ultralytics.py"),
        str(clip / "video.mp4"),
        "--model",
        model,
        "--imgsz",
        *map(str, imgsz),
        "--dump",
        str(dump),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=ENV)
    line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode or not line:
        print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    res = json.loads(line[-1])
    rows = [json.loads(x) for x in dump.read_text().splitlines()]
    pred = boxes([(r["frame"], r["boxes"]) for r in rows])
    return {
        "name": name,
        "fps": res["fps"],
        "frames": res["frames"],
        "inference_ms": res["inference_ms"],
        **scores(truth, pred),
        "on_sahi_frames": scores(truth, pred, sahi_frames, identity=False),
    }


def run_sahi(
    clip: Path, name: str, model: str, slice_px: int, imgsz: int, frames: list[int], truth, out: Path
) -> dict | None:
    import cv2

    cap = cv2.VideoCapture(str(clip / "video.mp4"))
    paths, i = [], 0
    while i <= max(frames):
        ok, image = cap.read()
        if not ok:
            break
        if i in frames:
            paths.append(out / f"sahi-{i:05d}.png")
            cv2.imwrite(str(paths[-1]), image)
        i += 1
    cmd = [
        str(PEER_PY),
        str(ROOT / "benchmarks" / "peer_sahi.py"),
        *map(str, paths),
        "--model",
        model,
        "--slice",
        str(slice_px),
        "--imgsz",
        str(imgsz),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=ENV)
    rows = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    if len(rows) != len(paths):
        print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    pred = boxes([(int(Path(r["frame"]).stem.split("-")[1]), r["boxes"]) for r in rows])
    ms = float(np.median([r["ms"] for r in rows]))
    return {"name": name, "fps": 1e3 / ms, "frames": len(rows), **scores(truth, pred, frames, identity=False)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True)
    ap.add_argument("--imgsz", type=int, nargs="+", default=[1088, 1920], help="track()'s input: H W of the exports")
    ap.add_argument("--ultralytics", action="append", default=[], metavar="NAME=MODEL")
    ap.add_argument("--ours", action="append", default=[], metavar="NAME=CONFIG.toml", help="besides the defaults")
    ap.add_argument("--sahi-model", action="append", default=[], metavar="NAME=MODEL")
    ap.add_argument("--sahi-slice", type=int, default=256)
    ap.add_argument("--sahi-imgsz", type=int, default=640)
    ap.add_argument("--sahi-stride", type=int, default=20)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    out = ROOT / "benchmarks" / "out" / "peers" / args.clip.name
    out.mkdir(parents=True, exist_ok=True)
    truth = score.load_truth(args.clip / "truth.csv")
    n = json.loads((args.clip / "meta.json").read_text())["frames"]
    sahi_frames = list(range(0, n, args.sahi_stride))
    t0 = time.time()
    rows = [run_ours(args.clip, "ours (defaults)", None, truth, sahi_frames)]
    for spec in args.ultralytics:
        name, model = spec.split("=", 1)
        rows.append(run_ultralytics(args.clip, name, model, args.imgsz, truth, sahi_frames, out))
    for spec in args.sahi_model:
        name, model = spec.split("=", 1)
        rows.append(run_sahi(args.clip, name, model, args.sahi_slice, args.sahi_imgsz, sahi_frames, truth, out))
    for spec in args.ours:
        name, config = spec.split("=", 1)
        rows.append(run_ours(args.clip, name, config, truth, sahi_frames))
    rows = [r for r in rows if r]
    load = os.getloadavg()
    print(
        f"\n{args.clip.name}: {n} frames; SAHI on frames {sahi_frames}; {time.time() - t0:.0f} s; load average now "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores"
    )
    print("| run | frames | FPS | recall | precision | IDF1 | recall on SAHI's frames |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        idf1 = f"{r['IDF1']:.3f}" if "IDF1" in r else "-"
        sub = r.get("on_sahi_frames", r)
        print(
            f"| {r['name']} | {r['frames']} | {r['fps']:.2f} | {r['recall']:.3f} ({r['people']}) | {r['precision']:.3f} | {idf1} | "
            f"{sub['recall']:.3f} ({sub['people']}) |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
