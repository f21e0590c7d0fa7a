#!/usr/bin/env python3
"""Does every pinned dependency install on the boxes we ship? Asks pip, as for the real box.

For each box (the Jetson: aarch64, JetPack 6's Python 3.10, glibc 2.35; the NUC: x86-64, Python
3.11 and 3.12, Ubuntu 22.04's glibc 2.35) it evaluates pyproject.toml's requirements (and the
extras that box installs) with that box's environment markers, then runs, per requirement,

    pip download --only-binary :all: --no-deps --platform <each manylinux tag the box accepts>
                 --python-version X.Y --dest <tmp> '<requirement>'

(pip does not widen a custom --platform to older manylinux tags itself, so every tag from the
box's glibc down to manylinux2014 is passed). A requirement pip cannot get as a wheel fails the
check, naming the box. Packages in SDIST_ONLY have no wheels anywhere and compile on the box; they
are reported, not downloaded. `--resolve` also resolves each box's whole set with its transitive
dependencies (`pip install --dry-run --report`, metadata only), which catches a wheel whose own
dependencies have none.

Needs PyPI (or a mirror pip is configured for); not part of the test suite (tests/test_check_wheels.py
checks the marker logic offline). Exit status 1 when anything fails.
    scripts/check_wheels.py [--box jetson|nuc-py311|nuc-py312] [--resolve] [-v]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# No wheels on PyPI for any platform: pip compiles them on the box (cmake and a C++ compiler).
SDIST_ONLY = {
    "llama-cpp-python": "no wheels on PyPI: pip compiles llama.cpp on the box (cmake, a C++ compiler; 2-10 min)"
}


@dataclass(frozen=True)
class Box:
    name: str
    machine: str  # platform_machine
    python: str  # X.Y
    glibc: tuple[int, int]
    extras: tuple[str, ...]  # the extras its install script adds

    def platforms(self) -> list[str]:
        """The manylinux tags this box's pip accepts, newest first (PEP 600, then the legacy alias)."""
        major, minor = self.glibc
        tags = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 16, -1)]
        return tags + [f"manylinux2014_{self.machine}"]

    def environment(self) -> dict[str, str]:
        """PEP 508 marker values on this box (what `packaging.markers` evaluates requirements with)."""
        env = default_environment()
        env.update(
            platform_machine=self.machine,
            python_version=self.python,
            python_full_version=f"{self.python}.0",
            sys_platform="linux",
            platform_system="Linux",
            os_name="posix",
            implementation_name="cpython",
            platform_python_implementation="CPython",
        )
        return env


BOXES = {
    # Jetson Orin, JetPack 6 (L4T r36, Ubuntu 22.04): the system Python 3.10, glibc 2.35.
    "jetson": Box("jetson", "aarch64", "3.10", (2, 35), ()),
    # Intel NUC, Ubuntu 22.04 (glibc 2.35) with Python 3.11 or 3.12; scripts/install.sh adds [intel] on x86-64.
    "nuc-py311": Box("nuc-py311", "x86_64", "3.11", (2, 35), ("intel",)),
    "nuc-py312": Box("nuc-py312", "x86_64", "3.12", (2, 35), ("intel",)),
}


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> tuple[list[str], dict[str, list[str]]]:
    project = tomllib.loads(pyproject.read_text())["project"]
    return project["dependencies"], project.get("optional-dependencies", {})


def requirements_for(box: Box, deps: list[str], extras: dict[str, list[str]]) -> list[Requirement]:
    """The requirements pip installs on `box`: the dependencies and its extras, markers evaluated."""
    env = box.environment()
    out = []
    for extra, reqs in [("", deps), *[(e, extras.get(e, [])) for e in box.extras]]:
        for text in reqs:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({**env, "extra": extra}):
                out.append(req)
    return out


def spec_of(req: Requirement) -> str:
    """The requirement as pip takes it, without its marker (already evaluated for the box)."""
    return f"{req.name}{'[' + ','.join(sorted(req.extras)) + ']' if req.extras else ''}{req.specifier}"


def download_command(box: Box, req: Requirement, dest: str) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary",
        ":all:",
        "--no-deps",
        "--python-version",
        box.python,
        "--dest",
        dest,
    ]
    for tag in box.platforms():
        cmd += ["--platform", tag]
    return [*cmd, spec_of(req)]


def resolve_command(box: Box, reqs: list[Requirement], target: str, report: str) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--dry-run",
        "--ignore-installed",
        "--only-binary",
        ":all:",
        "--python-version",
        box.python,
        "--target",
        target,
        "--report",
        report,
    ]
    for tag in box.platforms():
        cmd += ["--platform", tag]
    return [*cmd, *map(spec_of, reqs)]


def pip_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.startswith("ERROR")]
    return lines[0] if lines else (stderr.strip().splitlines() or ["pip failed"])[-1]


def check_box(box: Box, deps, extras, *, resolve: bool = False, verbose: bool = False) -> list[str]:
    """Check one box; prints a line per requirement and returns the failures."""
    failures = []
    reqs = requirements_for(box, deps, extras)
    wheels = [r for r in reqs if r.name.lower() not in SDIST_ONLY]
    print(
        f"== {box.name}: {box.machine}, Python {box.python}, glibc {box.glibc[0]}.{box.glibc[1]}, "
        f"extras {list(box.extras) or 'none'}: {len(reqs)} requirements"
    )
    with tempfile.TemporaryDirectory(prefix="check-wheels-") as tmp:
        for req in reqs:
            if req.name.lower() in SDIST_ONLY:
                print(f"  sdist  {spec_of(req):<40} {SDIST_ONLY[req.name.lower()]}")
                continue
            dest = Path(tmp) / req.name
            proc = subprocess.run(download_command(box, req, str(dest)), capture_output=True, text=True)
            if proc.returncode == 0:
                got = ", ".join(p.name for p in dest.glob("*.whl"))
                print(f"  ok     {spec_of(req):<40} {got if verbose else got.split('-')[1] if got else ''}")
            else:
                failures.append(f"{box.name}: {spec_of(req)}: {pip_error(proc.stderr)}")
                print(f"  FAIL   {spec_of(req):<40} {pip_error(proc.stderr)}")
        if resolve:
            report = Path(tmp) / "report.json"
            proc = subprocess.run(
                resolve_command(box, wheels, str(Path(tmp) / "target"), str(report)), capture_output=True, text=True
            )
            if proc.returncode == 0:
                n = len(json.loads(report.read_text())["install"])
                print(f"  ok     the whole set resolves with its dependencies: {n} wheels")
            else:
                failures.append(f"{box.name}: resolving the whole set: {pip_error(proc.stderr)}")
                print(f"  FAIL   resolving the whole set: {pip_error(proc.stderr)}")
    return failures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--box", choices=sorted(BOXES), action="append", help="check only this box (repeatable)")
    p.add_argument(
        "--resolve", action="store_true", help="also resolve each box's whole set with transitive dependencies"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print the wheel file names")
    args = p.parse_args(argv)
    deps, extras = project_requirements()
    failures = []
    for name in args.box or list(BOXES):
        failures += check_box(BOXES[name], deps, extras, resolve=args.resolve, verbose=args.verbose)
    print()
    if failures:
        print(f"{len(failures)} problem(s):\n  " + "\n  ".join(failures))
        return 1
    print("every pinned dependency installs as a wheel on every box (sdist-only ones compile there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
