"""The whole-session assignment on synthetic sessions (tests/identity/helpers.py): chains, seconds,
people found against true, pure clusters, purity and IDF1 (by time seen), without and with a roster;
the clustering (`assign`) alone, then with the refinement (`refine`: its own seconds).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_identity.py [--cases long short] [--seeds 0 1]

Cases: `long`, 24 people seen ~4 min at a time, away 20 s-10 min (~450 fragments, ~290 chains);
`short`, 30 people seen ~25 s at a time, away 20-60 s (~2000 chains).
"""

from __future__ import annotations

import argparse
import time

from edge_app.identity import assign, stitch
from edge_app.identity.session import refine_people
from tests.identity.helpers import score, session

CASES = {
    "long": {"people": 24, "spell_s": 240.0},
    "short": {"people": 30, "spell_s": 25.0, "away_s": (20.0, 60.0)},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--minutes", type=float, default=90)
    a = ap.parse_args()
    print(
        "| case | seed | fragments | chains | wrong chains | roster | step | seconds | found / true | pure | purity | IDF1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case in a.cases:
        for seed in a.seeds:
            s = session(minutes=a.minutes, seed=seed, **CASES[case])
            chains = stitch(s.frags, metres=True)
            wrong = sum(len({s.person[t] for t in c}) > 1 for c in chains)
            for roster in (None, s.roster()):
                t = time.perf_counter()
                groups = assign(s.frags, chains, metres=True, roster=roster)
                dt = time.perf_counter() - t
                t = time.perf_counter()
                refined = refine_people(s.frags, groups, chains, metres=True, owners={}, roster=roster)
                dt_refine = time.perf_counter() - t
                for step, g, sec in (("assign", groups, dt), ("+ refine", refined, dt_refine)):
                    m = score(g, s)
                    print(
                        f"| {case} | {seed} | {len(s.frags)} | {len(chains)} | {wrong} | {'yes' if roster else 'no'} "
                        f"| {step} | {sec:.1f} | {m['found']} / {m['true']} | {m['pure']} | {m['purity']:.3f} "
                        f"| {m['idf1']:.3f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
