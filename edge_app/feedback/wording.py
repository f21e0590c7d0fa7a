"""The feedback's words without a model (issue #4): the template, and the checks a model's answer must pass.

The facts (numbers, comparisons) come from `insights` and the drills from `drill_choice`. `template` says
the facts' own sentences and the chosen drills: what the coach reads whenever the model's words are not
used. `validate` holds a model's answer (`SCHEMA`) to the session: strengths and points to work on only from
the session's `categories`, every number matches a fact, no drill we did not choose, the safety filter, and
the relevance check (every sentence about this player and one of the facts). The model itself, which writes
those answers, is in `llm`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from edge_app.feedback import safety
from edge_app.feedback.facts import KPI_PHRASE
from edge_app.feedback.relevance import irrelevant

MAX_SUMMARY = 400
MAX_ITEM = 200
MAX_ITEMS = 3

# A model's answer: `llm` holds the model to it with a grammar, `parse_output` checks it again.
SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1, "maxLength": MAX_SUMMARY},
        "strengths": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_ITEM},
            "maxItems": MAX_ITEMS,
        },
        "work_on": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_ITEM},
            "maxItems": MAX_ITEMS,
        },
    },
    "required": ["summary", "strengths", "work_on"],
    "additionalProperties": False,
}

GOOD_KINDS = ("strength", "trend_up")
WORK_KINDS = ("weakness", "pose", "trend_down", "load_warning")


def categories(facts: Sequence) -> tuple[list[str], list[str]]:
    """(strengths, points to work on) the model may pick for these facts: the KPI phrases of the facts'
    strengths and rising trends, and of their weaknesses, pose points, falling trends, load warnings and the
    team's focus. A category in both lists (a strength against the team, a falling trend) is left out of both."""
    good, work = [], []
    for f in facts:
        phrase = KPI_PHRASE.get(getattr(f, "kpi", ""))
        kind = getattr(f, "kind", "")
        if phrase is None:
            continue
        if kind in GOOD_KINDS and phrase not in good:
            good.append(phrase)
        elif (kind in WORK_KINDS or str(getattr(f, "id", "")).endswith(".focus")) and phrase not in work:
            work.append(phrase)
    both = set(good) & set(work)
    return [g for g in good if g not in both], [w for w in work if w not in both]


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\d])")
# A capitalised name in front of "drill"/"exercise"/"game": "the Cone Weave drill"
_NAMED_DRILL = re.compile(r"((?:[A-Z0-9][\w'-]*\s+){1,4})(?:drill|exercise|game)s?\b")


@dataclass
class Worded:
    """One entry's feedback as a writer returns it: the model's words, or the template's and why (here, not in
    `llm`, because the template-only writers return it too)."""

    text: str
    source: str  # "llm" | "template"
    fallback_reason: str | None = None
    tokens: int = 0
    first_token_s: float | None = None
    tokens_per_s: float | None = None
    total_s: float | None = None
    raw: str | None = None  # the model's output, kept for the record when it was rejected


def sentence(text: str) -> str:
    """`text` on one line, ending in a full stop unless it already ends a sentence."""
    text = " ".join(str(text).split())
    return text if not text or text[-1] in ".!?" else text + "."


def template(player: str, facts: Sequence, drills: Sequence = ()) -> str:
    """The facts' own sentences, then "Try: <drill names>." Used whenever the LLM is not."""
    parts = [sentence(f.text) for f in facts if getattr(f, "text", "")]
    if not parts:
        parts = [
            f"No new feedback for {player} from this session."
            if player != "team"
            else "No new team feedback from this session."
        ]
    line = try_line(drills)
    if line:
        parts.append(line)
    return " ".join(parts)


def try_line(drills: Sequence) -> str:
    """ "Try: <drill> (<why it was chosen>), ..." for the drills chosen, or "" without any."""
    if not drills:
        return ""
    groups: list[tuple[list[str], str]] = []  # drills chosen for the same reason are said together
    for d in drills:
        reason = getattr(d, "reason", "") or ""
        if groups and groups[-1][1] == reason:
            groups[-1][0].append(d.name)
        else:
            groups.append(([d.name], reason))
    return "Try: " + "; ".join(", ".join(names) + (f" ({reason})" if reason else "") for names, reason in groups) + "."


def allowed_numbers(facts: Sequence, drills: Sequence = ()) -> list[float]:
    """Numbers the model may write: the facts' numbers and any number in the facts' own
    sentences (thresholds such as "above 20 km/h"). Digits inside chosen drill names
    ("Rondo 4v2") are not counted: `invented_numbers` blanks those names out first."""
    nums: list[float] = []
    for f in facts:
        for v in (getattr(f, "numbers", None) or {}).values():
            if isinstance(v, (int, float)) and math.isfinite(v):
                nums += [float(v), abs(float(v))]
        nums += [float(x) for x in _NUMBER.findall(getattr(f, "text", "") or "")]
    return nums


def _number_ok(written: str, allowed: Iterable[float]) -> bool:
    decimals = len(written.split(".")[1]) if "." in written else 0
    w = float(written)
    tol = 0.5 * 10**-decimals + 1e-9
    return any(abs(v - w) <= tol for v in allowed)


_NUMBER_WORDS = {
    w: float(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
# "one" is left out: "one more run", "one of the best" are not counts.
_NUMBER_WORD = re.compile(r"\b(" + "|".join(w for w in _NUMBER_WORDS if w != "one") + r"|dozen)\b", re.IGNORECASE)


def invented_numbers(text: str, facts: Sequence, drills: Sequence = ()) -> list[str]:
    """Numbers in `text` (digits, or the words two..twenty) that no fact or chosen drill holds."""
    allowed = allowed_numbers(facts, drills)
    for d in drills:
        text = re.sub(re.escape(d.name), " ", text, flags=re.IGNORECASE)
    bad = [n for n in _NUMBER.findall(text) if not _number_ok(n, allowed)]
    for m in _NUMBER_WORD.finditer(text):
        word = m.group(1).lower()
        value = {"dozen": 12.0}.get(word, _NUMBER_WORDS.get(word))
        if not any(abs(v - value) < 1e-9 for v in allowed):
            bad.append(m.group(1))
    return bad


def unknown_drills(text: str, drills: Sequence, known_drills: Iterable[str] = ()) -> list[str]:
    """Drill names in `text` that were not chosen: any name from the library that is not
    among `drills`, and any capitalised "<Name> drill" that no chosen name covers."""
    chosen = [d.name.lower() for d in drills]
    low = text.lower()
    bad = [k for k in known_drills if k.lower() not in chosen and re.search(rf"\b{re.escape(k.lower())}\b", low)]
    for m in _NAMED_DRILL.finditer(text):
        words = [
            w for w in m.group(1).split() if w.lower() not in {"the", "a", "this", "that", "your", "our", "try", "do"}
        ]
        name = " ".join(words)
        if name and not any(name.lower() in c or c in name.lower() for c in chosen):
            bad.append(name)
    return bad


def parse_output(
    raw: str, strengths: Sequence[str] | None = None, work_on: Sequence[str] | None = None
) -> tuple[dict | None, str | None]:
    """(the JSON object, None) or (None, why it does not fit the schema). With `strengths` / `work_on`,
    the lists' items must be among those categories."""
    try:
        obj = json.loads(raw)
    except (ValueError, TypeError) as e:
        return None, f"invalid JSON ({e.__class__.__name__})"
    if not isinstance(obj, dict):
        return None, "schema: not an object"
    if set(obj) != {"summary", "strengths", "work_on"}:
        return None, f"schema: keys {sorted(obj)}"
    s = obj["summary"]
    if not isinstance(s, str) or not s.strip() or len(s) > MAX_SUMMARY:
        return None, "schema: summary missing, empty or too long"
    for key in ("strengths", "work_on"):
        items = obj[key]
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            return None, f"schema: {key} not a list of at most {MAX_ITEMS}"
        if any(not isinstance(i, str) or not i.strip() or len(i) > MAX_ITEM for i in items):
            return None, f"schema: {key} item empty, not a string or too long"
        allowed = strengths if key == "strengths" else work_on
        if allowed is not None and any(i not in allowed for i in items):
            return None, f"schema: {key} item not one of the session's categories"
        obj[key] = list(dict.fromkeys(items))
    return obj, None


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"?')


def preview_text(raw: str) -> str:
    """Readable words from a partial JSON answer while it streams (keys and punctuation dropped),
    for a display that shows the feedback arriving; the validated text replaces it at the end."""
    words = [m.group(1) for m in _QUOTED.finditer(raw) if m.group(1) not in ("summary", "strengths", "work_on")]
    return " ".join(w.replace('\\"', '"').strip() for w in words if w.strip())


def compose(obj: dict) -> str:
    parts = [sentence(obj["summary"])]
    if obj["strengths"]:
        parts.append("Strengths: " + "; ".join(" ".join(i.split()).rstrip(".") for i in obj["strengths"]) + ".")
    if obj["work_on"]:
        parts.append("Work on: " + "; ".join(" ".join(i.split()).rstrip(".") for i in obj["work_on"]) + ".")
    return " ".join(parts)


def _repeats(text: str) -> bool:
    sentences = [s.strip().lower() for s in re.split(r"[.!?;]\s*", text) if len(s.strip()) > 12]
    return len(sentences) != len(set(sentences))


def validate(
    raw: str,
    player: str,
    facts: Sequence,
    drills: Sequence = (),
    *,
    youth: bool,
    allowed_names: Iterable[str] | None = None,
    known_drills: Iterable[str] = (),
) -> tuple[str | None, str | None]:
    """(feedback text, None) when the model's output passes every check, else (None, reason)."""
    obj, why = parse_output(raw, *categories(facts))
    if obj is None:
        return None, why
    body = compose(obj)
    if _repeats(body):
        return None, "repetitive output"
    bad = invented_numbers(body, facts, drills)
    if bad:
        return None, f"invented number(s): {', '.join(bad[:5])}"
    bad = unknown_drills(body, drills, known_drills)
    if bad:
        return None, f"unknown drill(s): {', '.join(bad[:3])}"
    names = set(allowed_names) if allowed_names is not None else set()
    if player != "team":
        names.add(player)
    violations = safety.check(body, youth=youth, allowed_names=names)
    if violations:
        return None, "safety: " + "; ".join(str(v) for v in violations[:3])
    why = irrelevant(obj["summary"], player, facts, drills, others=names)
    if why:
        return None, f"not relevant: {why}"
    line = try_line(drills)
    if line:
        body += " " + line
    return body, None
