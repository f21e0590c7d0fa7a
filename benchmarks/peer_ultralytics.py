"""The peer: Ultralytics' own tracker on the same ONNX model and video.

Runs in the peers' venv (benchmarks/setup_peers.sh). Prints one JSON line.
    .venv-peers/bin/python benchmarks/peer_ultralytics.py VIDEO --imgsz 640 [--frames N]
"""

import argparse
import json
import time

import numpy as np
from ultralytics import YOLO

ap = argparse.ArgumentParser()
ap.add_argument("video")
ap.add_argument("--model", default="models/yolo11n-pose.onnx")
ap.add_argument("--imgsz", type=int, default=640)
ap.add_argument("--frames", type=int, default=0)
args = ap.parse_args()

model = YOLO(args.model, task="pose")
speeds, ids, frames, stamps = [], set(), 0, []
for r in model.track(source=args.video, stream=True, imgsz=args.imgsz, tracker="bytetrack.yaml", verbose=False, device="cpu"):
    frames += 1
    stamps.append(time.perf_counter())
    speeds.append([r.speed.get("preprocess", 0), r.speed.get("inference", 0), r.speed.get("postprocess", 0)])
    if r.boxes is not None and r.boxes.id is not None:
        ids.update(int(i) for i in r.boxes.id.tolist())
    if args.frames and frames >= args.frames:
        break
# Steady state, first result to last: model loading and warm-up are left out on both sides.
wall = stamps[-1] - stamps[0]
s = np.mean(speeds, axis=0)
print(json.dumps({"frames": frames, "wall_s": wall, "fps": (frames - 1) / wall, "preprocess_ms": s[0],
                  "inference_ms": s[1], "postprocess_ms": s[2], "track_ids": len(ids)}))
