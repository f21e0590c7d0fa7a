"""The metrics engine against the provider's own KPIs on real optical tracking (issue #12 §3).

    .venv/bin/python benchmarks/bench_kpis_provider.py [--per-player]

Needs kloppy==3.19.1 (the `test` extra): its wheel ships two minutes of Hawk-Eye tracking with the
provider's speed and distance per sample (tests/metrics/provider.py). The raw positions go straight to
`edge_app.metrics.session_kpis`, the path `axolotl-edge kpis` takes, at the provider's 50 Hz and
thinned to 25 Hz: BEFORE, the fixed 0.6 Hz Butterworth that was the default; AFTER, the default now
(cut-off per player by residual analysis); and the live screen's running figures (causal 1 Hz
`LiveKinematics` into `LiveStats`, unchanged). Against the provider's distance (the sum of its
per-sample distances) and top speed (its highest speed), per source and rate: the median and the
worst error over the players (the officials on a separate line); "both" pools the two minutes, as
the acceptance test does (tests/metrics/test_engine_provider.py).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_app.metrics import LiveKinematics, SmoothingConfig, compute_kinematics, session_kpis  # noqa: E402
from edge_app.metrics.live_stats import LiveStats  # noqa: E402
from tests.metrics.provider import PLAYER_ROLES, hawkeye_tracks, kloppy_files  # noqa: E402

SMOOTHINGS = {
    "before (0.6 Hz fixed)": SmoothingConfig(cutoff_hz=0.6),
    "after (residual analysis)": None,
    "live (causal 1 Hz)": "live",
}


def measure(tracks, step: int, smoothing) -> list[tuple[float, float, float | None]]:
    """Per track: (distance, top speed, cut-off) as the summary (`session_kpis`) or, for "live", as the
    live screen (`LiveKinematics` sample by sample into `LiveStats`) reads them."""
    if smoothing == "live":
        out = []
        for tr in tracks:
            kin, stats = LiveKinematics(rate=50 / step), LiveStats()
            for t, (x, y) in zip(tr.t[::step], tr.xy[::step]):
                if (s := kin.update(t, x, y)) is not None:
                    stats.update(0, s)
            out.append((stats.tracks[0].distance, stats.tracks[0].top_speed, 1.0))
        return out
    summaries = session_kpis({i: (tr.t[::step], tr.xy[::step]) for i, tr in enumerate(tracks)}, smoothing=smoothing)
    return [
        (s.distance, s.top_speed, compute_kinematics(tr.t[::step], tr.xy[::step], smoothing=smoothing).cutoff_hz)
        for s, tr in zip(summaries, tracks)
    ]


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
    print(
        "| source | rate | smoothing | group | n | distance: median / worst "
        "| top speed m/s: median / worst | cut-off Hz: median (range) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for source, (step, rate), (label, smoothing), (group, keep) in itertools.product(
        [*sorted({tr.source for tr in tracks}), "both"],
        ((1, 50), (2, 25)),
        SMOOTHINGS.items(),
        (("players", True), ("officials", False)),
    ):
        sel = [tr for tr in tracks if source in (tr.source, "both") and (tr.role in PLAYER_ROLES) == keep]
        got = measure(sel, step, smoothing)
        d = np.array([g[0] / tr.distance - 1 for g, tr in zip(got, sel)])
        v = np.array([g[1] - tr.top_speed for g, tr in zip(got, sel)])
        fc = np.array([g[2] for g in got])
        print(
            f"| {source} | {rate} Hz | {label} | {group} | {len(sel)} | {np.median(d):+.2%} / {worst(d):+.2%} "
            f"| {np.median(v):+.3f} / {worst(v):+.3f} | {np.median(fc):.2f} ({fc.min():.2f}-{fc.max():.2f}) |"
        )
        if args.per_player:
            for tr, g, di, vi in zip(sel, got, d, v):
                print(
                    f"    {tr.role:18s} {tr.person} provider {tr.distance:7.2f} m {tr.top_speed:5.2f} m/s | "
                    f"ours {g[0]:7.2f} m ({di:+.2%}) {g[1]:5.2f} m/s ({vi:+.3f}) at {g[2]:.2f} Hz"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
