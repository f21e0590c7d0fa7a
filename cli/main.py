"""The parser (every command's, in `--help` order) and `main`: logging, SIGTERM, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from cli import analysis, border, box, kiosk, sessions
from edge_app import __version__
from edge_app.errors import AxolotlError


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="session database (default: $AXOLOTL_EDGE_HOME/axolotl.db)")
    common.add_argument("--config", help="TOML config file (default: $AXOLOTL_EDGE_HOME/config.toml if present)")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")

    p = argparse.ArgumentParser(prog="axolotl-edge", description="Pitch-side football analytics, on the box.")
    p.add_argument("--version", action="version", version=f"axolotl-edge {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The order of `--help`'s command list.
    for add in (
        analysis.add_analyze,
        analysis.add_kpis,
        sessions.add_players,
        sessions.add_feedback,
        border.add_serve,
        border.add_pair,
        border.add_sync,
        kiosk.add_kiosk,
        box.add_calibrate,
        analysis.add_detect,
        sessions.add_sessions,
        box.add_models,
        analysis.add_bench,
    ):
        add(sub, common)
    return p


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # OpenCV prints its own WARN/ERROR lines for failed opens; ours say what to do.
        # Read when OpenCV first logs, and the commands import cv2 lazily, so this is early enough.
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    signal.signal(signal.SIGTERM, _raise_interrupt)  # systemd's stop ends a session like Ctrl-C
    try:
        return args.func(args)
    except AxolotlError as exc:
        print(f"axolotl-edge: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("axolotl-edge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `... | head` closed our stdout: not an error
        sys.stdout = None
        return 0
