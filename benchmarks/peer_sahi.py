"""The peer for small players: SAHI's sliced inference over Ultralytics, same ONNX model.

Runs in the peers' venv (benchmarks/setup_peers.sh). Prints one JSON line per frame:
{"frame": path, "ms": ..., "boxes": [[x1, y1, x2, y2, score], ...]}.
    .venv-peers/bin/python benchmarks/peer_sahi.py FRAME.png ... --slice 256 --imgsz 640
"""

import argparse
import json
import time

import cv2
from sahi import AutoDetectionModel
from sahi.predict import get_sliced_prediction

ap = argparse.ArgumentParser()
ap.add_argument("frames", nargs="+")
ap.add_argument("--model", default="models/yolo11n-pose.onnx")
ap.add_argument("--slice", type=int, default=256)
ap.add_argument("--overlap", type=float, default=0.2)  # SAHI's default
ap.add_argument("--imgsz", type=int, default=640)  # each slice is resized to this: 256 px slices are seen 2.5x
ap.add_argument("--conf", type=float, default=0.25)
ap.add_argument("--no-full", action="store_true", help="leave out SAHI's extra full-frame pass")
args = ap.parse_args()

model = AutoDetectionModel.from_pretrained(
    model_type="ultralytics", model_path=args.model, confidence_threshold=args.conf, device="cpu", image_size=args.imgsz
)
for i, path in enumerate(args.frames):
    image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
    if i == 0:  # warm-up, as on our side
        get_sliced_prediction(image, model, slice_height=args.slice, slice_width=args.slice, verbose=0)
    t0 = time.perf_counter()
    result = get_sliced_prediction(
        image,
        model,
        slice_height=args.slice,
        slice_width=args.slice,
        overlap_height_ratio=args.overlap,
        overlap_width_ratio=args.overlap,
        perform_standard_pred=not args.no_full,
        verbose=0,
    )
    ms = (time.perf_counter() - t0) * 1e3
    boxes = [
        [float(v) for v in (*p.bbox.to_xyxy(), p.score.value)]
        for p in result.object_prediction_list
        if p.category.id == 0
    ]
    print(json.dumps({"frame": path, "ms": ms, "boxes": boxes}), flush=True)
