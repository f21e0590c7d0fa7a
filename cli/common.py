"""What every command needs from its arguments: the config, the database, a store, the output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edge_app.errors import AxolotlError


def emit(args, data, text: str) -> None:
    """`--json`: the data on stdout; otherwise the text."""
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def config(args, **detector_overrides):
    from edge_app.config import load_config

    return load_config(args.config, {"detector": detector_overrides})


def db_path(args) -> Path:
    from edge_app.config import default_db_path

    return Path(args.db) if args.db else default_db_path()


def open_store(args):
    from edge_app.store import SessionStore

    return SessionStore(db_path(args))


def calibration(path):
    if not path:
        return None
    from edge_app.pitch import Calibration

    return Calibration.load(path)


def profile(name):
    from edge_app.metrics.profiles import get_profile

    return get_profile(name)


def player_profiles(pairs) -> dict:
    out = {}
    for pair in pairs or []:
        name, sep, prof = pair.partition("=")
        if not sep or not name or not prof:
            raise AxolotlError(f"bad --player-profile '{pair}'; write PLAYER=PROFILE, e.g. Sam=u13")
        profile(prof)
        out[name] = prof
    return out


def write_charts(store, summary: dict, out: Path) -> None:
    from edge_app.charts import session_charts

    session_charts(store, summary, out)
    print(f"charts in {out}", file=sys.stderr)
