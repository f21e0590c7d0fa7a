"""Shared helpers for the feedback tests: a stand-in for llama.cpp's model (named fake: the real SmolLM2 runs
in the tests marked for it) that answers every prompt the same way, well or badly."""
from __future__ import annotations

import json
from pathlib import Path

from edge_app.feedback.llm import FeedbackWriter

# what SmolLM2-135M wrote for the sample clip (issue 15): fluent, and about nothing in the session
NONSENSE = json.dumps({"summary": ", The best way to solve this problem is by using a structured approach. It's "
                                  "important for the team of people that they can work together.",
                       "strengths": [], "work_on": []})


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
            yield {"choices": [{"delta": {"content": raw[i:i + 5]}}]}


def fake_writer(model_file: Path, answer) -> FeedbackWriter:
    """A writer whose model file exists (the gate keys on it) and whose model is the FakeLlama."""
    if not model_file.exists():
        model_file.write_bytes(b"GGUF" + b"\0" * 64)
    writer = FeedbackWriter(model_file)
    writer._llm, writer._grammar, writer._tried = FakeLlama(answer), object(), True
    return writer
