"""Sessions for the feedback's labelled set and the README: real provider tracking made into session summaries.

Positions come from SkillCorner's 10 Hz broadcast tracking of a whole match (Bayern-Dortmund 2019), one of
the provider files that kloppy 3.19.1 ships in `kloppy/tests/files/` (read from the installed wheel). A
window of the match becomes a session: the players seen in most of its frames, jumps no one can run
dropped (broadcast tracking re-anchors players that come back into view), then the product's own
`report.positions_summary` (the code behind `axolotl-edge kpis POSITIONS.csv --profile ...`) makes the
summary. `slow` stretches time (a factor of 3 turns match running into a walking-pace session).

    python benchmarks/feedback_sessions.py --start 600 --minutes 20 --csv out.csv   # for `kpis out.csv`
    python benchmarks/feedback_sessions.py --start 600 --minutes 20 --profile u13 --store sessions.db
        [--history 0:10 --history 900:10]   # stored (earlier windows first), for `feedback ID --db sessions.db`
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_app.report import positions_summary  # noqa: E402

NAMES = ("Sam", "Mia", "Alex", "Jo", "Lee", "Noor", "Kai", "Ava", "Ben", "Zoe", "Max", "Ivy")
MAX_STEP_MS = 10.0  # faster than anyone runs: a re-anchored broadcast track


@lru_cache(maxsize=1)
def _skillcorner() -> tuple[np.ndarray, dict[int, list[tuple[float, float, float]]]]:
    path = resources.files("kloppy") / "tests" / "files" / "skillcorner_structured_data.json"
    frames = json.loads(path.read_text())
    match = json.loads((resources.files("kloppy") / "tests" / "files" / "skillcorner_match_data.json").read_text())
    outfield = {p["trackable_object"] for p in match["players"] if p.get("player_role", {}).get("acronym") != "GK"}
    tracks: dict[int, list[tuple[float, float, float]]] = {}
    times = []
    for f in frames:
        if not f["data"] or not f.get("time"):
            continue
        t = f["frame"] / 10.0
        times.append(t)
        for d in f["data"]:
            if d.get("trackable_object") in outfield:
                tracks.setdefault(d["trackable_object"], []).append((t, d["x"], d["y"]))
    return np.array(times), tracks


def positions(
    start_s: float, seconds: float, *, people: int = 8, slow: float = 1.0, labels=NAMES, min_coverage: float = 0.6
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{label: (t, xy)} for the `people` players seen most in [start_s, start_s + seconds] of the match."""
    times, tracks = _skillcorner()
    n_frames = int(((times >= start_s) & (times < start_s + seconds)).sum())
    picked = []
    for pid, rows in tracks.items():
        a = np.array([r for r in rows if start_s <= r[0] < start_s + seconds])
        if len(a) < max(2, min_coverage * n_frames):
            continue
        keep = [0]
        for i in range(1, len(a)):  # drop re-anchoring jumps
            j = keep[-1]
            dt = a[i, 0] - a[j, 0]
            if dt > 0 and np.hypot(*(a[i, 1:] - a[j, 1:])) / dt < MAX_STEP_MS:
                keep.append(i)
        a = a[keep]
        picked.append((len(a), pid, a))
    picked.sort(key=lambda x: (-x[0], x[1]))
    out = {}
    for k, (_, _pid, a) in enumerate(picked[:people]):
        label = labels[k] if k < len(labels) else f"player-{k + 1}"
        out[label] = ((a[:, 0] - start_s) * slow, a[:, 1:].copy())
    return out


def session(
    start_s: float,
    seconds: float,
    *,
    profile: str,
    people: int = 8,
    slow: float = 1.0,
    labels=NAMES,
    started_at: str | None = None,
) -> dict:
    """A session summary (`positions_summary`) of a window of the match."""
    pos = positions(start_s, seconds, people=people, slow=slow, labels=labels)
    summary = positions_summary(
        pos, source=f"skillcorner:{start_s:.0f}+{seconds:.0f}s", device_id="box-feedback", profile=profile
    )
    if started_at:
        summary["started_at"] = summary["ended_at"] = started_at
    return summary


def store_session(db: Path, summary: dict) -> str:
    """Store a summary as a completed session (as `analyze` would), so `feedback ID --db db` finds it."""
    from edge_app.store import SessionStore

    with SessionStore(db) as store:
        sid = store.start_session(summary["source"])
        store.end_session(sid)
        summary = dict(
            summary, session_id=sid, device_id=store.device_id, started_at=store.get_session(sid)["started_at"]
        )
        store.save_summary(sid, summary)
    return sid


def write_csv(pos: dict, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["t", "player", "x", "y"])
        for label, (t, xy) in pos.items():
            for ti, (x, y) in zip(t, xy):
                w.writerow([f"{ti:.2f}", label, f"{x:.3f}", f"{y:.3f}"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=float, default=600.0, help="seconds into the match")
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--people", type=int, default=8)
    ap.add_argument("--slow", type=float, default=1.0)
    ap.add_argument("--csv", type=Path, help="write t,player,x,y here (for `axolotl-edge kpis`)")
    ap.add_argument("--store", type=Path, help="store the session (and its --history) in this database")
    ap.add_argument("--profile", default="adult")
    ap.add_argument("--history", action="append", default=[], help="START:MINUTES of an earlier session")
    args = ap.parse_args(argv)
    if args.csv:
        write_csv(positions(args.start, args.minutes * 60, people=args.people, slow=args.slow), args.csv)
    if args.store:
        for h in args.history:
            start, minutes = (float(v) for v in h.split(":"))
            store_session(args.store, session(start, minutes * 60, profile=args.profile, people=args.people))
        sid = store_session(
            args.store, session(args.start, args.minutes * 60, profile=args.profile, people=args.people, slow=args.slow)
        )
        print(sid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
