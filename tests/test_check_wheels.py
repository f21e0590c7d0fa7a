"""scripts/check_wheels.py's offline part: which pins each box gets, and what pip is asked.

The live check (pip download from PyPI) is a script, not part of the suite; these tests evaluate
pyproject.toml's real requirements with each box's environment markers.
"""

import importlib.util
import sys

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("check_wheels", ROOT / "scripts" / "check_wheels.py")
check_wheels = importlib.util.module_from_spec(spec)
sys.modules["check_wheels"] = check_wheels  # dataclasses look their module up by name
spec.loader.exec_module(check_wheels)


@pytest.fixture(scope="module")
def project():
    return check_wheels.project_requirements()


def pins(box, project) -> dict[str, str]:
    return {r.name.lower(): str(r.specifier) for r in check_wheels.requirements_for(box, *project)}


def test_the_jetson_gets_the_mediapipe_that_has_an_aarch64_wheel(project):
    # Measured (issue 14): 0.10.21 has no aarch64 wheel; 0.10.18 has one and ships the pose model.
    jetson = pins(check_wheels.BOXES["jetson"], project)
    assert jetson["mediapipe"] == "==0.10.18"
    for nuc in ("nuc-py311", "nuc-py312"):
        assert pins(check_wheels.BOXES[nuc], project)["mediapipe"] == "==0.10.21"


def test_every_box_gets_exactly_one_of_each_requirement(project):
    for box in check_wheels.BOXES.values():
        names = [r.name.lower() for r in check_wheels.requirements_for(box, *project)]
        assert len(names) == len(set(names)), (box.name, sorted(names))
        assert {"numpy", "onnxruntime", "mediapipe", "pyside6-essentials", "llama-cpp-python"} <= set(names)


def test_openvino_is_for_the_intel_box_only(project):
    nuc = pins(check_wheels.BOXES["nuc-py311"], project)
    assert nuc["openvino"].startswith("==2026.") and "nncf" in nuc
    assert "openvino" not in pins(check_wheels.BOXES["jetson"], project)


def test_pyside6_lower_bound_admits_the_first_aarch64_wheel(project):
    # PySide6-Essentials has aarch64 wheels from 6.8.0.2 (manylinux_2_31): the pin must allow it.
    spec = next(
        r.specifier
        for r in check_wheels.requirements_for(check_wheels.BOXES["jetson"], *project)
        if r.name.lower() == "pyside6-essentials"
    )
    assert "6.8.0.2" in spec


def test_pip_is_asked_for_wheels_of_the_box_s_platforms_and_python():
    box = check_wheels.BOXES["jetson"]
    cmd = check_wheels.download_command(box, Requirement("mediapipe==0.10.18; platform_machine == 'aarch64'"), "/tmp/x")
    assert cmd[-1] == "mediapipe==0.10.18"  # the marker was evaluated, pip gets the bare spec
    assert cmd[cmd.index("--python-version") + 1] == "3.10"
    assert {"--only-binary", ":all:", "--no-deps"} <= set(cmd)
    platforms = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"]
    # JetPack 6 is glibc 2.35: every tag down to manylinux2014, since pip does not widen a custom one.
    assert platforms[0] == "manylinux_2_35_aarch64" and "manylinux_2_31_aarch64" in platforms
    assert "manylinux_2_17_aarch64" in platforms and platforms[-1] == "manylinux2014_aarch64"
    assert "manylinux_2_36_aarch64" not in platforms


def test_llama_cpp_is_treated_as_source_only():
    assert "llama-cpp-python" in check_wheels.SDIST_ONLY
