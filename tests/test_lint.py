"""ruff, as configured in pyproject.toml: the tree is lint-clean and formatted."""

import subprocess
import sys

from tests.paths import ROOT


def _ruff(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_the_tree_passes_the_linter():
    run = _ruff("check", "--output-format", "concise", ".")
    assert run.returncode == 0, f"`ruff check --fix .` mends some of these:\n{run.stdout}{run.stderr}"


def test_the_tree_is_formatted():
    run = _ruff("format", "--check", ".")
    assert run.returncode == 0, f"run `ruff format .`:\n{run.stdout}{run.stderr}"


def test_the_linter_finds_an_unused_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    run = _ruff("check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert run.returncode == 1 and "F401" in run.stdout
