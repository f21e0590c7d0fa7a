"""The quality gate: whether the configured model's words are used at all, or the built-in sentences.

A small model can pass each entry's checks now and then and still write mostly unusable text; a coach should
not get a mix of both, and the box should say plainly which wording it uses. So the first time a model is used
(and again whenever its file changes: name, size and modification time; or the gate's checks: `GATE_VERSION`), it words the feedback for a small
built-in set of sessions (`GATE_SUMMARY`: a 60-minute adult session, six players, strengths, points to work
on and a load warning); when fewer than `PASS_SHARE` of the entries pass every check (`wording.validate`), the box
uses the built-in wording. The verdict is cached in the data folder (`feedback_gate.json`, one entry per model
file), so the gate runs once per model, not per session.

A missing or corrupt model is not this module's business: the writer reports it in one warning line and
words everything with the template, as before.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_app.feedback.drill_choice import age_band, choose_drills_with_reasons
from edge_app.feedback.drills import DrillLibrary
from edge_app.feedback.insights import derive_insights
from edge_app.feedback.llm import FeedbackWriter
from edge_app.feedback.wording import Worded, template
from edge_app.timeutil import utc_now_iso

log = logging.getLogger(__name__)

CACHE_NAME = "feedback_gate.json"
PASS_SHARE = 0.67  # of the built-in entries that must pass (4 of 6)
GATE_ENTRIES = 6
GATE_VERSION = 1  # raise when the checks or the built-in sessions change: cached verdicts are then measured again


def _player(label: str, top: float, dist: float, hsr: float, sprints: int, acc: int, dec: int, wr: float) -> dict:
    return {
        "player": label,
        "track_ids": [1],
        "distance": dist,
        "top_speed": top,
        "zones": [],
        "hsr_distance": hsr,
        "sprint_count": sprints,
        "sprints": [],
        "acceleration_count": acc,
        "deceleration_count": dec,
        "accelerations": [],
        "decelerations": [],
        "work_rate_per_min": wr,
        "heatmap": [],
        "pose": None,
        "quality": {
            "tracked_time_s": 3600.0,
            "fraction_seen": 0.95,
            "gaps": 0,
            "gap_time_s": 0.0,
            "interpolated_time_s": 0.0,
            "outliers_dropped": 0,
            "ids_merged": 0,
        },
    }


def _summary(players: list[dict], day: int) -> dict:
    thresholds = {"hsr_lower_ms": 5.5, "sprint_entry_ms": 7.0, "sprint_min_duration_s": 1.0, "run_lower_ms": 4.0}
    return {
        "session_id": f"gate-{day}",
        "started_at": f"2026-01-0{day}T10:00:00Z",
        "units": "m",
        "duration_s": 3600.0,
        "profile": {"name": "adult", "mode": "absolute", "thresholds": thresholds},
        "players": players,
    }


GATE_HISTORY = [_summary([_player("Sam", 7.6, 5000.0, 520.0, 6, 10, 9, 98.0)], d) for d in (1, 2)]
GATE_SUMMARY = _summary(
    [
        _player("Sam", 8.2, 8200.0, 610.0, 7, 12, 10, 112.0),  # fastest, and well above their recent distance
        _player("Alex", 7.3, 6100.0, 420.0, 4, 9, 9, 101.0),
        _player("Jo", 7.4, 6300.0, 450.0, 4, 15, 9, 103.0),  # many accelerations
        _player("Lee", 6.4, 5400.0, 190.0, 1, 6, 8, 86.0),  # slower, fewer sprints, lower work rate
        _player("Mia", 7.5, 6000.0, 440.0, 5, 9, 4, 100.0),  # few decelerations
        _player("Kai", 7.7, 6400.0, 600.0, 4, 5, 9, 104.0),  # much high-speed running, few accelerations
    ],
    3,
)


def gate_entries() -> list[tuple[str, list, list]]:
    """The built-in entries the gate words: (who, facts, drills), the team first."""
    facts = derive_insights(GATE_SUMMARY, GATE_HISTORY)
    drills = choose_drills_with_reasons(facts, DrillLibrary(), age_band("adult"))
    whos = ["team", *[p["player"] for p in GATE_SUMMARY["players"]]]
    out = [(w, [f for f in facts if f.player == w], drills.get(w, [])) for w in whos]
    return [e for e in out if e[1]][:GATE_ENTRIES]


@dataclass
class Verdict:
    model: str
    identity: str
    use_model: bool
    passed: int
    total: int
    checked_at: str
    reasons: list[str]
    version: int = GATE_VERSION

    def note(self) -> str:
        """One plain line for the coach: which wording the feedback uses, and why."""
        if self.use_model:
            return (
                f"Wording: the language model {self.model} (it passed {self.passed} of {self.total} test "
                f"sessions); any entry it gets wrong gets the built-in sentences instead."
            )
        return (
            f"Wording: built-in sentences. The language model {self.model} passed only {self.passed} of "
            f"{self.total} test sessions, so its words are not used."
        )


def model_identity(path: Path) -> str:
    """Name, size and modification time: changes whenever the model file is replaced."""
    st = os.stat(path)
    return f"{Path(path).name}:{st.st_size}:{st.st_mtime_ns}"


def _cache_path(home: Path | None) -> Path:
    from edge_app.home import data_dir  # the data folder, read at call time (tests move it)

    return Path(home or data_dir()) / CACHE_NAME


def _read_cache(home: Path | None) -> dict:
    try:
        data = json.loads(_cache_path(home).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def cached_verdict(model_path: Path | None, home: Path | None = None) -> Verdict | None:
    """The stored verdict for this model file, or None (not checked yet, or no such file)."""
    if model_path is None or not Path(model_path).is_file():
        return None
    entry = _read_cache(home).get(model_identity(Path(model_path)))
    try:
        verdict = Verdict(**entry) if entry else None
    except TypeError:
        return None
    return verdict if verdict is not None and verdict.version == GATE_VERSION else None


def run_gate(writer: FeedbackWriter, home: Path | None = None) -> Verdict | None:
    """The verdict for the writer's model: cached, or measured now on the built-in sessions and stored.
    None when the model cannot be loaded (the writer has already said why)."""
    if not writer.load():
        return None
    cached = cached_verdict(writer.model_path, home)
    if cached is not None:
        return cached
    entries = gate_entries()
    names = {p["player"] for p in GATE_SUMMARY["players"]}
    results = [writer.word(who, facts, drills, youth=False, allowed_names=names) for who, facts, drills in entries]
    passed = sum(r.source == "llm" for r in results)
    verdict = Verdict(
        model=writer.model_name or "?",
        identity=model_identity(writer.model_path),
        use_model=passed >= PASS_SHARE * len(entries),
        passed=passed,
        total=len(entries),
        checked_at=utc_now_iso("seconds"),
        reasons=[r.fallback_reason for r in results if r.fallback_reason][:GATE_ENTRIES],
        version=GATE_VERSION,
    )
    store_verdict(verdict, home)
    log.info("feedback quality gate for %s: %d of %d passed", verdict.model, passed, len(entries))
    return verdict


def store_verdict(verdict: Verdict, home: Path | None = None) -> None:
    """Keep the verdict in the data folder's cache, next to those of other model files."""
    path = _cache_path(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _read_cache(home)
        data[verdict.identity] = asdict(verdict)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(path)
    except OSError as e:  # a read-only data folder: the gate runs again next time
        log.warning("could not store the feedback quality check in %s: %s", path, e)


class GatedWriter:
    """The writer, or the built-in sentences for every entry when the model did not pass the gate."""

    def __init__(self, writer: FeedbackWriter, home: Path | None = None):
        self.writer = writer
        self.verdict = run_gate(writer, home)
        # the model whose words the feedback carries: none when the built-in sentences are used
        self.model_name = writer.model_name if self.use_model else None
        self.unavailable_reason = writer.unavailable_reason

    @property
    def use_model(self) -> bool:
        return self.verdict is not None and self.verdict.use_model

    def note(self) -> str:
        if self.verdict is not None:
            return self.verdict.note()
        return f"Wording: built-in sentences (no usable language model: {self.unavailable_reason})."

    def word(self, player: str, facts, drills=(), *, youth: bool, allowed_names=None, on_token=None) -> Worded:
        if self.use_model:
            return self.writer.word(player, facts, drills, youth=youth, allowed_names=allowed_names, on_token=on_token)
        why = (
            "model did not pass the quality check"
            if self.verdict is not None
            else f"model unavailable: {self.unavailable_reason}"
        )
        return Worded(template(player, list(facts), list(drills)), "template", why)


def wording_line(feedback: dict) -> str | None:
    """The one line above the entries (the CLI's `feedback`, the kiosk's Summary): which wording is used."""
    if feedback.get("regenerated_after_edit"):  # a merge or split re-worded it, whatever the gate said
        return (
            "Wording: built-in sentences, re-worded after players were merged or split; "
            "write feedback again for the model's words."
        )
    note = (feedback.get("wording") or {}).get("note")
    if note or feedback.get("model"):
        return note  # None: feedback stored before the gate, in the model's words
    return "Wording: built-in sentences (no language model on this box)."


def wording_status(model_path: str | Path | None, home: Path | None = None) -> str:
    """For the kiosk's Settings: the wording the box uses, from the cached verdict (the model is not run)."""
    from edge_app.feedback.llm import default_model_path

    path = Path(model_path) if model_path else default_model_path()
    if path is None or not path.is_file():
        return "Feedback wording: built-in sentences (no language model installed)."
    verdict = cached_verdict(path, home)
    if verdict is None:
        return f"Feedback wording: {path.name} is checked the first time feedback is written."
    return "Feedback " + verdict.note()[0].lower() + verdict.note()[1:]
