"""ONNX Runtime vs OpenVINO (f32, bf16, int8) on the CPU: the same frames, interleaved, in one run (issue #14).

Every backend is loaded once per input size; then each frame goes through every backend in turn
(preprocess → infer → postprocess, each timed), so a noisy, shared machine slows them alike.
FPS is 1 / the median frame time (the three stages); `ratio` is against ONNX Runtime's.
int8 goes through the product's own path: the cached NNCF model, refused unless its verdict passed
(`axolotl-edge models quantize`).

    python benchmarks/bench_openvino.py --video ../shared/data/vtest.avi --frames 40 --sizes 640 1280 \
        [--int8-dir DIR] [--ignore-verdict] [--json out.json]

The product's real workload on a 1080p camera is not one letterboxed frame but the zoom
(edge_app/vision/zoom.py): crops around the players found in the last frame and 2 sweep tiles,
all 960x384, in one batched call. `--clip` runs that on consecutive frames of an accuracy-harness
clip (benchmarks/accuracy/), each backend with its own ZoomDetector (crops follow what each
finds; `--zoom tiles` gives every backend the same whole tile plan), and scores recall on the
clip's truth as bench_small_players.py does (people >= 40 px, >= half visible, IoU >= 0.5, score >= 0.25):

    python benchmarks/bench_openvino.py --clip benchmarks/out/accuracy/mast-4s-25fps --frames 60 [--zoom tiles]

`--shapes` times the model call alone at given input shapes (NxHxW, e.g. a file run's 3 tiles
3x384x960 or a live canvas 1x832x960), real frames resized to them:

    python benchmarks/bench_openvino.py --video V --frames 20 --shapes 3x384x960 1x832x960 --int8-dir DIR

--ignore-verdict times an int8 model its accuracy check refused (speed only; the product would not run it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_app.config import load_config  # noqa: E402
from edge_app.errors import AxolotlError  # noqa: E402
from edge_app.vision import quantize  # noqa: E402
from edge_app.vision.detectors import create_detector  # noqa: E402
from edge_app.vision.sample_frames import even_frames  # noqa: E402

BACKENDS = {
    "ORT CPU": {"type": "onnxruntime", "providers": ["cpu"]},
    "OpenVINO f32": {"type": "openvino", "precision": "f32"},
    "OpenVINO bf16": {"type": "openvino", "precision": "bf16"},
    "OpenVINO int8": {"type": "openvino", "precision": "int8"},
}
WARMUP = 3


def load(size: int, int8_dir: str | None) -> dict:
    dets = {}
    for name, over in BACKENDS.items():
        if over.get("precision") == "int8" and int8_dir:
            over = {**over, "int8_dir": int8_dir}
        try:
            dets[name] = create_detector(load_config(overrides={"detector": {**over, "input_size": size}}).detector)
        except AxolotlError as exc:
            print(f"  {name} @ {size}: not run ({exc})", file=sys.stderr)
    return dets


def run(dets: dict, frames: list[np.ndarray]) -> dict:
    times = {name: {"preprocess": [], "inference": [], "postprocess": []} for name in dets}
    counts = {name: [] for name in dets}
    for i, frame in enumerate(frames):
        for name, det in dets.items():
            t0 = time.perf_counter()
            tensor = det.preprocess(frame)
            params = det.letterbox.params
            t1 = time.perf_counter()
            raw = det.infer(tensor)
            t2 = time.perf_counter()
            out = det.postprocess(raw, params)
            t3 = time.perf_counter()
            if i >= WARMUP:
                for stage, dt in zip(("preprocess", "inference", "postprocess"), (t1 - t0, t2 - t1, t3 - t2)):
                    times[name][stage].append(dt * 1e3)
                counts[name].append(int((out.confidence >= 0.25).sum()))
    res = {}
    for name, stages in times.items():
        total = np.sum([stages[s] for s in stages], axis=0)
        res[name] = {
            "providers": list(dets[name].info.providers),
            "stages_ms": {s: float(np.median(v)) for s, v in stages.items()},
            "frame_ms": float(np.median(total)),
            "fps": 1e3 / float(np.median(total)),
            "people_per_frame": float(np.mean(counts[name])),
        }
    ref = res.get("ORT CPU")
    for r in res.values():
        r["ratio"] = r["fps"] / ref["fps"] if ref else None
    return res


def run_shapes(dets: dict, frames: list[np.ndarray], shapes: list[str]) -> dict:
    """Median ms of `infer` alone per backend and (N, H, W) input, the backends interleaved per call."""
    import cv2

    res = {}
    for shape in shapes:
        n, h, w = (int(v) for v in shape.split("x"))
        batches = [
            np.stack([cv2.resize(f, (w, h))[:, :, ::-1].transpose(2, 0, 1) for f in frames[i : i + n]]).astype(
                np.float32
            )
            / 255
            for i in range(0, len(frames) - n + 1, n)
        ]
        ms = {name: [] for name in dets}
        for i, x in enumerate(batches):
            for name, det in dets.items():
                t0 = time.perf_counter()
                det.infer(np.ascontiguousarray(x))
                if i >= 1:  # the first call per shape compiles it
                    ms[name].append((time.perf_counter() - t0) * 1e3)
        ref = float(np.median(ms["ORT CPU"])) if "ORT CPU" in ms else None
        res[shape] = {
            name: {"ms": float(np.median(v)), "ratio": ref / float(np.median(v)) if ref else None}
            for name, v in ms.items()
        }
    return res


def run_zoom(dets: dict, clip: Path, n: int, mode: str) -> dict:
    """Each backend behind its own ZoomDetector on `n` consecutive frames of a harness clip, interleaved."""
    from benchmarks.bench_small_players import harness_clip, score
    from edge_app.config import TrackerConfig, ZoomConfig
    from edge_app.vision.zoom import ZoomDetector

    frames, cal = harness_clip(clip, n + WARMUP, 1)
    zoomed = {name: ZoomDetector(det, ZoomConfig(mode=mode), cal) for name, det in dets.items()}
    for z in zoomed.values():
        z.conf = TrackerConfig().low_score_threshold  # as the pipeline: every box down to the tracker's low threshold
    times = {name: {"preprocess": [], "inference": [], "postprocess": []} for name in zoomed}
    tiles = {name: [] for name in zoomed}
    tally = {name: np.zeros(4) for name in zoomed}
    for i, (_, image, truth, visible) in enumerate(frames):
        for name, z in zoomed.items():
            t0 = time.perf_counter()
            tensor = z.preprocess(image)
            t1 = time.perf_counter()
            raw = z.infer(tensor)
            t2 = time.perf_counter()
            out = z.postprocess(raw)
            t3 = time.perf_counter()
            if i >= WARMUP:  # the first frame runs the whole plan (nothing followed yet)
                for stage, dt in zip(("preprocess", "inference", "postprocess"), (t1 - t0, t2 - t1, t3 - t2)):
                    times[name][stage].append(dt * 1e3)
                tiles[name].append(len(tensor))
                tally[name] += score(out.xyxy, out.confidence, truth, visible)
    res = {}
    for name, stages in times.items():
        total = np.sum([stages[s] for s in stages], axis=0)
        tp, counted, tp_boxes, boxes = tally[name]
        res[name] = {
            "providers": list(dets[name].info.providers),
            "stages_ms": {s: float(np.median(v)) for s, v in stages.items()},
            "frame_ms": float(np.median(total)),
            "fps": 1e3 / float(np.median(total)),
            "mean_fps": 1e3 / float(np.mean(total)),
            "tiles_per_frame": float(np.mean(tiles[name])),
            "recall": tp / max(counted, 1),
            "precision": tp_boxes / max(boxes, 1),
            "people": int(counted),
        }
    ref = res.get("ORT CPU")
    for r in res.values():
        r["ratio"] = r["fps"] / ref["fps"] if ref else None
        r["mean_ratio"] = r["mean_fps"] / ref["mean_fps"] if ref else None
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--video", default=str(ROOT.parent / "shared" / "data" / "vtest.avi"))
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--sizes", type=int, nargs="+", default=[640, 1280])
    p.add_argument("--int8-dir", default=None)
    p.add_argument("--json", default=None)
    p.add_argument("--ignore-verdict", action="store_true", help="time a refused int8 model anyway (speed only)")
    p.add_argument(
        "--clip", type=Path, help="an accuracy-harness clip folder: the zoom workload on its frames, with recall"
    )
    p.add_argument(
        "--zoom", choices=["auto", "tiles"], default="auto", help="with --clip: the default crops (auto) or every tile"
    )
    p.add_argument("--shapes", nargs="+", help="time the model call alone at these NxHxW inputs")
    p.add_argument("--backends", nargs="+", choices=list(BACKENDS), default=list(BACKENDS))
    args = p.parse_args(argv)
    for name in set(BACKENDS) - set(args.backends):
        del BACKENDS[name]
    if args.ignore_verdict:
        refused = quantize.verdict_problem

        def note(xml, verdict):
            problem = refused(xml, verdict)
            if problem:
                print(f"  int8 timed although the product refuses it: {problem}", file=sys.stderr)

        quantize.verdict_problem = note
    if args.clip:
        return main_zoom(args)
    frames = list(even_frames([args.video], args.frames + WARMUP, phase=0.5))
    if args.shapes:
        return main_shapes(args, frames)
    out = {"video": args.video, "frames": len(frames) - WARMUP, "sizes": {}}
    for size in args.sizes:
        res = run(load(size, args.int8_dir), frames)
        out["sizes"][size] = res
        h = f"{'backend':<15}{'runs on':<11}{'pre':>7}{'infer':>8}{'post':>7}{'ms/frame':>10}{'FPS':>7}{'vs ORT':>8}{'people':>8}"
        print(f"\ninput {size}, {len(frames) - WARMUP} frames of {Path(args.video).name} (medians, ms)\n{h}")
        for name, r in res.items():
            s = r["stages_ms"]
            print(
                f"{name:<15}{r['providers'][0]:<11}{s['preprocess']:>7.1f}{s['inference']:>8.1f}{s['postprocess']:>7.1f}"
                f"{r['frame_ms']:>10.1f}{r['fps']:>7.2f}{r['ratio']:>7.2f}x{r['people_per_frame']:>8.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


def main_shapes(args, frames) -> int:
    res = run_shapes(load(load_config().detector.input_size, args.int8_dir), frames, args.shapes)
    names = list(next(iter(res.values())))
    print(
        f"\nthe model call alone, median ms over {len(frames)} frames of {Path(args.video).name} per shape (x: ORT's ms / this one's)"
    )
    print(f"{'input NxHxW':<14}" + "".join(f"{n:>22}" for n in names))
    for shape, r in res.items():
        print(f"{shape:<14}" + "".join(f"{r[n]['ms']:>14.1f} ({r[n]['ratio']:.2f}x)" for n in names))
    if args.json:
        Path(args.json).write_text(json.dumps({"video": args.video, "shapes": res}, indent=2) + "\n")
    return 0


def main_zoom(args) -> int:
    from edge_app.config import ZoomConfig

    z = ZoomConfig()
    res = run_zoom(load(load_config().detector.input_size, args.int8_dir), args.clip, args.frames, args.zoom)
    print(
        f"\nzoom {args.zoom}, tiles {z.tile_width}x{z.tile_height} in one batched call, {args.frames} consecutive frames "
        f"of {args.clip.name} (medians, ms; boxes down to the tracker's low threshold)"
    )
    print(
        f"{'backend':<15}{'runs on':<11}{'tiles':>6}{'pre':>7}{'infer':>8}{'post':>7}{'ms/frame':>10}{'FPS':>7}{'vs ORT':>8}"
        f"{'mean vs ORT':>12}{'recall':>8}{'prec':>7}"
    )
    for name, r in res.items():
        s = r["stages_ms"]
        print(
            f"{name:<15}{r['providers'][0]:<11}{r['tiles_per_frame']:>6.1f}{s['preprocess']:>7.1f}{s['inference']:>8.1f}"
            f"{s['postprocess']:>7.1f}{r['frame_ms']:>10.1f}{r['fps']:>7.2f}{r['ratio']:>7.2f}x{r['mean_ratio']:>11.2f}x"
            f"{r['recall']:>8.3f}{r['precision']:>7.3f}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"clip": str(args.clip), "zoom": args.zoom, "frames": args.frames, "backends": res}, indent=2)
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
