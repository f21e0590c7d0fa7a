"""The metrics engine against the provider's own KPIs on real optical tracking (issue #12 §3).

    .venv/bin/python benchmarks/bench_kpis_provider.py [--per-player]

Needs kloppy==3.19.1 (the `test` extra): its wheel ships two minutes of Hawk-Eye tracking with the
provider's speed and distance per sample (tests/metrics/provider.py). The raw positions go straight to
`edge_app.metrics.session_kpis`, the path `axolotl-edge kpis` takes, at the provider's 50 Hz and
thinned to 25 Hz, with two smoothings: BEFORE, the fixed 0.6 Hz Butterworth that was the default,
and AFTER, the default now (cut-off per player by residual analysis). Against the provider: distance
(sum of its per-sample distances) and top speed (its highest speed). Prints, per source and rate,
the median and the worst error over the players (the officials on a separate line); "both" pools
the two minutes, as the acceptance test does (tests/metrics/test_engine_provider.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_app.metrics import SmoothingConfig, compute_kinematics, session_kpis  # noqa: E402
from tests.metrics.provider import PLAYER_ROLES, hawkeye_tracks, kloppy_files  # noqa: E402

SMOOTHINGS = {"before (0.6 Hz fixed)": SmoothingConfig(cutoff_hz=0.6), "after (residual analysis)": None}


def errors(tracks, step: int, smoothing) -> tuple[np.ndarray, np.ndarray, list]:
    """Per track: relative distance error, top-speed error (m/s), and the summaries."""
    out = session_kpis({i: (tr.t[::step], tr.xy[::step]) for i, tr in enumerate(tracks)}, smoothing=smoothing)
    d = np.array([s.distance / tr.distance - 1 for s, tr in zip(out, tracks)])
    v = np.array([s.top_speed - tr.top_speed for s, tr in zip(out, tracks)])
    return d, v, out


def worst(x: np.ndarray) -> float:
    return float(x[np.argmax(np.abs(x))])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-player", action="store_true", help="one line per player and smoothing")
    args = ap.parse_args(argv)
    folder = kloppy_files()
    if folder is None:
        print("kloppy is not installed: pip install 'kloppy==3.19.1' (or the project's test extra)", file=sys.stderr)
        return 2
    tracks = hawkeye_tracks(folder)
    print("| source | rate | smoothing | group | n | distance: median / worst | top speed m/s: median / worst | cut-off Hz: median (range) |")
    print("|---|---|---|---|---|---|---|---|")
    for source in [*sorted({tr.source for tr in tracks}), "both"]:
        for step, rate in ((1, 50), (2, 25)):
            for label, smoothing in SMOOTHINGS.items():
                for group, keep in (("players", True), ("officials", False)):
                    sel = [tr for tr in tracks if source in (tr.source, "both") and (tr.role in PLAYER_ROLES) == keep]
                    d, v, out = errors(sel, step, smoothing)
                    fc = np.array(  # the cut-offs used
                        [compute_kinematics(tr.t[::step], tr.xy[::step], smoothing=smoothing).cutoff_hz for tr in sel])
                    print(f"| {source} | {rate} Hz | {label} | {group} | {len(sel)} | {np.median(d):+.2%} / {worst(d):+.2%} "
                          f"| {np.median(v):+.3f} / {worst(v):+.3f} | {np.median(fc):.2f} ({fc.min():.2f}-{fc.max():.2f}) |")
                    if args.per_player:
                        for tr, s, di, vi, f in zip(sel, out, d, v, fc):
                            print(f"    {tr.role:18s} {tr.person} provider {tr.distance:7.2f} m {tr.top_speed:5.2f} m/s | "
                                  f"ours {s.distance:7.2f} m ({di:+.2%}) {s.top_speed:5.2f} m/s ({vi:+.3f}) at {f:.2f} Hz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
