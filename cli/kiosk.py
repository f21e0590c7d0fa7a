"""`kiosk`: the touchscreen app (ui/), started from the command line as systemd does."""

from __future__ import annotations

import re

from edge_app.errors import AxolotlError


def cmd_kiosk(args) -> int:
    if not re.fullmatch(r"[1-9]\d{1,4}x[1-9]\d{1,4}", args.size.strip().lower()):
        raise AxolotlError(f"--size {args.size!r} is not WIDTHxHEIGHT in pixels; give e.g. --size 1024x600")
    try:
        from ui.app import run
    except ImportError as exc:
        raise AxolotlError(f"the kiosk needs PySide6 ({exc}); reinstall with scripts/install.sh") from None
    return run(
        db_path=args.db,
        config_path=args.config,
        calibration=args.calibration,
        fullscreen=args.fullscreen,
        size=args.size,
    )


def add_kiosk(sub, common) -> None:
    ki = sub.add_parser(
        "kiosk",
        parents=[common],
        help="the touchscreen app (PySide6): live, players, calibration, summary, history, pairing, settings",
    )
    ki.add_argument(
        "--fullscreen", action="store_true", help="kiosk mode: fullscreen, no cursor (admin exit: Ctrl+Alt+Q)"
    )
    ki.add_argument("--size", default="1024x600", help="window size when not fullscreen (WIDTHxHEIGHT)")
    ki.add_argument("--calibration", help="pitch calibration JSON (default: calibration.json in the data folder)")
    ki.set_defaults(func=cmd_kiosk)
