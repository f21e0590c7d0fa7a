"""A fact for the coach and how its numbers are said: the `Fact` type, the thresholds the insights judge
by, and the rounding and units that keep a fact's text and its numbers the same (insights.py derives
the facts; drill_choice and wording read them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge_app.feedback.drills import KPIS

KMH = 3.6  # m/s -> km/h
KINDS = ("strength", "weakness", "trend_up", "trend_down", "load_warning", "pose", "team", "context")
TEAM = "team"
MIN_TEAM = 3  # players needed for a team median
MIN_TRACKED_FRACTION = 0.5  # players tracked for less than this share of the longest-tracked player are not compared
RECENT_SESSIONS = 4  # previous sessions averaged for trends and load
TREND_CHANGE = 0.10
MIN_TREND_COUNT = 2.0  # a count's trend needs at least this average before
LOAD_RATIO = 1.5
LOAD_MIN_SESSIONS = 2
MIN_POSE_SAMPLES = 10
KNEE_FLEXION_LOW_DEG = 15.0  # median knee bend below this: "fairly straight knees"
TRUNK_LEAN_HIGH_DEG = 20.0  # median trunk lean while sprinting above this
CADENCE_LOW_SPM = 150.0  # stride cadence below this
PHYSIO = "worth a chat with your physio before the next hard session"
MIN_SESSION_S = 300.0  # below this (session length or the longest tracked time) there is too little to judge efforts
EFFORT_KPIS = ("sprint", "top_speed", "hsr", "acceleration", "deceleration")  # need a session with room for effort
DEFAULT_HSR_MS = 4.1389  # the u13 profile's high-speed threshold, the lowest: used when a profile has none
DEFAULT_RUN_MS = 3.0


@dataclass
class Fact:
    id: str
    player: str  # the player's label, or "team"
    kind: str  # one of KINDS
    kpi: str  # one of drills.KPIS
    numbers: dict[str, float]
    unit_text: dict[str, str]
    text: str
    priority: float

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "player": self.player,
            "kind": self.kind,
            "kpi": self.kpi,
            "numbers": dict(self.numbers),
            "unit_text": dict(self.unit_text),
            "text": self.text,
            "priority": self.priority,
        }


def format_number(value: float) -> str:
    """How a number is written in a fact's text: whole numbers without a decimal point, others as rounded."""
    v = float(value)
    if v.is_integer():
        return str(int(v))
    return format(v, ".10g")


def fact_slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "player"


def _fact(
    fid: str,
    player: str,
    kind: str,
    kpi: str,
    template: str,
    numbers: dict[str, float],
    units: dict[str, str],
    priority: float,
    **names: str,
) -> Fact:
    assert kind in KINDS and kpi in KPIS, (kind, kpi)
    assert not re.search(r"\d", re.sub(r"\{[^}]*\}", "", template)), template  # every number comes from `numbers`
    nums = {k: float(v) for k, v in numbers.items()}
    text = template.format(**names, **{k: format_number(v) for k, v in nums.items()})
    return Fact(fid, player, kind, kpi, nums, {k: units[k] for k in nums if k in units}, text, round(priority, 3))


def _r(value: float, digits: int = 0) -> float:
    return float(round(value, digits)) if digits else float(round(value))


def _plural(n: float, one: str, many: str) -> str:
    return one if n == 1 else many


# -- metrics ---------------------------------------------------------------------------------------------

# key: (kpi, strength ratio, weakness ratio, is a count)
TEAM_RULES = {
    "top_speed": ("top_speed", 1.08, 0.92, False),
    "sprint_count": ("sprint", 1.5, 0.5, True),
    "hsr_distance": ("hsr", 1.3, 0.7, False),
    "acceleration_count": ("acceleration", 1.4, 0.6, True),
    "deceleration_count": ("deceleration", 1.4, 0.6, True),
    "work_rate_per_min": ("work_rate", 1.1, 0.9, False),
}
TREND_KEYS = {
    "distance": "endurance",
    "top_speed": "top_speed",
    "hsr_distance": "hsr",
    "sprint_count": "sprint",
    "work_rate_per_min": "work_rate",
}
KPI_PHRASE = {
    "sprint": "sprinting",
    "top_speed": "top speed",
    "acceleration": "accelerations",
    "deceleration": "decelerations",
    "hsr": "high-speed running",
    "endurance": "endurance",
    "work_rate": "work rate",
    "agility": "agility",
    "technique": "technique",
    "knee_control": "knee control",
    "posture": "running posture",
    "cadence": "stride cadence",
    "recovery": "recovery",
}


def _distance(metres: float, unit: str | None = None) -> tuple[float, str]:
    """A distance as said: whole metres below 1 km, else km to one decimal (or in the `unit` given)."""
    unit = unit or ("m" if round(metres) < 1000 else "km")
    return (_r(metres), "m") if unit == "m" else (_r(metres / 1000, 1), "km")


def _kept_apart(value: float, threshold: float, below: bool, digits: int = 0) -> float | None:
    """`value` rounded with as few decimals as keep it on its side of `threshold` once both are written
    ("14.6 degrees, below 15", never "15 degrees, below 15"); None when even two more decimals do not."""
    for d in range(digits, digits + 3):
        v = _r(value, d)
        if (v < threshold) if below else (v > threshold):
            return v
    return None


def _said(key: str, value: float, unit: str | None = None) -> tuple[float, str]:
    """A metric as it is said in metre units: (rounded value, unit)."""
    if key == "top_speed":
        return _r(value * KMH, 1), "km/h"
    if key == "distance":
        return _distance(value, unit)
    if key == "hsr_distance":
        return _r(value), "m"
    if key == "work_rate_per_min":
        return _r(value), "m/min"
    return _r(value, 1), ""  # counts (averages and medians may be fractional)
