"""The accuracy harness (issue #12): render each camera setup with known truth, run the product on it,
print recall, precision, identity and KPI errors.

    .venv/bin/python benchmarks/bench_accuracy.py [--setup NAME ...] [--seconds 10] [--fps 25] [--work DIR] [--paced]
    .venv/bin/python benchmarks/bench_accuracy.py --session-minutes 10 [--setup mast-session ...]  # 5 fps

For each setup (benchmarks/accuracy/setups.py): render the clip, its calibration and truth into
WORK/<setup>-<seconds>s-<fps>fps/ (kept: a second run re-uses it, --rerender draws it again), then
run `axolotl-edge analyze video.mp4 --calibration calibration.json --json` as a user would (a
subprocess with a fresh AXOLOTL_EDGE_HOME, so the defaults are the product's own, and the session
in WORK/.../session.db), then score its stored tracks and its summary (benchmarks/accuracy/score.py).
ms/frame is the analyze run's own wall time per frame (decode, detect, track, pose, store).
Extra arguments after `--` go to `analyze` (e.g. `-- --input-size 1920`).
`--resummarize`: no analyze; the session stored by an earlier run is stitched and summarised again
with today's code and scored (a change after the session: positions, identity, metrics).
`--paced`: `axolotl-edge bench video.mp4 --paced` instead (the clip played as a live camera, frames
dropped when the box is busy), scored over the frames it processed, with position_hz per true person.
`--session-minutes M`: the training-session setups (`*-session`: two kits, people leaving the view;
benchmarks/accuracy/session.py) for M minutes at 5 fps unless --fps is given; KPIs for the people in
view at least half the clip, against their whole-clip truth. Without --setup or --session-minutes
the match setups run (not the sessions).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import score  # noqa: E402
from benchmarks.accuracy.render import render  # noqa: E402
from benchmarks.accuracy.setups import SETUPS  # noqa: E402

WORK = ROOT / "benchmarks" / "out" / "accuracy"


def rendered(setup: str, seconds: float, fps: float, work: Path, again: bool = False) -> Path:
    out = work / f"{setup}-{seconds:g}s-{fps:g}fps"
    if again or not (out / "meta.json").exists():
        render(setup, out, seconds=seconds, fps=fps, progress=True)
    return out


def _run_cli(clip: Path, db_name: str, args: list[str]) -> tuple[subprocess.CompletedProcess, Path, float]:
    """The product's CLI on the clip as a user runs it: a fresh home and database (WORK/.../db_name)."""
    db = clip / db_name
    for p in clip.glob(db_name + "*"):
        p.unlink()
    home = clip / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "AXOLOTL_EDGE_HOME": str(home),
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    }
    cmd = [
        sys.executable,
        "-m",
        "cli",
        args[0],
        str(clip / "video.mp4"),
        "--calibration",
        str(clip / "calibration.json"),
        "--db",
        str(db),
        "--json",
        *args[1:],
    ]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"{args[0]} failed on {clip} (exit {run.returncode}): {run.stderr.strip()[-2000:]}")
    return run, db, wall


def analyze(clip: Path, extra: list[str]) -> tuple[dict, Path, float]:
    """`axolotl-edge analyze` on the clip (fresh home and database); returns (summary, db, wall s)."""
    run, db, wall = _run_cli(clip, "session.db", ["analyze", "-q", *extra])
    return json.loads(run.stdout), db, wall


def resummarize(clip: Path, roster: Path | None = None) -> tuple[dict, Path]:
    """The clip's stored session stitched and summarised again with today's code (the detections as
    stored): for a change after the session (positions, identity, metrics) without a new analyze.
    Without `roster` the session is summarised without one (a roster an earlier run stored is dropped)."""
    from edge_app.identity.roster import read_roster
    from edge_app.pitch import Calibration
    from edge_app.report import summarize_session
    from edge_app.store import SessionStore

    db = clip / "session.db"
    with SessionStore(db) as store:
        sid = store.list_sessions()[0]["id"]
        if roster is None:
            store.set_roster(sid, [])
        summary = summarize_session(
            store,
            sid,
            calibration=Calibration.load(clip / "calibration.json"),
            roster=read_roster(roster) if roster else None,
        )
    return summary, db


def clip_roster(clip: Path) -> Path:
    """The roster a coach would give for the clip: its players with their bib colours (the coach,
    the referee: not players), written beside it as roster.toml."""
    people = json.loads((clip / "meta.json").read_text())["people"]
    players = [p for p in people if p.get("role") in ("player", "goalkeeper")]
    teams = sorted({p["team"] for p in players if p.get("team")})
    lines = ["[teams]", *(f'{t} = "{t}"' for t in teams), ""]
    for p in players:
        lines += ["[[players]]", f'team = "{p["team"]}"' if p.get("team") else 'name = "{}"'.format(p["id"]), ""]
    path = clip / "roster.toml"
    path.write_text("\n".join(lines))
    return path


def bench_paced(clip: Path, extra: list[str]) -> dict:
    """`axolotl-edge bench video.mp4 --paced` on the clip (fresh home; the session kept in
    WORK/.../paced.db), scored over the frames it processed (`paced_scores`)."""
    run, db, _ = _run_cli(clip, "paced.db", ["bench", "--paced", *extra])
    report = json.loads(run.stdout)
    return {"setup": clip.name, "bench": report, "truth": paced_scores(clip, db, report["session_id"])}


def paced_table(results: list[dict]) -> str:
    head = [
        "setup",
        "played",
        "processed",
        "dropped",
        "recall",
        "prec",
        "IDF1",
        "Hz med (truth)",
        "Hz p10 (truth)",
        "Hz med (tracks)",
        "lag med s",
        "lag max s",
        "other load",
    ]
    rows = [head]
    for r in results:
        b, t = r["bench"], r["truth"]
        rows.append(
            [
                r["setup"],
                str(b["played_frames"]),
                str(b["frames"]),
                str(b["dropped"]),
                _f(t["recall"]),
                _f(t["precision"]),
                _f(t["IDF1"]),
                _f(t["position_hz"].get("median")),
                _f(t["position_hz"].get("p10")),
                _f(b["position_hz"]["median"]),
                _f(b["lag_s"]["median"]),
                _f(b["lag_s"]["max"]),
                _f(b["other_load"]),
            ]
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def evaluate(clip: Path, summary: dict, db: Path) -> dict:
    from edge_app.store import SessionStore

    meta = json.loads((clip / "meta.json").read_text())
    truth = score.load_truth(clip / "truth.csv")
    with SessionStore(db) as store:
        sid = summary["session_id"]
        pred = score.boxes_from_frames(store.frames(sid))
        stored = store.get_session(sid)
    m = score.match(truth, pred)
    session = meta["setup"]["source"] == "session"
    out = {
        "setup": meta["setup"]["name"],
        "frames": meta["frames"],
        "fps": meta["fps"],
        "source": meta["source"],
        "detection": score.detection_scores(truth, pred, m),
        "identity": score.identity_scores(truth, pred, m),
        # The same boxes under the summary's players: identity as the coach sees it.
        "identity_players": score.identity_scores(truth, score.as_players(pred, summary["players"]), m),
        "kpis": score.kpi_scores(
            truth,
            pred,
            m,
            summary,
            score.truth_positions(clip / "positions.csv"),
            frames=meta["frames"],
            pitch=tuple(meta["pitch"]),
            whole_share=0.5 if session else 1.0,
        ),
        "players_per_person": score.players_per_person(truth, summary),
    }
    stats = stored.get("stats") or {}
    out["ms_per_frame"] = 1000 * stats["wall_s"] / stats["frames"] if stats.get("frames") else float("nan")
    out["stage_ms"] = stats.get("stage_ms", {})
    return out


def paced_scores(clip: Path, db: Path, session_id: str, *, min_visible_s: float = 1.0) -> dict:
    """A live (paced) run stores only the frames it processed: recall and precision over those
    frames, and `position_hz` per true person: the processed frames where they were matched, per
    second of the clip they were in view (people >= 40 px, less than half hidden; those in view
    at least `min_visible_s`); median and 10th percentile over the people."""
    from edge_app.store import SessionStore

    meta = json.loads((clip / "meta.json").read_text())
    truth = score.load_truth(clip / "truth.csv")
    with SessionStore(db) as store:
        frames = list(store.frames(session_id))
    done = np.array(sorted({f.frame for f in frames}), int)
    pred = score.boxes_from_frames(frames)
    care = score.headline(truth)
    seen = np.isin(truth.frame, done)
    sub = score.Boxes(
        truth.frame[seen],
        truth.id[seen],
        truth.xyxy[seen],
        truth.height[seen],
        truth.visible[seen],
        truth.names,
        truth.xy[seen],
    )
    m = score.match(sub, pred)
    det = score.detection_scores(sub, pred, m)
    matched = np.zeros(len(sub), bool)
    matched[m.pairs[:, 0]] = True
    sub_care = score.headline(sub)
    rates = []
    for pid in range(len(truth.names)):
        visible_s = int((care & (truth.id == pid)).sum()) / meta["fps"]
        if visible_s >= min_visible_s:
            rates.append(int((matched & sub_care & (sub.id == pid)).sum()) / visible_s)
    hz = (
        {"median": float(np.median(rates)), "p10": float(np.percentile(rates, 10)), "people": len(rates)}
        if rates
        else {}
    )
    ident = score.identity_scores(sub, pred, m)
    return {
        "processed": int(len(done)),
        "frames": meta["frames"],
        "recall": det["recall"],
        "precision": det["precision"],
        "truth": det["truth"],
        "position_hz": hz,
        "IDF1": ident["IDF1"],
        "id_switches": ident["id_switches"],
    }


def _f(v, fmt="{:.2f}") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def table(results: list[dict]) -> str:
    bands = [score.band_name(lo, hi) for lo, hi in score.BANDS]
    head = (
        ["setup", "frames", "people", "recall", "prec"]
        + [f"R{b}" for b in bands]
        + [
            "HOTA",
            "IDF1",
            "IDsw",
            "pIDF1",
            "pIDsw",
            "pl/true",
            "whole",
            "matched",
            "dist%",
            "top m/s",
            "hsr m",
            "spr=",
            "phantom",
            "ms/frame",
        ]
    )
    rows = [head]
    for r in results:
        d, i, k = r["detection"], r["identity"], r["kpis"]
        ip = r.get("identity_players") or {"IDF1": None, "id_switches": "-"}
        rows.append(
            [r["setup"], str(r["frames"]), str(d["truth"]), _f(d["recall"]), _f(d["precision"])]
            + [_f(d["bands"][b]["recall"]) for b in bands]
            + [
                _f(i["HOTA"]),
                _f(i["IDF1"]),
                str(i["id_switches"]),
                _f(ip["IDF1"]),
                str(ip["id_switches"]),
                _f(r["players_per_person"]["ratio"]),
                str(k["people_whole_clip"]),
                str(k["matched"]),
                _f(k["distance_err_pct"], "{:.1f}"),
                _f(k["top_speed_err"]),
                _f(k["hsr_err_m"], "{:.1f}"),
                _f(k["sprints_equal"]),
                str(k["phantom_sprints"]),
                _f(r["ms_per_frame"], "{:.0f}"),
            ]
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", action="append", choices=sorted(SETUPS), help="repeatable; default: every setup")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=float, help="default 25; 5 with --session-minutes")
    ap.add_argument("--session-minutes", type=float, help="the *-session setups, this long (default fps 5)")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--rerender", action="store_true", help="draw the clips again even if WORK has them")
    ap.add_argument("--json", type=Path, help="also write every figure (per band, per player) to this file")
    ap.add_argument(
        "--resummarize",
        action="store_true",
        help="score the session already stored for each clip, stitched and summarised again with "
        "today's code (no new analyze)",
    )
    ap.add_argument(
        "--roster",
        help="'auto': the clip's players and bib colours as a roster (roster.toml beside it), or a roster file; "
        "given to analyze (or to the summary with --resummarize)",
    )
    ap.add_argument(
        "--paced",
        action="store_true",
        help="play each clip as a live camera (`bench --paced`): recall over the frames processed, "
        "position_hz per true person, lag",
    )
    args = ap.parse_args(argv)
    if args.session_minutes:
        args.seconds = 60 * args.session_minutes
        args.setup = args.setup or [n for n in SETUPS if SETUPS[n].source == "session"]
    args.fps = args.fps or (5.0 if args.session_minutes else 25.0)
    args.setup = args.setup or [n for n in SETUPS if SETUPS[n].source != "session"]
    results = []
    if args.paced:
        for name in args.setup:
            results.append(bench_paced(rendered(name, args.seconds, args.fps, args.work, args.rerender), extra))
        print(paced_table(results))
        print(
            "\nrecall, prec, IDF1: over the frames the box processed (people >= 40 px, < 50% hidden); Hz (truth): per "
            "person in view >= 1 s, frames they were found in per second in view; Hz (tracks): bench's own, per "
            "track id; lag: result out minus the frame's due time"
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=float) + "\n")
        return 0
    for name in args.setup:
        clip = rendered(name, args.seconds, args.fps, args.work, args.rerender)
        roster = None if not args.roster else clip_roster(clip) if args.roster == "auto" else Path(args.roster)
        if args.resummarize:
            (summary, db), wall = resummarize(clip, roster), float("nan")
        else:
            summary, db, wall = analyze(clip, [*extra, *(["--roster", str(roster)] if roster else [])])
        r = evaluate(clip, summary, db)
        r["analyze_wall_s"] = wall
        results.append(r)
        print(f"{name}: done ({r['frames']} frames, analyze {wall:.0f} s)", file=sys.stderr)
    print(table(results))
    bands = ", ".join(score.band_name(lo, hi) for lo, hi in score.BANDS)
    print(
        f"\npeople: truth boxes >= {score.MIN_HEIGHT:g} px and < 50% hidden (recall/precision/HOTA/IDF1 over these); "
        f"R<band>: recall by true height ({bands} px); HOTA/IDF1/IDsw: the tracker's ids; pIDF1/pIDsw: the "
        "summary's players (after identity); pl/true: the summary's players per true person seen; "
        "whole/matched: people in view the whole clip (sessions: half of it) / with a product player; dist%, top, hsr: median |error| over those; spr=: share whose sprint count equals the truth's"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
