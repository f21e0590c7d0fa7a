"""Real SmolLM2 outputs for the feedback's labelled set (tests/feedback/data/labelled_outputs.jsonl).

Builds varied sessions with the product's own code (`feedback_sessions.session`: SkillCorner tracking from
kloppy's files through `report.positions_summary`; optionally the stored summary of the sample clip
`analyze samples/vtest-15s.avi --calibration samples/vtest-calibration.json`), derives the facts and drills
as `feedback` does, and has the configured model word every entry. Each output is written with the facts
given and what the validator said; the labels (fit / unfit for a coach, and why) are added by hand.

    nice python benchmarks/feedback_outputs.py --clip-summary clip.json --out /tmp/outputs.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from feedback_sessions import session  # noqa: E402

from edge_app.feedback.drill_choice import age_band, choose_drills_with_reasons  # noqa: E402
from edge_app.feedback.drills import DrillLibrary  # noqa: E402
from edge_app.feedback.insights import derive_insights  # noqa: E402
from edge_app.feedback.llm import FeedbackWriter  # noqa: E402
from edge_app.feedback.wording import parse_output  # noqa: E402

YOUTH = {"u13", "u15", "u17"}

# (name, start s, seconds, profile, people, slow, history windows (start, seconds))
SESSIONS = [
    ("adult-20min", 600, 1200, "adult", 8, 1.0, []),
    ("u13-20min", 1800, 1200, "u13", 8, 1.0, []),
    ("u15-15min-with-history", 2400, 900, "u15", 8, 1.0, [(0, 900), (900, 900)]),
    ("adult-walking-60min", 600, 1200, "adult", 8, 3.0, []),
    ("u13-3min-short", 1500, 180, "u13", 8, 1.0, []),
    ("u17-20min-10-players", 4000, 1200, "u17", 10, 1.0, []),
    ("adult-10min-second-half", 3600, 600, "adult", 8, 1.0, []),
    ("u15-20min-second-half-with-history", 5000, 1200, "u15", 8, 1.0, [(3700, 600), (4300, 600)]),
]


def entries(summary: dict, history: list[dict]):
    facts = derive_insights(summary, history)
    drills = choose_drills_with_reasons(facts, DrillLibrary(), age_band(summary["profile"]["name"]))
    for who in ["team", *[p["player"] for p in summary["players"]]]:
        mine = [f for f in facts if f.player == who]
        if mine:
            yield who, mine, drills.get(who, [])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip-summary", type=Path, help="the sample clip's summary (analyze --json output)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--only", nargs="*", help="these sessions of SESSIONS only")
    ap.add_argument("--no-clip", action="store_true")
    ap.add_argument("--tag", default="", help="kept in each record (which prompt and grammar made it)")
    args = ap.parse_args(argv)
    sessions = []
    if args.clip_summary and not args.no_clip:
        sessions.append(("vtest-15s-clip", json.loads(args.clip_summary.read_text()), []))
    for name, start, seconds, profile, people, slow, hist in SESSIONS:
        if args.only and name not in args.only:
            continue
        history = [
            session(s, n, profile=profile, people=people, started_at=f"2026-05-0{i + 1}T10:00:00Z")
            for i, (s, n) in enumerate(hist)
        ]
        sessions.append(
            (
                name,
                session(start, seconds, profile=profile, people=people, slow=slow, started_at="2026-05-09T10:00:00Z"),
                history,
            )
        )
    writer = FeedbackWriter(args.model)
    n = 0
    t0 = time.perf_counter()
    with open(args.out, "w") as out:
        for name, summary, history in sessions:
            profile = summary["profile"]["name"]
            for who, facts, drills in entries(summary, history):
                names = {p["player"] for p in summary["players"]} - {who}
                w = writer.word(who, facts, drills, youth=profile in YOUTH, allowed_names=names)
                obj, _ = parse_output(w.raw or "")
                rec = {
                    "tag": args.tag,
                    "session": name,
                    "profile": profile,
                    "player": who,
                    "facts": [
                        {"id": f.id, "kind": f.kind, "kpi": f.kpi, "text": f.text, "numbers": f.numbers} for f in facts
                    ],
                    "drills": [{"id": d.id, "name": d.name, "reason": d.reason} for d in drills],
                    "raw": w.raw,
                    "prose": obj["summary"] if obj else None,
                    "names": sorted(names),
                    "source": w.source,
                    "fallback_reason": w.fallback_reason,
                }
                out.write(json.dumps(rec) + "\n")
                out.flush()
                n += 1
                print(f"{n:3d} {name} {who}: {w.source} {w.fallback_reason or ''} | {rec['prose']}", flush=True)
    print(f"{n} outputs in {time.perf_counter() - t0:.0f} s")
    writer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
