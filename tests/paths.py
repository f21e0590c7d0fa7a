"""The suite's shared paths and the CLI's location: a plain module (no fixtures) that conftest.py and
early.py both import, so neither imports the other."""

import shutil
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "samples" / "vtest-15s.avi"
CALIBRATION = ROOT / "samples" / "vtest-calibration.json"  # the ground plane of vtest.avi's camera
VTEST = ROOT.parent / "shared" / "data" / "vtest.avi"


def cli_command() -> list[str]:
    """The installed `axolotl-edge` entry point, as a user starts it; `python -m cli` where the installed script
    imports another entry point than pyproject.toml's (an editable install made before the CLI moved)."""
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["axolotl-edge"]
    module, _, func = target.partition(":")
    exe = Path(sys.executable).with_name("axolotl-edge")
    found = str(exe) if exe.exists() else shutil.which("axolotl-edge")
    if found and f"from {module} import {func}" in Path(found).read_text(errors="replace"):
        return [found]
    return [sys.executable, "-m", module]
