"""The suite's shared paths and the CLI's location: a plain module (no fixtures) that conftest.py and
early.py both import, so neither imports the other."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "samples" / "vtest-15s.avi"
CALIBRATION = ROOT / "samples" / "vtest-calibration.json"  # the ground plane of vtest.avi's camera
VTEST = ROOT.parent / "shared" / "data" / "vtest.avi"


def cli_path() -> str:
    exe = Path(sys.executable).with_name("axolotl-edge")
    return str(exe) if exe.exists() else shutil.which("axolotl-edge") or "axolotl-edge"
