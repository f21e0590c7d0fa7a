"""The relevance check on the model's prose: every sentence about this player (or the team) and one of the facts.

A small model writes fluent text that passes a number and safety check yet says nothing about the session
("The camera has been tracking the top-performing athletes for over a decade"). `irrelevant` reads the prose
sentence by sentence with general rules, no per-example patterns:

* well-formed: a sentence starts with a letter or digit, has at least `MIN_WORDS` words or numbers, and does
  not break off ("a work rate of .") or hold a stray capital letter ("the top speed of Y");
* about whom: the player's label or name, or a pronoun for them (he, she, they, you...); for the team, the
  team or a group word, or a player the team facts name;
* about what: a KPI term of the facts given (their KPI's vocabulary, or a KPI word their own sentences use),
  a chosen drill's name, or a number of the facts;
* nothing beside the facts: no KPI term of a KPI the facts do not cover, no off-topic subject (the camera,
  years, business, life...), no echo of the prompt's instructions ("leave empty", "work_on"), no calculation
  the facts do not make ("half", "twice"), no other player (in the team's feedback, a player only with what
  a fact says about them), no praise of a point the facts list to work on (or criticism of a strength).

The first broken rule is the reason the entry goes to the template.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

MIN_WORDS = 3

# what each KPI is called in plain words (regex fragments, matched on word boundaries, case-insensitive)
KPI_TERMS: dict[str, tuple[str, ...]] = {
    "sprint": (r"sprint(?:s|ing|ed|er|ers)?",),
    "top_speed": (r"top\s+speed", r"speed", r"fastest", r"km/h", r"quick(?:est)?", r"pace"),
    "hsr": (r"high[\s-]speed(?:\s+running)?", r"km/h", r"speed"),
    "acceleration": (r"accelerat(?:e|es|ed|ing|ion|ions)", r"burst(?:s)?", r"first\s+steps?"),
    "deceleration": (r"decelerat(?:e|es|ed|ing|ion|ions)", r"brak(?:e|es|ed|ing)", r"stop(?:s|ping)?"),
    "endurance": (
        r"distance",
        r"covered",
        r"cover(?:s|ing)?",
        r"km",
        r"kilomet(?:re|er)s?",
        r"met(?:re|er)s?",
        r"ran",
        r"running",
    ),
    "work_rate": (r"work(?:ed|ing)?\s+rate", r"per\s+minute", r"m/min", r"worked", r"work\s+ethic"),
    "agility": (r"agil(?:e|ity)", r"change(?:s)?\s+of\s+direction", r"turn(?:s|ing)?"),
    "technique": (r"techni(?:que|cal)", r"touch(?:es)?", r"pass(?:es|ing)?"),
    "knee_control": (r"knees?", r"landing(?:s)?", r"knee\s+bend"),
    "posture": (r"posture", r"lean(?:ed|ing|s)?", r"upright", r"trunk"),
    "cadence": (r"cadence", r"strides?", r"steps?", r"feet"),
    "recovery": (r"recover(?:y|ing)?", r"load", r"physio", r"rest"),
}
_KPI_RE = {k: re.compile(r"(?<![\w-])(?:" + "|".join(v) + r")(?![\w-])", re.IGNORECASE) for k, v in KPI_TERMS.items()}

PRONOUNS = (
    "he",
    "she",
    "they",
    "him",
    "her",
    "them",
    "his",
    "hers",
    "their",
    "theirs",
    "you",
    "your",
    "yours",
    "himself",
    "herself",
    "themselves",
    "yourself",
)
TEAM_WORDS = (
    "team",
    "teams",
    "squad",
    "group",
    "session",
    "everyone",
    "everybody",
    "players",
    "we",
    "our",
    "us",
    "they",
    "their",
    "them",
    "all",
    "side",
    "you",
    "your",
)
# subjects a coach's feedback on one session is never about
OFF_TOPIC = (
    r"camera(?:s)?",
    r"video",
    r"years?",
    r"decades?",
    r"centur(?:y|ies)",
    r"months?",
    r"weeks?",
    r"yesterday",
    r"tomorrow",
    r"life",
    r"world",
    r"business",
    r"compan(?:y|ies)",
    r"customers?",
    r"money",
    r"problems?",
    r"solutions?",
    r"approach",
    r"guidance",
    r"plans?",
    r"people",
    r"athletes?",
    r"history",
    r"school",
    r"famil(?:y|ies)",
    r"music",
    r"food",
    r"weather",
    r"computer",
    r"internet",
    r"science",
    r"research",
    r"study",
    r"studies",
    r"stud(?:ent|ents)",
    r"government",
    r"suffering",
    r"question",
    r"answer",
    r"facts?",
    r"data",
    r"ever",
)
INSTRUCTIONS = (
    r"leave\s+(?:it\s+)?empty",
    r"(?:pick|choose|chose)(?:ed|ing|s)?\s+from",
    r"work[_-]on",
    r"json",
    r"summary",
    r"strengths?:",
    r"nothing\s+\(",
)
CALCULATIONS = (
    r"half",
    r"halves",
    r"thirds?",
    r"quarters?",
    r"twice",
    r"double[ds]?",
    r"triple[ds]?",
    r"times",
    r"average[ds]?",
    r"percent(?:age)?",
    r"maximum",
    r"minimum",
)
_INSTRUCTIONS = re.compile(r"(?<![\w-])(?:" + "|".join(INSTRUCTIONS) + r")", re.IGNORECASE)
_CALCULATIONS = re.compile(r"(?<!\w)(?:" + "|".join(CALCULATIONS) + r")(?![\w-])", re.IGNORECASE)
# a number said with a unit must be a number the facts say with that unit ("6 m", never "six minutes")
UNITS = (
    ("m/min", r"m\s*/\s*min|m(?:et(?:re|er)s?)?\s+(?:per|a|each)\s+minute"),
    ("km/h", r"km\s*/\s*h|kmh|kph"),
    ("m/s", r"m\s*/\s*s|met(?:re|er)s?\s+(?:per|a)\s+second"),
    ("steps/min", r"steps?\s+(?:per|a)\s+minute"),
    ("km", r"km|kilomet(?:re|er)s?"),
    ("m", r"m|met(?:re|er)s?"),
    ("s", r"s|secs?|seconds?"),
    ("minutes", r"mins?|minutes?"),
    ("hours", r"h|hrs?|hours?"),
    ("%", r"%|per\s*cent"),
    ("degrees", r"degrees?|°"),
    ("years", r"years?|yrs?"),
    ("days", r"days?"),
    ("weeks", r"weeks?"),
)
_NUM_WORDS = {
    w: float(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_QUANTITY = re.compile(
    r"(?<![\w.-])(\d+(?:,\d{3})*(?:\.\d+)?|"
    + "|".join(_NUM_WORDS)
    + r")\s*("
    + "|".join(f"(?P<u{i}>{rx})" for i, (_, rx) in enumerate(UNITS))
    + r")(?![\w/])",
    re.IGNORECASE,
)
# the product's own labels for players without a name ("player-3", "track-12")
_LABEL = re.compile(r"(?<![\w-])(?:player|track)\s*-?\s*\d+(?![\w-])", re.IGNORECASE)
_OFF_TOPIC = re.compile(r"(?<![\w-])(?:" + "|".join(OFF_TOPIC) + r")(?![\w-])", re.IGNORECASE)
PRAISE = (
    r"great",
    r"excellent",
    r"impressive",
    r"fantastic",
    r"brilliant",
    r"outstanding",
    r"superb",
    r"amazing",
    r"strong(?:est)?",
    r"best",
    r"well\s+done",
    r"top[\s-]performing",
    r"perfect",
)
CRITICISM = (
    r"work\s+on",
    r"improve(?:d|ment)?",
    r"needs?",
    r"below",
    r"low(?:er)?",
    r"lack(?:ed|ing|s)?",
    r"slow(?:er)?",
    r"fewer",
    r"behind",
    r"down",
)
_PRAISE = re.compile(r"(?<![\w-])(?:" + "|".join(PRAISE) + r")(?![\w-])", re.IGNORECASE)
_CRITICISM = re.compile(r"(?<![\w-])(?:" + "|".join(CRITICISM) + r")(?![\w-])", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\d])")
# a sentence that breaks off ("a work rate of .") or holds a stray capital letter ("the top speed of Y")
_BROKEN = re.compile(
    r"\s[.!?,]|\b(?:of|a|an|the|to|and|with|at|in|for|by|than)\s*[.!?]$|(?<![\w'-])(?![AI]\b)[A-Z](?![\w'-])"
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")

GOOD_KINDS = ("strength", "trend_up")
WORK_KINDS = ("weakness", "pose", "trend_down", "load_warning")


def sentences(text: str) -> list[str]:
    """The prose split into sentences (a full stop inside a number such as 5.2 does not end one)."""
    parts = re.split(r"(?<=[.!?])\s+|(?<=[!?])(?=\S)", " ".join(text.split()))
    return [p.strip() for p in parts if p.strip() and re.search(r"\w", p)]


def _has(words: Iterable[str], sentence: str) -> bool:
    low = {w.lower() for w in _WORD.findall(sentence)}
    return any(w in low for w in words)


def _kpis_in(sentence: str) -> set[str]:
    return {k for k, rx in _KPI_RE.items() if rx.search(sentence)}


def _names_in(text: str, names: Iterable[str]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.IGNORECASE) for n in names if n)


def quantities(text: str) -> list[tuple[float, str, str]]:
    """(value, unit, as written) for each number written with a unit ("6 m", "six minutes", "24.1 km/h")."""
    out = []
    for m in _QUANTITY.finditer(text):
        n = m.group(1).lower()
        value = _NUM_WORDS[n] if n in _NUM_WORDS else float(n.replace(",", ""))
        unit = next(UNITS[i][0] for i in range(len(UNITS)) if m.group(f"u{i}") is not None)
        out.append((value, unit, m.group(0)))
    return out


def _tolerance(written: str) -> float:
    digits = re.match(r"[\d,.]*", written).group(0).replace(",", "").rstrip(".")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return 0.5 * 10**-decimals + 1e-9


def _said_as(value: float, unit: str, written: str, known: list[tuple[float, str, str]]) -> bool:
    """The same number (to the precision either writes it) with the same unit in the facts."""
    return any(u == unit and abs(v - value) <= max(_tolerance(written), _tolerance(w)) for v, u, w in known)


def _label(text: str) -> str:
    return re.sub(r"\s*-?\s*", "", text.lower()).replace("player", "player-").replace("track", "track-")


def irrelevant(
    text: str,
    player: str,
    facts: Sequence,
    drills: Sequence = (),
    *,
    names: Iterable[str] = (),
    others: Iterable[str] = (),
) -> str | None:
    """Why the prose `text` is not about `player` ("team" for the team) and the facts given; None when
    every sentence is. `names`: other names of this player; `others`: the session's other players' names
    (labels such as player-3 are recognised without being listed)."""
    facts = list(facts)
    fact_kpis = {getattr(f, "kpi", "") for f in facts}
    fact_text = " ".join(getattr(f, "text", "") or "" for f in facts)
    # a KPI the facts' own sentences name counts as given ("too short to judge sprints")
    given = (fact_kpis & set(KPI_TERMS)) | _kpis_in(fact_text)
    good = {f.kpi for f in facts if getattr(f, "kind", "") in GOOD_KINDS}
    work = {
        f.kpi for f in facts if getattr(f, "kind", "") in WORK_KINDS or str(getattr(f, "id", "")).endswith(".focus")
    }
    numbers = {float(v) for f in facts for v in (getattr(f, "numbers", None) or {}).values()}
    numbers |= {float(n) for n in _NUMBER.findall(fact_text)}
    drill_names = [d.name for d in drills]
    who = [player, *names] if player != "team" else []
    others = [n for n in others if n and n != player and n not in names]
    fact_about: dict[str, set[str]] = {}  # a player named in the facts -> the KPIs of the facts naming them
    for f in facts:
        for n in {n for n in others if _names_in(f.text, [n])} | {_label(m) for m in _LABEL.findall(f.text)}:
            fact_about.setdefault(n, set()).update({f.kpi} | _kpis_in(f.text))
    known = quantities(fact_text)
    said = sentences(text)
    if not said:
        return "no prose"
    for s in said:
        short = s if len(s) <= 60 else s[:57] + "..."
        # drill names are blanked before the sentence is read ("Y passing pattern", "Repeated sprint relay")
        bare = s
        for n in drill_names:
            bare = re.sub(re.escape(n), " ", bare, flags=re.IGNORECASE)
        if not re.match(r"[\"']?[A-Za-z0-9]", s) or _BROKEN.search(bare):
            return f"broken sentence: {short!r}"
        if len(s.split()) < MIN_WORDS:
            return f"sentence too short to say anything: {short!r}"
        m = _OFF_TOPIC.search(s)
        if m:
            return f"off-topic ({m.group(0).lower()}): {short!r}"
        m = _INSTRUCTIONS.search(s)
        if m:
            return f"echoes the instructions ({m.group(0).lower()}): {short!r}"
        for m in _CALCULATIONS.finditer(s):
            if not re.search(rf"(?<!\w){re.escape(m.group(0))}(?!\w)", fact_text, re.IGNORECASE):
                return f"a calculation no fact makes ({m.group(0).lower()}): {short!r}"
        wrong = [w for v, u, w in quantities(s) if not _said_as(v, u, w, known)]
        if wrong:
            return f"a number with a unit no fact gives it ({wrong[0]}): {short!r}"
        named = {n for n in others if _names_in(s, [n])} | {_label(m) for m in _LABEL.findall(s)}
        named -= {player.lower(), player}
        if player != "team" and named:
            return f"about another player ({', '.join(sorted(named))}): {short!r}"
        for n in named if player == "team" else ():
            if not fact_about.get(n, set()) & _kpis_in(s):
                return f"says about {n} what no fact says: {short!r}"
            # a number in a sentence naming a player comes from a fact about them or about the whole team
            theirs = [
                q
                for f in facts
                if _names_in(f.text, [n])
                or n in {_label(m) for m in _LABEL.findall(f.text)}
                or not (_LABEL.search(f.text) or any(_names_in(f.text, [o]) for o in others))
                for q in quantities(f.text)
            ]
            alien = [w for v, u, w in quantities(s) if not _said_as(v, u, w, theirs)]
            if alien:
                return f"gives {n} a number of another fact ({alien[0]}): {short!r}"
        if player == "team":
            about = _has(TEAM_WORDS, s) or bool(named)
        else:
            about = _names_in(s, who) or _has(PRONOUNS, s)
        if not about:
            return f"not about {'the team' if player == 'team' else player}: {short!r}"
        kpis = _kpis_in(bare)
        foreign = kpis - given
        if foreign:
            return f"about {', '.join(sorted(foreign))}, which no fact covers: {short!r}"
        nums = {float(n) for n in _NUMBER.findall(bare)} & numbers
        if not kpis and not nums and len(bare) == len(s):
            return f"names no fact: {short!r}"
        if kpis & (work - good) and _PRAISE.search(bare) and not _CRITICISM.search(bare):
            return f"praises a point to work on: {short!r}"
        if kpis and kpis <= good - work and _CRITICISM.search(bare) and not _PRAISE.search(bare):
            return f"criticises a strength: {short!r}"
    return None
