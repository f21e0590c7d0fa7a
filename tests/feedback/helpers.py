"""Shared helpers for the feedback tests: session summaries to derive facts from (insights, drill choice), facts
and a model's answer to word (wording, llm), and a stand-in for llama.cpp's model (named fake: the real SmolLM2
runs in the tests marked for it) that answers every prompt the same way, well or badly."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.bench_llm import Drill, Fact  # the benchmark's real-Fact helper and drill stand-in
from edge_app.feedback.llm import FeedbackWriter
from edge_app.metrics.profiles import get_profile
from edge_app.summary import DataQuality, Effort, PlayerSummary, PoseKPIs, SessionSummary

# ---- session summaries -----------------------------------------------------------------------------------


def player(label, *, top, dist, hsr, sprints, acc=8, dec=8, wr=95.0, tracked=3600.0, pose=None):
    return PlayerSummary(
        player=label,
        track_ids=[1],
        distance=dist,
        top_speed=top,
        zones=[],
        hsr_distance=hsr,
        sprint_count=sprints,
        sprints=[Effort(start_s=60.0 * i, duration_s=1.5, distance=9.0, peak=top) for i in range(sprints)],
        acceleration_count=acc,
        deceleration_count=dec,
        accelerations=[],
        decelerations=[],
        work_rate_per_min=wr,
        heatmap=[],
        pose=pose,
        quality=DataQuality(
            tracked_time_s=tracked,
            fraction_seen=0.95,
            gaps=0,
            gap_time_s=0.0,
            interpolated_time_s=0.0,
            outliers_dropped=0,
            ids_merged=0,
        ),
    )


def summary(players, *, units="m", profile="u15", sid="s-today"):
    s = SessionSummary(
        schema="axolotl.session-summary/1",
        session_id=sid,
        device_id="box-1",
        started_at="2026-05-01T10:00:00Z",
        ended_at="2026-05-01T11:00:00Z",
        status="done",
        source="test",
        calibration={"h": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]} if units == "m" else None,
        units=units,
        profile=get_profile(profile).info(),
        models={},
        duration_s=3600.0,
        players=players,
    )
    return s.to_json_dict()


def team(units="m", sam=None):
    # u15 profile: hsr from 16.4 km/h, sprint from 20.9 km/h
    sam = sam or dict(top=7.0, dist=7000.0, hsr=500.0, sprints=4, acc=10, dec=9, wr=100.0)
    return summary(
        [
            player("Sam", **sam),
            player("Alex", top=6.0, dist=5500.0, hsr=400.0, sprints=3, acc=8, dec=8, wr=95.0),
            player("Jo", top=6.2, dist=5800.0, hsr=420.0, sprints=2, acc=9, dec=7, wr=98.0),
            player(
                "player-3",
                top=5.9,
                dist=5600.0,
                hsr=380.0,
                sprints=3,
                acc=7,
                dec=8,
                wr=96.0,
                pose=PoseKPIs(samples=40, knee_flexion_deg=11.6, trunk_lean_sprint_deg=27.4, stride_cadence_spm=141.2),
            ),
            player("Lee", top=5.0, dist=5200.0, hsr=150.0, sprints=0, acc=6, dec=6, wr=90.0),
        ],
        units=units,
    )


def history():
    # Sam: three sessions of 4 km, top speeds 6.0 / 6.5 / 6.25 m/s, 6 sprints each
    return [
        summary(
            [
                player("Sam", top=t, dist=4000.0, hsr=500.0, sprints=6, acc=10, dec=9, wr=100.0),
                player("Alex", top=6.0, dist=5500.0, hsr=400.0, sprints=3),
            ],
            sid=f"s-{i}",
        )
        for i, t in enumerate((6.0, 6.5, 6.25))
    ]


def team_with_two_sprintless():
    """Jo and Lee both without sprints (median of 4, 3, 0, 3, 0 is 3): the team's focus is sprinting."""
    return summary(
        [
            player("Sam", top=7.0, dist=7000.0, hsr=500.0, sprints=4),
            player("Alex", top=6.0, dist=5500.0, hsr=400.0, sprints=3),
            player("Jo", top=6.2, dist=5800.0, hsr=420.0, sprints=0),
            player("player-3", top=5.9, dist=5600.0, hsr=380.0, sprints=3),
            player("Lee", top=5.0, dist=5200.0, hsr=150.0, sprints=0),
        ]
    )


def walkers(n=6, *, tracked=15.0, duration=15.0, top=1.6, profile="u13", pose=None):
    """People walking (the sample clip's kind of session): slow, no sprints, no high-speed running."""
    ps = [
        player(
            f"track-{i + 2}",
            top=top + 0.1 * i,
            dist=18.0 + i,
            hsr=0.0,
            sprints=0,
            acc=0,
            dec=0,
            wr=70.0 + i,
            tracked=tracked,
            pose=pose,
        )
        for i in range(n)
    ]
    s = summary(ps, profile=profile)
    s["duration_s"] = duration
    return s


# ---- facts to word, and a model's answer ----------------------------------------------------------------

FACTS = [
    Fact(
        "f1",
        "Sam",
        "trend_up",
        "endurance",
        {"distance_km": 5.23, "delta_km": 0.4},
        "Sam ran 5.2 km, 0.4 km more than last session.",
    ),
    Fact("f2", "Sam", "strength", "sprint", {"sprints": 7}, "Sam made 7 sprints above 20 km/h."),
    Fact("f3", "Sam", "weakness", "top_speed", {"top_speed_kmh": 24.1}, "Sam's top speed was 24.1 km/h."),
]
DRILLS = [Drill("rondo", "Rondo 4v2", 10), Drill("weave", "Cone weave", 8)]
TEMPLATE = (
    "Sam ran 5.2 km, 0.4 km more than last session. Sam made 7 sprints above 20 km/h. "
    "Sam's top speed was 24.1 km/h. Try: Rondo 4v2, Cone weave."
)


def out(summary, strengths=(), work_on=()):
    return json.dumps({"summary": summary, "strengths": list(strengths), "work_on": list(work_on)})


# ---- a stand-in model -------------------------------------------------------------------------------------

# what SmolLM2-135M wrote for the sample clip (issue 15): fluent, and about nothing in the session
NONSENSE = json.dumps(
    {
        "summary": ", The best way to solve this problem is by using a structured approach. It's "
        "important for the team of people that they can work together.",
        "strengths": [],
        "work_on": [],
    }
)


def first_fact_answer(messages: list[dict]) -> str:
    """A good answer: the prompt's first fact, copied as the summary (names the player and a fact)."""
    facts = [line[2:] for line in messages[-1]["content"].splitlines() if line.startswith("- ")]
    return json.dumps({"summary": facts[0], "strengths": [], "work_on": []})


class FakeLlama:
    """Answers `create_chat_completion` with `answer(messages)` (a function) or a fixed string, streamed."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = 0

    def create_chat_completion(self, messages, stream=True, **kw):
        self.calls += 1
        raw = self.answer(messages) if callable(self.answer) else self.answer
        for i in range(0, len(raw), 5):
            yield {"choices": [{"delta": {"content": raw[i : i + 5]}}]}


def fake_writer(model_file: Path, answer) -> FeedbackWriter:
    """A writer whose model file exists (the gate keys on it) and whose model is the FakeLlama."""
    if not model_file.exists():
        model_file.write_bytes(b"GGUF" + b"\0" * 64)
    writer = FeedbackWriter(model_file)
    writer._llm, writer._grammar, writer._tried = FakeLlama(answer), object(), True
    return writer
