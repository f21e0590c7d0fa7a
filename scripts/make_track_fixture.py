"""Record real detections of vtest.avi for the tracker tests and benchmark.

    python scripts/make_track_fixture.py [--src /work/shared/data/vtest.avi] [--out tests/data/vtest_detections.npz]
                                         [--input-size 960] [--conf 0.1] [--threads 2]

Runs the app's own detector (`edge_app.vision.detectors`, ONNX Runtime, yolo11n-pose from
models/manifest.toml) over every frame and saves the person boxes with np.savez_compressed:

    frame       (M,)   int32    0-based frame index
    xyxy        (M, 4) float32  pixels in the 768x576 frame
    confidence  (M,)   float32
    num_frames  ()     int32    frames in the video (frames with no detection have no rows)
    conf        ()     float32  the threshold used

The threshold is 0.1, below the detector's default 0.25, so that the file also holds the
low-score boxes ByteTrack's second association uses (0.1 < score < 0.25); rows with
confidence >= 0.25 are exactly what the detector returns at its default (greedy NMS keeps a
box only by the boxes scoring above it, so extra low-score boxes change nothing above 0.25).
Everything else is the app's default detector config (input 960, NMS IoU 0.5).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SRC = Path("/work/shared/data/vtest.avi")
DEFAULT_OUT = ROOT / "tests" / "data" / "vtest_detections.npz"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--input-size", type=int, default=None, help="letterbox size (default: the app's)")
    ap.add_argument("--conf", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--max-frames", type=int, default=0, help="0 = all")
    args = ap.parse_args(argv)

    from edge_app.config import OnnxRuntimeDetectorConfig
    from edge_app.vision.detections import PERSON
    from edge_app.vision.detectors import create_detector

    kw = {"conf": args.conf, "classes": [PERSON], "providers": ["cpu"], "threads": args.threads}
    if args.input_size:
        kw["input_size"] = args.input_size
    config = OnnxRuntimeDetectorConfig(**kw)
    detector = create_detector(config)

    cap = cv2.VideoCapture(str(args.src))
    if not cap.isOpened():
        print(f"cannot open {args.src}", file=sys.stderr)
        return 1
    frames, boxes, scores = [], [], []
    n = 0
    t0 = time.perf_counter()
    while True:
        ok, image = cap.read()
        if not ok or (args.max_frames and n >= args.max_frames):
            break
        det = detector.detect(image)
        frames.append(np.full(len(det), n, np.int32))
        boxes.append(det.xyxy.astype(np.float32))
        scores.append(det.confidence.astype(np.float32))
        n += 1
        if n % 100 == 0:
            print(f"{n} frames, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    cap.release()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame = np.concatenate(frames) if frames else np.zeros(0, np.int32)
    xyxy = np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32)
    confidence = np.concatenate(scores) if scores else np.zeros(0, np.float32)
    np.savez_compressed(
        args.out, frame=frame, xyxy=xyxy, confidence=confidence, num_frames=np.int32(n), conf=np.float32(args.conf)
    )
    high = int((confidence >= 0.25).sum())
    print(
        f"{args.out}: {n} frames, {len(frame)} boxes ({high} with score >= 0.25, "
        f"{high / max(n, 1):.1f} per frame), {args.out.stat().st_size / 1024:.0f} KiB, "
        f"input {detector.info.input_size}, {time.perf_counter() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
