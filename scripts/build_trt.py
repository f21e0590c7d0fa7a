#!/usr/bin/env python3
"""Build a TensorRT engine from a YOLO ONNX, on the device that will run it (Jetson or NVIDIA NUC).

    scripts/build_trt.py                                   # yolo11n-pose, fp16, 1280 → models/
    scripts/build_trt.py --precision int8 --calib-video session1.mp4 --calib-video session2.mp4
    scripts/build_trt.py --dla-core 0 --input-size 960     # Jetson AGX/NX Orin: run on a DLA core

The file name carries the TensorRT version, GPU, precision and size
(yolo11n-pose_trt10.3.0_Orin_fp16_1280.engine); a .json beside it records what it was built
from. An engine that is up to date is kept; a stale one (another TensorRT, GPU or ONNX) is
rebuilt. The detector (type = "tensorrt") does the same at start, so this only saves that wait.
Prints the engine path on stdout.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_app.errors import AxolotlError  # noqa: E402
from edge_app.models import resolve_model  # noqa: E402
from edge_app.vision.trt_engine import BuildOptions, CudaDevice, ensure_engine, import_tensorrt  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="yolo11n-pose", help="a models/manifest.toml name or an .onnx path")
    ap.add_argument("--precision", choices=["fp16", "int8", "fp32"], default="fp16")
    ap.add_argument(
        "--input-size", type=int, default=1280, help="letterbox size: the profile's opt and max height/width"
    )
    ap.add_argument("--min-size", type=int, default=32, help="smallest height/width the profile accepts")
    ap.add_argument("--max-batch", type=int, default=1)
    ap.add_argument("--workspace-mb", type=int, default=1024, help="builder workspace limit")
    ap.add_argument(
        "--dla-core", type=int, default=None, help="run on this DLA core (Jetson AGX/NX Orin), GPU fallback"
    )
    ap.add_argument("--calib-video", action="append", default=[], help="int8: your own video; repeat for several")
    ap.add_argument("--calib-frames", type=int, default=256, help="int8: frames drawn evenly from the videos")
    ap.add_argument("--calib-batch", type=int, default=1)
    ap.add_argument("--calib-cache", default=None, help="int8 calibration cache (read if present, written if not)")
    out = ap.add_mutually_exclusive_group()
    out.add_argument("--out-dir", default=None, help="folder for the engine (default: beside the ONNX)")
    out.add_argument("--engine", default=None, help="exact engine path instead of the derived name")
    ap.add_argument("--device", type=int, default=0, help="CUDA device index")
    ap.add_argument("--force", action="store_true", help="rebuild even if the engine is up to date")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        for name in ("input_size", "min_size", "max_batch", "workspace_mb", "calib_frames", "calib_batch"):
            if getattr(args, name) < 1:
                raise AxolotlError(f"--{name.replace('_', '-')} must be at least 1")
        if args.min_size > args.input_size or args.input_size % 32 or args.min_size % 32:
            raise AxolotlError("--input-size and --min-size must be multiples of 32 with min ≤ input size")
        trt = import_tensorrt()
        onnx_path, _ = resolve_model(args.model)
        gpu = CudaDevice(args.device)
        try:
            opts = BuildOptions(
                precision=args.precision,
                input_size=args.input_size,
                min_size=args.min_size,
                max_batch=args.max_batch,
                workspace_mb=args.workspace_mb,
                dla_core=args.dla_core,
                calib_videos=tuple(args.calib_video),
                calib_frames=args.calib_frames,
                calib_batch=args.calib_batch,
                calib_cache=args.calib_cache,
            )
            path, meta, built = ensure_engine(
                trt, gpu, onnx_path, opts, engine=args.engine, engine_dir=args.out_dir, build=True, force=args.force
            )
        finally:
            gpu.close()
    except AxolotlError as exc:
        print(f"build_trt: error: {exc}", file=sys.stderr)
        return 2
    state = f"built in {meta['build_seconds']} s" if built else "up to date, kept"
    print(
        f"{path.name}: {state} (TensorRT {meta['tensorrt']}, {meta['gpu']}, {meta['precision']}, {meta['input_size']})",
        file=sys.stderr,
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
