"""The people bank: real walkers cut out of vtest.avi, as RGBA walk cycles.

    python -m benchmarks.accuracy.sprites [--video ../shared/data/vtest.avi] [--out benchmarks/accuracy/people.npz]

How a bank is cut (`build_bank`): MOG2 learns the background over the whole video (first pass), then
a second pass with learning off gives each frame's foreground (shadows dropped), cleaned by opening
and closing. Connected blobs are linked frame to frame by box overlap; a run ends when a blob merges
with another, splits, touches the image border or stops looking like one upright person. Each run
of at least `MIN_RUN` frames is a walk cycle: its frames are cut to the blob's box, with the blob as
alpha. Then the real detector (models/yolo11n-pose.onnx through the product's detector) must find
each frame as a person when pasted on grass at a size the model sees well (`DETECT_HEIGHT` px at
its 640 input): runs where it misses more than one frame in ten are dropped.

`load_bank()` reads the committed npz; the project runs without ../shared.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BANK = HERE / "people.npz"
# ../shared beside the checkout (looked for upwards, so a worktree finds it too)
VTEST = next(
    (p / "shared" / "data" / "vtest.avi" for p in HERE.parents if (p / "shared" / "data" / "vtest.avi").exists()),
    HERE.parents[2] / "shared" / "data" / "vtest.avi",
)
SOURCE_FPS = 10.0  # vtest.avi
WALK_SPEED_MS = 1.4  # a pedestrian's walking speed: the cycle plays at source rate at this speed
MIN_RUN = 12  # frames (1.2 s at 10 fps: more than one stride)
MAX_RUN = 20
MIN_HEIGHT = 50  # px in vtest.avi
DETECT_HEIGHT = 200  # px at the model's 640 input: comfortably above the ~100 px it needs


@dataclass
class WalkCycle:
    """One person's frames, each (H, W, 4) uint8 cut tight to the person (alpha = the person)."""

    frames: list[np.ndarray]
    direction: int  # +1: the person walks to the image's right, -1: to its left, 0: towards/away
    origin: str  # which frames of the source video

    @property
    def height(self) -> float:
        """The person's standing height in the bank's pixels (median over the cycle)."""
        return float(np.median([f.shape[0] for f in self.frames]))


def _foreground(video: Path):
    """Yield (frame, clean foreground mask) per frame of the video."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    if not frames:
        raise SystemExit(f"cannot read {video}: not a video OpenCV can decode")
    mog = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=25, detectShadows=True)
    for img in frames:  # learn the background over the whole video first
        mog.apply(img)
    k_open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    k_close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 9))
    for img in frames:
        fg = mog.apply(img, learningRate=0)
        mask = np.where(fg == 255, 255, 0).astype(np.uint8)  # 127 = shadow
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, k_open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, k_close)
        yield img, mask


def _blobs(mask: np.ndarray, shape) -> list[tuple[np.ndarray, np.ndarray]]:
    """(box x1 y1 x2 y2, its component mask) for each blob shaped like one upright person."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, 8)
    out = []
    H, W = shape[:2]
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h < MIN_HEIGHT:
            continue
        # Fill the blob's holes (clothes the colour of the pavement), then ask for a solid figure.
        comp = (labels[y : y + h, x : x + w] == i).astype(np.uint8)
        contours, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(comp, contours, -1, 1, cv2.FILLED)
        if comp.sum() < 0.45 * w * h:
            continue
        full = np.zeros(mask.shape, bool)
        full[y : y + h, x : x + w] = comp > 0
        box = np.array([x, y, x + w, y + h])
        out.append((box, full, h / max(w, 1), x <= 1 or y <= 1 or x + w >= W - 1 or y + h >= H - 1))
    return out


def _iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _cut(img: np.ndarray, box, comp: np.ndarray) -> np.ndarray:
    import cv2

    x1, y1, x2, y2 = box
    alpha = (comp[y1:y2, x1:x2] * 255).astype(np.uint8)
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0)  # soft edge, as a real silhouette against grass
    return np.dstack([img[y1:y2, x1:x2], alpha])


def cut_runs(video: Path) -> list[WalkCycle]:
    """Every clean run of one isolated person through the video (before the detector check)."""
    runs: list[dict] = []  # open runs: box, frames, xs, first index
    done: list[WalkCycle] = []

    def close(run):
        # One cycle per run (its first MAX_RUN frames): more people rather than more of one person.
        part, xs = run["frames"][:MAX_RUN], run["xs"][:MAX_RUN]
        if len(part) >= MIN_RUN:
            dx = (xs[-1] - xs[0]) / len(part)
            direction = 1 if dx > 0.8 else -1 if dx < -0.8 else 0
            first = run["start"]
            done.append(WalkCycle(part, direction, f"vtest.avi frames {first}-{first + len(part) - 1}"))

    for index, (img, mask) in enumerate(_foreground(video)):
        blobs = _blobs(mask, img.shape)
        claims: dict[int, list[int]] = {}
        for bi, (box, _, _, _) in enumerate(blobs):
            for ri, run in enumerate(runs):
                if _iou(box, run["box"]) > 0.3:
                    claims.setdefault(ri, []).append(bi)
        used_blobs = [b for bs in claims.values() for b in bs]
        next_runs = []
        for ri, run in enumerate(runs):
            bs = claims.get(ri, [])
            ok = len(bs) == 1 and used_blobs.count(bs[0]) == 1  # no split, no merge
            if ok:
                box, comp, aspect, border = blobs[bs[0]]
                h_prev = run["box"][3] - run["box"][1]
                ok = not border and 1.8 <= aspect <= 4.5 and abs((box[3] - box[1]) - h_prev) <= 0.15 * h_prev
            if ok:
                run["frames"].append(_cut(img, box, comp))
                run["xs"].append((box[0] + box[2]) / 2)
                run["box"] = box
                next_runs.append(run)
            else:
                close(run)
        claimed = set(used_blobs)
        for bi, (box, comp, aspect, border) in enumerate(blobs):
            if bi not in claimed and not border and 1.8 <= aspect <= 4.5:
                next_runs.append(
                    {"box": box, "frames": [_cut(img, box, comp)], "xs": [(box[0] + box[2]) / 2], "start": index}
                )
        runs = next_runs
    for run in runs:
        close(run)
    return done


def grass(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Mown grass: green with light/dark stripes and fine noise (BGR)."""
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (45, 125, 50)
    img += rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def paste(canvas: np.ndarray, sprite: np.ndarray, x1: int, y1: int) -> None:
    """Alpha-blend an RGBA sprite onto a BGR canvas in place, its top-left at (x1, y1), clipped."""
    h, w = sprite.shape[:2]
    H, W = canvas.shape[:2]
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x1 + w, W), min(y1 + h, H)
    if cx1 >= cx2 or cy1 >= cy2:
        return
    s = sprite[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
    a = s[..., 3:4].astype(np.float32) / 255.0
    region = canvas[cy1:cy2, cx1:cx2]
    region[:] = (s[..., :3] * a + region * (1 - a)).astype(np.uint8)


def detector_check(
    cycles: list[WalkCycle], *, height: int = DETECT_HEIGHT, keep: float = 0.9
) -> list[tuple[WalkCycle, float]]:
    """(cycle, fraction of its frames found) for the cycles the real detector finds as a person in
    at least `keep` of their frames, each pasted alone on grass at `height` px in a 640×640 image."""
    import cv2

    from edge_app.config import load_config
    from edge_app.vision.detections import PERSON
    from edge_app.vision.detectors import create_detector

    det = create_detector(load_config(None, {"detector": {"input_size": 640}}).detector)
    out = []
    try:
        for cyc in cycles:
            found = 0
            for f in cyc.frames:
                s = height / f.shape[0]
                sp = cv2.resize(f, (max(1, round(f.shape[1] * s)), height), interpolation=cv2.INTER_LINEAR)
                canvas = grass(640, 640)
                x1, y1 = 320 - sp.shape[1] // 2, 600 - height
                paste(canvas, sp, x1, y1)
                truth = (x1, y1, x1 + sp.shape[1], y1 + height)
                d = det.detect(canvas)
                d = d[d.class_id == PERSON]
                if any(_iou(truth, b) >= 0.5 for b in d.xyxy.tolist()):
                    found += 1
            rate = found / len(cyc.frames)
            if rate >= keep:
                out.append((cyc, rate))
    finally:
        det.close()
    return out


def save_bank(cycles: list[tuple[WalkCycle, float]], path: Path) -> Path:
    """One npz: `c{i}_f{j}` RGBA frames as PNG bytes and a JSON `meta` list (origin, direction, detector rate)."""
    import cv2

    arrays, meta = {}, []
    for i, (cyc, rate) in enumerate(cycles):
        for j, f in enumerate(cyc.frames):
            arrays[f"c{i}_f{j}"] = np.frombuffer(cv2.imencode(".png", f, [cv2.IMWRITE_PNG_COMPRESSION, 9])[1], np.uint8)
        meta.append(
            {
                "frames": len(cyc.frames),
                "direction": cyc.direction,
                "origin": cyc.origin,
                "detector_found": round(rate, 3),
            }
        )
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)
    return path


def load_bank(path: Path = BANK) -> list[WalkCycle]:
    import cv2

    with np.load(path) as z:
        meta = json.loads(z["meta"].tobytes().decode())
        return [
            WalkCycle(
                [cv2.imdecode(z[f"c{i}_f{j}"], cv2.IMREAD_UNCHANGED) for j in range(m["frames"])],
                m["direction"],
                m["origin"],
            )
            for i, m in enumerate(meta)
        ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=VTEST)
    ap.add_argument("--out", type=Path, default=BANK)
    args = ap.parse_args(argv)
    if not args.video.exists():
        print(f"{args.video} not found: pass --video PATH to OpenCV's vtest.avi", file=sys.stderr)
        return 2
    cycles = cut_runs(args.video)
    print(f"{len(cycles)} clean runs of one person", file=sys.stderr)
    kept = detector_check(cycles)
    save_bank(kept, args.out)
    print(
        f"{len(kept)} walk cycles kept ({sum(len(c.frames) for c, _ in kept)} frames), "
        f"{args.out.stat().st_size / 1e6:.2f} MB -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    raise SystemExit(main())
