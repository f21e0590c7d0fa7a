"""The quality gate: the model's words only when it passes the built-in sessions; cached per model file."""

import json
import os

import pytest

from edge_app.feedback import gate
from edge_app.feedback.gate import GatedWriter, cached_verdict, gate_entries, run_gate, wording_status
from tests.feedback.helpers import NONSENSE, fake_writer, first_fact_answer


def test_the_built_in_sessions_cover_strengths_work_and_a_load_warning():
    entries = gate_entries()
    assert len(entries) == gate.GATE_ENTRIES and entries[0][0] == "team"
    kinds = {f.kind for _, facts, _ in entries for f in facts}
    assert {"strength", "weakness", "load_warning", "team"} <= kinds
    assert any(drills for _, _, drills in entries)


def test_a_model_that_writes_about_the_facts_passes_and_is_used(tmp_path):
    writer = fake_writer(tmp_path / "big-model.gguf", first_fact_answer)
    gated = GatedWriter(writer, tmp_path)
    v = gated.verdict
    assert v.use_model and v.passed == v.total == gate.GATE_ENTRIES and gated.use_model
    assert gated.model_name == "big-model.gguf"
    assert "language model big-model.gguf" in gated.note() and "built-in" in gated.note()
    _, facts, drills = gate_entries()[1]
    assert gated.word(facts[0].player, facts, drills, youth=False).source == "llm"


def test_a_model_that_writes_nonsense_is_not_used_and_the_box_says_so(tmp_path):
    writer = fake_writer(tmp_path / "smol.gguf", NONSENSE)
    gated = GatedWriter(writer, tmp_path)
    assert not gated.use_model and gated.verdict.passed == 0
    assert gated.model_name is None  # the feedback records no model: its words are not the model's
    note = gated.note()
    assert note.startswith("Wording: built-in sentences.") and "smol.gguf" in note and "0 of 6" in note
    calls = writer._llm.calls
    _, facts, drills = gate_entries()[1]
    w = gated.word(facts[0].player, facts, drills, youth=False)
    assert w.source == "template" and "quality check" in w.fallback_reason
    assert writer._llm.calls == calls  # the model is not asked any more
    assert "built-in sentences" in wording_status(tmp_path / "smol.gguf", tmp_path)


def test_the_verdict_is_cached_per_model_file_and_redone_when_the_file_changes(tmp_path):
    model = tmp_path / "m.gguf"
    writer = fake_writer(model, NONSENSE)
    assert wording_status(model, tmp_path).endswith("checked the first time feedback is written.")
    first = run_gate(writer, tmp_path)
    calls = writer._llm.calls
    assert calls == gate.GATE_ENTRIES and not first.use_model
    assert json.loads((tmp_path / gate.CACHE_NAME).read_text())[first.identity]["passed"] == 0
    # a second box start: cached, the model is not run again
    again = fake_writer(model, first_fact_answer)
    assert run_gate(again, tmp_path) == first and again._llm.calls == 0
    # the club installs another file under the same name: checked again, and now it passes
    model.write_bytes(b"GGUF" + b"\1" * 128)
    os.utime(model, ns=(1, 1))
    third = fake_writer(model, first_fact_answer)
    v = run_gate(third, tmp_path)
    assert v.use_model and v.identity != first.identity and third._llm.calls == gate.GATE_ENTRIES
    assert cached_verdict(model, tmp_path) == v
    assert "language model m.gguf" in wording_status(model, tmp_path)


def test_a_missing_model_is_left_to_the_writer(tmp_path):
    from edge_app.feedback.llm import FeedbackWriter

    gated = GatedWriter(FeedbackWriter(tmp_path / "nope.gguf"), tmp_path)
    assert gated.verdict is None and not gated.use_model and "not found" in gated.note()
    assert not (tmp_path / gate.CACHE_NAME).exists()
    assert (
        wording_status(tmp_path / "nope.gguf", tmp_path)
        == "Feedback wording: built-in sentences (no language model installed)."
    )


@pytest.mark.parametrize("junk", ["{not json", "[1, 2]", json.dumps({"x": {"bad": 1}})])
def test_a_damaged_cache_is_measured_again(tmp_path, junk):
    model = tmp_path / "m.gguf"
    writer = fake_writer(model, NONSENSE)
    (tmp_path / gate.CACHE_NAME).write_text(junk.replace("x", gate.model_identity(model)))
    assert run_gate(writer, tmp_path).passed == 0 and writer._llm.calls == gate.GATE_ENTRIES


def test_a_verdict_of_older_checks_is_measured_again(tmp_path, monkeypatch):
    model = tmp_path / "m.gguf"
    first = run_gate(fake_writer(model, NONSENSE), tmp_path)
    monkeypatch.setattr(gate, "GATE_VERSION", gate.GATE_VERSION + 1)
    assert cached_verdict(model, tmp_path) is None
    again = fake_writer(model, first_fact_answer)
    assert run_gate(again, tmp_path).use_model and not first.use_model and again._llm.calls == gate.GATE_ENTRIES
    assert cached_verdict(model, tmp_path).use_model  # and kept for the new checks
