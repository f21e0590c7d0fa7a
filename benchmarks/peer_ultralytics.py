"""The peer: Ultralytics' own tracker on the same model and video.

Runs in the peers' venv (benchmarks/setup_peers.sh). Prints one JSON line; `--dump` also writes
every frame's tracked boxes (one JSON line a frame: {"frame": i, "boxes": [[x1, y1, x2, y2, score, id], ...]}).
`--model` takes the ONNX or an Ultralytics export folder (`..._openvino_model/`, benchmarks/peer_export.py).
    .venv-peers/bin/python benchmarks/peer_ultralytics.py VIDEO --imgsz 640 [--frames N] [--dump boxes.jsonl]
"""

import argparse
import json
import time

import numpy as np
from ultralytics import YOLO

ap = argparse.ArgumentParser()
ap.add_argument("video")
ap.add_argument("--model", default="models/yolo11n-pose.onnx")
ap.add_argument("--imgsz", type=int, nargs="+", default=[640], help="one size, or H W (a fixed-shape export's own)")
ap.add_argument("--frames", type=int, default=0)
ap.add_argument("--dump", help="write each frame's tracked boxes here (JSON lines)")
args = ap.parse_args()

model = YOLO(args.model, task="pose")
imgsz = args.imgsz[0] if len(args.imgsz) == 1 else args.imgsz
speeds, ids, frames, stamps = [], set(), 0, []
dump = open(args.dump, "w") if args.dump else None
for r in model.track(
    source=args.video, stream=True, imgsz=imgsz, tracker="bytetrack.yaml", verbose=False, device="cpu"
):
    frames += 1
    stamps.append(time.perf_counter())
    speeds.append([r.speed.get("preprocess", 0), r.speed.get("inference", 0), r.speed.get("postprocess", 0)])
    tracked = r.boxes is not None and r.boxes.id is not None
    if tracked:
        ids.update(int(i) for i in r.boxes.id.tolist())
    if dump:
        rows = []
        if tracked:
            person = r.boxes.cls.numpy() == 0
            rows = np.column_stack([r.boxes.xyxy.numpy(), r.boxes.conf.numpy(), r.boxes.id.numpy()])[person].tolist()
        dump.write(json.dumps({"frame": frames - 1, "boxes": rows}) + "\n")
    if args.frames and frames >= args.frames:
        break
# Steady state, first result to last: model loading and warm-up are left out on both sides.
wall = stamps[-1] - stamps[0]
s = np.mean(speeds, axis=0)
print(
    json.dumps(
        {
            "frames": frames,
            "wall_s": wall,
            "fps": (frames - 1) / wall,
            "preprocess_ms": s[0],
            "inference_ms": s[1],
            "postprocess_ms": s[2],
            "track_ids": len(ids),
        }
    )
)
