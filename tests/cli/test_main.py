"""The command line's face (cli.main): every command on the parser, the two ways to start it."""

import subprocess
import sys

from cli import build_parser
from edge_app import __version__
from tests.conftest import run_cli

COMMANDS = [
    "analyze",
    "kpis",
    "players",
    "feedback",
    "serve",
    "pair",
    "sync",
    "kiosk",
    "calibrate",
    "detect",
    "sessions",
    "models",
    "bench",
]


def test_every_command_is_on_the_parser_in_help_order():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == COMMANDS


def test_the_entry_point_and_python_m_give_the_same_answers():
    assert run_cli("--version").stdout.strip() == f"axolotl-edge {__version__}"
    mod = subprocess.run([sys.executable, "-m", "cli", "--version"], capture_output=True, text=True, timeout=60)
    assert mod.returncode == 0 and mod.stdout.strip() == f"axolotl-edge {__version__}"
    bad = run_cli("sessions", "show")  # a user mistake: one line, exit 2, no traceback
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "needs a session id" in bad.stderr
