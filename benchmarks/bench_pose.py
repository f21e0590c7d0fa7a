"""Per-crop MediaPipe pose latency: one shared static-image instance vs one VIDEO-mode instance per track.

    python benchmarks/bench_pose.py [VIDEO] [--frames N]

Two walkers in vtest.avi (default ../shared/data/vtest.avi), from frame 200. Their boxes
are hand-placed on the first frame and then follow the landmarks that the static pass
finds; the VIDEO-mode pass replays exactly the same boxes, so both modes see the same
crops. The first call of each instance (graph build) is reported apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge_app.vision.detections import PERSON, Detections  # noqa: E402
from edge_app.vision.pose import PoseEstimator, _load_pose_module, padded_crop_bounds  # noqa: E402

DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "vtest.avi"
START_FRAME = 200
WALKERS = {1: (615.0, 263.0, 653.0, 369.0), 2: (703.0, 252.0, 746.0, 356.0)}  # track id -> box on START_FRAME


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def follow(box, landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """Next frame's box: centred on the landmarks, the same size as before."""
    w, h = box[2] - box[0], box[3] - box[1]
    cx = (landmarks[:, 0].min() + landmarks[:, 0].max()) / 2
    bottom = landmarks[:, 1].max() + 0.04 * h
    return (cx - w / 2, bottom - h, cx + w / 2, bottom)


def summary(name: str, first_ms: list[float], ms: list[float], hits: int, crops: int, mb: float) -> str:
    a = np.asarray(ms)
    return (
        f"| {name:<28} | {np.median(a):6.1f} | {a.mean():6.1f} | {np.percentile(a, 90):6.1f} "
        f"| {np.mean(first_ms):7.1f} | {hits:>3}/{crops:<3} | {mb:7.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default=str(DEFAULT_VIDEO))
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    if not Path(args.video).is_file():
        print(f"no video at {args.video}", file=sys.stderr)
        return 2
    capture = cv2.VideoCapture(args.video)
    capture.set(cv2.CAP_PROP_POS_FRAMES, START_FRAME)
    frames = []
    for _ in range(args.frames):
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    height, width = frames[0].shape[:2]

    # Static: the PoseEstimator as built (one shared instance), with a budget large enough for every track.
    boxes = dict(WALKERS)
    replay: list[dict[int, tuple]] = []
    static_ms, static_first, static_hits, crops = [], [], 0, 0
    before = rss_mb()
    with PoseEstimator(budget_ms=1e9) as estimator:
        for t, frame in enumerate(frames):
            replay.append(dict(boxes))
            ids = sorted(boxes)
            crops += len(ids)
            dets = Detections(
                xyxy=np.array([boxes[i] for i in ids], np.float32),
                confidence=np.ones(len(ids), np.float32),
                class_id=np.full(len(ids), PERSON, np.int32),
                tracker_id=np.array(ids, np.int64),
            )
            start = time.perf_counter()
            samples = estimator.process(frame, dets, t_ms=t * 100)
            per_crop = (time.perf_counter() - start) * 1e3 / len(estimator.last_attempted)
            (static_first if t == 0 else static_ms).append(per_crop)
            static_hits += len(samples)
            # A walker whose pose is lost (walker 2 leaves the frame at about frame 8) is dropped.
            boxes = {s.track_id: follow(boxes[s.track_id], s.landmarks) for s in samples}
            if not boxes:
                break
        static_mb = rss_mb() - before

    # VIDEO mode: one instance per track, the same crops.
    pose_module = _load_pose_module()
    before = rss_mb()
    instances = {tid: pose_module.Pose(static_image_mode=False, model_complexity=1) for tid in WALKERS}
    video_ms, video_first, video_hits = [], [], 0
    for t, frame in enumerate(frames[: len(replay)]):
        for tid, box in replay[t].items():
            start = time.perf_counter()
            x1, y1, x2, y2 = padded_crop_bounds(np.array(box), 0.15, width, height)
            result = instances[tid].process(cv2.cvtColor(frame[y1:y2, x1:x2], cv2.COLOR_BGR2RGB))
            (video_first if t == 0 else video_ms).append((time.perf_counter() - start) * 1e3)
            video_hits += result.pose_landmarks is not None
    video_mb = rss_mb() - before
    for instance in instances.values():
        instance.close()

    print(
        f"{len(replay)} frames of {Path(args.video).name}, {crops} crops of {len(WALKERS)} walkers (~105 px tall); "
        "ms per crop after the first call; RSS +MB includes the one-time library load in the first row"
    )
    print("| mode                         | median |   mean |    p90 | first ms | found   | RSS +MB |")
    print("|------------------------------|--------|--------|--------|----------|---------|---------|")
    print(summary("static, 1 shared (chosen)", static_first, static_ms, static_hits, crops, static_mb))
    print(summary(f"video, 1 per track ({len(WALKERS)})", video_first, video_ms, video_hits, crops, video_mb))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
