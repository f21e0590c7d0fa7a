"""Positions from a CSV file (columns t,player,x,y; seconds and metres), for `axolotl-edge kpis`.

Rows may come in any order and at irregular rates (the engine resamples each player's track). Problems
raise a one-line AxolotlError naming the file, the line and the fix. Duplicate time stamps of one player
keep the first row and log a warning.
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.metrics.engine import session_kpis
from edge_app.summary import PlayerSummary

log = logging.getLogger(__name__)
COLUMNS = ("t", "player", "x", "y")


def read_positions_csv(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{player: (t (n,), xy (n, 2))}, each sorted by time with duplicate times dropped."""
    path = Path(path)
    if not path.is_file():
        raise AxolotlError(f"{path}: no such file; give the path of a CSV with columns {','.join(COLUMNS)}")
    rows: dict[str, list[tuple[float, float, float]]] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            if not header:
                raise AxolotlError(
                    f"{path}: the file is empty; expected a header line {','.join(COLUMNS)} and one row per sample"
                )
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise AxolotlError(
                    f"{path}: missing column(s) {', '.join(missing)}; the header must name {','.join(COLUMNS)} (found: {','.join(header)})"
                )
            reader.fieldnames = header
            for row in reader:
                line = reader.line_num
                player = (row.get("player") or "").strip()
                if not player:
                    raise AxolotlError(f"{path} line {line}: the player is empty; every row needs t,player,x,y")
                vals = []
                for c in ("t", "x", "y"):
                    raw = (row.get(c) or "").strip()
                    try:
                        v = float(raw)
                    except ValueError:
                        v = math.nan
                    if not math.isfinite(v):
                        raise AxolotlError(
                            f"{path} line {line}: {c}={raw!r} is not a finite number; t is in seconds, x and y in metres"
                        )
                    vals.append(v)
                rows.setdefault(player, []).append(tuple(vals))
    except UnicodeDecodeError:
        raise AxolotlError(f"{path}: not a UTF-8 text file; expected a CSV with columns {','.join(COLUMNS)}") from None
    except csv.Error as exc:
        raise AxolotlError(f"{path}: not a readable CSV ({exc}); expected columns {','.join(COLUMNS)}") from None
    if not rows:
        raise AxolotlError(f"{path}: the file holds a header but no rows; add one row per sample (t,player,x,y)")
    out = {}
    for player, r in rows.items():
        a = np.array(r, float)
        a = a[np.argsort(a[:, 0], kind="stable")]
        dup = np.r_[False, np.diff(a[:, 0]) <= 0]
        if dup.any():
            log.warning(
                "%s: player %s has %d duplicate time stamp(s); kept the first row of each", path, player, int(dup.sum())
            )
            a = a[~dup]
        out[player] = (a[:, 0], a[:, 1:3])
    return out


def kpis_from_csv(path: str | Path, profile="adult", rate: float | None = None, **kwargs) -> list[PlayerSummary]:
    """Run the engine on every player of a positions CSV (metres). Extra keyword arguments go to `session_kpis`."""
    return session_kpis(read_positions_csv(path), profile=profile, rate=rate, units="m", **kwargs)
