"""Safety filter for worded feedback (issue #4).

Everything the language model writes goes through `check` before a player or parent sees
it. The rules are data: one table of regexes per category, matched case-insensitively on
word boundaries. Categories:

- body: weight, body shape, diet, size. Always checked; youth profiles (U13-U17) also
  ban remarks about height, build and growth.
- harsh: shaming or insulting words. Always checked; youth profiles also ban milder
  put-downs ("poor", "weak", "sloppy") that an adult squad may take.
- medical: diagnoses, injury names, medication, rest prescriptions. Always checked. A
  referral such as "talk to your physio" or "check with your physio or coach" contains
  none of these and passes.
- personal_data: surnames (a capitalised word right after an allowed first name), emails,
  phone numbers, addresses, dates of birth, school names, ages. Always checked.

A false positive only costs the nicer wording (the caller falls back to the
deterministic template), so the lists lean towards catching too much.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Violation", "check", "is_safe", "CATEGORIES"]

CATEGORIES = ("body", "harsh", "medical", "personal_data")


@dataclass(frozen=True)
class Violation:
    category: str  # one of CATEGORIES
    phrase: str  # the text that matched, as written

    def __str__(self) -> str:
        return f"{self.category}: {self.phrase!r}"


# ---- word tables ---------------------------------------------------------------------------
# Each entry is a regex fragment; `_words` wraps the table in word boundaries.

_BODY = [
    # weight, except the football sense: "weight of the pass", "weighted pass", "weight the pass"
    r"weigh(?:s|ed|ing|t|ts)?(?!\s+(?:of\s+)?(?:(?:the|your|his|her|their|a)\s+)?pass|\s+on\s+(?:your|the|his|her|their)\s+(?:front|back|standing|plant)\s+foot)",
    r"over-?weight",
    r"under-?weight",
    r"heav(?:y|ier|iest)\s+(?:for|lad|girl|boy|kid|player|build|set)",
    r"fat(?:ter|test|ty|ness)?",
    r"body\s*fat",
    r"chubb(?:y|ier|iness)",
    r"plump",
    r"podgy",
    r"tubby",
    r"obes(?:e|ity)",
    r"skinn(?:y|ier|iest)",
    r"(?:too|so|very|really|looks?|looking)\s+thin",
    r"scrawny",
    r"bony",
    r"stocky",
    r"lanky",
    r"BMI",
    r"body\s+mass(?:\s+index)?",
    r"body[\s-]+(?:shape|type|image|size)",
    r"(?:out\s+of|in(?:to)?)\s+shape",
    r"get\s+in\s+shape",
    r"belly",
    r"bellies",
    r"tumm(?:y|ies)",
    r"gut",
    r"love\s+handles",
    r"six[\s-]?pack",
    r"abs",
    r"diet(?:s|ing|ary)?",
    r"calori(?:e|es|c)",
    r"lose\s+(?:some\s+|a\s+(?:bit|few|little)\s+(?:of\s+)?)?(?:weight|pounds|kilos|kg|lbs)",
    r"losing\s+weight",
    r"slim(?:mer|ming|s)?",
    r"kilos?",
    r"kg",
    r"lbs?",
    r"pounds",
    r"stone\s+(?:heavier|lighter)",
    r"eat(?:ing)?\s+(?:less|fewer)",
    r"cut\s+(?:out\s+)?(?:carbs|sugar|snacks|sweets)",
    r"junk\s+food",
]
_BODY_YOUTH = [
    r"height",
    r"tall(?:er|est)?",
    r"(?:too|so|very|quite)\s+(?:small|short|big|tiny)",
    r"short\s+for\s+(?:his|her|their)\s+age",
    r"(?:small|big|slight|heavy|strong)\s+build",
    r"physique",
    r"growth\s+spurt",
    r"puberty",
    r"muscl(?:es|y)",
    r"not\s+(?:grown|developed)",
    r"late\s+developer",
]

_HARSH = [
    r"lazy",
    r"laziness",
    r"useless",
    r"pathetic",
    r"worst",
    r"embarrass(?:ing|ed|ment)?",
    r"disgrac(?:e|eful)",
    r"stupid(?:ity)?",
    r"hopeless(?:ly)?",
    r"ashamed",
    r"shame(?:ful)?",
    r"idiot(?:ic|s)?",
    r"moron(?:ic)?",
    r"dumb",
    r"rubbish",
    r"terrible",
    r"awful",
    r"dreadful",
    r"clueless",
    r"incompetent",
    r"loser",
    r"failure",
    r"a\s+joke",
    r"waste\s+of\s+(?:space|time|a\s+shirt)",
    r"no\s+excuse",
    r"can'?t\s+even",
    r"cr(?:y|ying)\s+baby",
    r"crybaby",
    r"let\s+(?:the\s+team|everyone|us|your\s+team(?:mates)?)\s+down",
    r"not\s+good\s+enough",
    r"shut\s+up",
    r"(?:bloody|damn|crap|crappy|sucks?|suck(?:ed|ing))",
    r"garbage",
    r"disaster",
    r"pitiful",
    r"what\s+(?:were|was)\s+(?:you|he|she)\s+thinking",
]
_HARSH_YOUTH = [
    r"poor",
    r"bad(?:ly)?",
    r"weak(?:ness|est)?",
    r"(?:too|so|very|a\s+bit)\s+soft",
    r"sloppy",
    r"lack(?:ed|s|ing)?\s+(?:effort|heart|commitment|fight)",
    r"disappoint(?:ing|ed|ment)",
    r"failed",
    r"mediocre",
    r"slack(?:ing|er)?",
    r"no\s+effort",
]

_NUM_WORD = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|a\s+couple\s+of|several)"
_MEDICAL = [
    r"diagnos(?:e|is|ed|es|ing)",
    r"injur(?:y|ies|ed)",
    r"tendinitis",
    r"tendonitis",
    r"tendinopathy",
    r"sprain(?:s|ed)?",
    r"strain(?:s|ed)?",
    r"fractur(?:e|es|ed)",
    r"broken\s+(?:bone|leg|arm|ankle|wrist|toe|foot)",
    r"ACL",
    r"MCL",
    r"meniscus",
    r"concuss(?:ion|ed)",
    r"osgood[\s-]*schlatter(?:'?s)?",
    r"sever'?s(?:\s+disease)?",
    r"shin\s+splints",
    r"growing\s+pains",
    r"torn",
    r"(?:muscle|ligament|hamstring|cartilage)\s+(?:tear|damage)",
    r"pulled\s+(?:a\s+)?(?:muscle|hamstring|groin)",
    r"dislocat(?:e|ed|ion)",
    r"inflam(?:mation|ed|matory)",
    r"anti-?inflammator(?:y|ies)",
    r"swelling",
    r"swollen",
    r"bruised\s+bone",
    r"medication",
    r"medicine",
    r"ibuprofen",
    r"paracetamol",
    r"acetaminophen",
    r"aspirin",
    r"naproxen",
    r"painkillers?",
    r"pain\s+killers?",
    r"pills?",
    r"supplements?",
    r"creatine",
    r"steroids?",
    r"surgery",
    r"MRI",
    r"x-?rays?",
    r"asthma",
    r"inhaler",
    r"you(?:'ve|\s+have|\s+might\s+have|\s+may\s+have|\s+probably\s+have|\s+(?:could|must)\s+have)\s+(?:got\s+)?(?:a|an|some)?\s*\w*\s*(?:injury|condition|syndrome|disease|infection|tear|strain|sprain|fracture|tendinitis|tendonitis|concussion)",
    r"you\s+have\s+(?:a\s+|an\s+)?(?:bad|weak|dodgy|sore|injured|damaged)\s+\w+",
    r"(?:is|are|was|were|looks?|seems?|got)\s+(?:badly\s+|probably\s+)?(?:injured|hurt)",
    r"(?:sore|painful|aching|achy|stiff)\s+(?:knee|knees|ankle|ankles|hamstring|hamstrings|back|hip|hips|groin|calf|calves|heel|heels|shin|shins|foot|feet|muscle|muscles)",
    r"(?:knee|ankle|hamstring|back|hip|groin|calf|heel|shin|foot)\s+(?:pain|problem|issue|injury)",
    r"(?:rest|sit\s+out|stay\s+off|stop\s+(?:training|playing)|no\s+(?:training|football))\b[^.]{0,30}?\bfor\s+"
    + _NUM_WORD
    + r"\s+(?:days?|weeks?|months?)",
    r"ice\s+(?:it|the|your|that)",
    r"(?:ice|heat)\s+packs?",
    r"RICE",
    r"compression\s+(?:sock|bandage)s?",
    r"(?:will|should)\s+heal",
    r"recovery\s+time\s+(?:of|is)",
]

# Personal data: regexes with their own boundaries (case-sensitive where capitals matter).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_CANDIDATE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s()-]{6,}\d(?![\w.]\d)")
_PERSONAL_CI = [
    r"\b\d{1,2}[\s-]*(?:years?|yrs?)[\s-]*old\b",
    r"\baged?\s+\d{1,2}\b",
    r"\bborn\s+(?:on|in)\b",
    r"\bdate\s+of\s+birth\b",
    r"\bD\.?O\.?B\.?\b",
    r"\bbirthday\b",
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b",
    r"\blives?\s+(?:at|on|in)\b",
    r"\bhome\s+address\b",
    r"\baddress\b",
    r"\bpostcode\b",
    r"\bzip\s*code\b",
    r"\b(?:goes|go|going)\s+to\s+(?:\w+\s+){0,3}(?:school|academy|college)\b",
    r"\bphone\s+number\b",
    r"\bmobile\s+number\b",
    r"\be-?mail\b",
    r"\bsurname\b",
    r"\blast\s+name\b",
    r"\bfull\s+name\b",
]
_PERSONAL_CS = [
    # "12 Oak Road", "3 Mill Lane"
    r"\b\d+[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Crescent|Court|Place|Terrace|Gardens|Grove|Hill|Park)\b",
    # UK postcode
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
    # "St Mary's School", "Riverside Academy"
    r"\b(?:[A-Z][\w'’-]*\s+){1,4}(?:School|Academy|College|Primary|Grammar)\b",
    r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+",
]
# Capitalised words allowed right after a first name ("Sam I think...", titles).
_NOT_SURNAMES = {"I", "The", "A", "An", "And", "But", "Or", "So", "Well", "Great", "Nice", "Good", "Keep", "Try"}


def _words(table: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(table) + r")(?![\w'’-])", re.IGNORECASE)


_RULES_ALL = [("body", _words(_BODY)), ("harsh", _words(_HARSH)), ("medical", _words(_MEDICAL))]
_RULES_YOUTH = [("body", _words(_BODY_YOUTH)), ("harsh", _words(_HARSH_YOUTH))]
_PERSONAL = [re.compile(p, re.IGNORECASE) for p in _PERSONAL_CI] + [re.compile(p) for p in _PERSONAL_CS] + [_EMAIL]


def _normalise(text: str) -> str:
    # curly quotes and odd dashes from the model, so "can’t" matches "can't"
    return text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")


def check(text: str, *, youth: bool, allowed_names: set[str] | frozenset[str] = frozenset()) -> list[Violation]:
    """Every rule `text` breaks, in order of appearance (one Violation per match)."""
    text = _normalise(text or "")
    found: list[tuple[int, Violation]] = []
    rules = _RULES_ALL + (_RULES_YOUTH if youth else [])
    for category, pattern in rules:
        for m in pattern.finditer(text):
            found.append((m.start(), Violation(category, m.group(0))))
    for pattern in _PERSONAL:
        for m in pattern.finditer(text):
            found.append((m.start(), Violation("personal_data", m.group(0))))
    for m in _PHONE_CANDIDATE.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 9:
            found.append((m.start(), Violation("personal_data", m.group(0).strip())))
    for name in allowed_names:
        if not name:
            continue
        for m in re.finditer(rf"\b{re.escape(name)}\s+([A-Z][A-Za-z'-]+)", text):
            if m.group(1) not in _NOT_SURNAMES:
                found.append((m.start(), Violation("personal_data", m.group(0))))
    found.sort(key=lambda t: t[0])
    out: list[Violation] = []
    for _, v in found:
        if v not in out:
            out.append(v)
    return out


def is_safe(text: str, *, youth: bool, allowed_names: set[str] | frozenset[str] = frozenset()) -> bool:
    return not check(text, youth=youth, allowed_names=allowed_names)
