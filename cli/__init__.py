"""`axolotl-edge`: the command line (ARCHITECTURE §7). Logs go to stderr, `--json` to stdout.

Every user-fixable problem is an `AxolotlError`, printed as one line without a traceback.
The commands live by group: `analysis` (analyze, kpis, detect, bench), `sessions` (sessions,
players, feedback), `border` (serve, pair, sync), `kiosk`, `box` (calibrate, models); their
plain-text output in `text`, the shared argument handling in `common`, the parser in `main`.
"""

from cli.main import build_parser, main

__all__ = ["build_parser", "main"]
