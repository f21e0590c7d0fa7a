"""Drill choice: which library drills a session's facts call for, and why each was chosen.

`choose_drills_with_reasons(facts, library, age_band)` picks drills from the library (`drills`) for each
player's weaknesses, pose observations, falling trends and load warnings (low-intensity recovery drills),
and for the team's focus ("team.<kpi>.focus"), each with the reason said to the coach ("for sprinting, a
point to work on today; suits U13"). Only drills the library lists for the age band; `age_band_for_profile`
maps a profile name to that band. The facts themselves come from `insights`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from edge_app.feedback.drills import AGE_BANDS, Drill, DrillLibrary
from edge_app.feedback.facts import KPI_PHRASE, TEAM, Fact


def age_band_for_profile(name: str | None) -> str:
    """The drill age band for a profile name: adult, u17, u15, u13 (u9-u13 -> u13, u14/u15 -> u15, u16/u17 -> u17,
    u18 and older or "adult"/"senior" -> adult). Unknown names get "u13", the safest band."""
    key = (name or "").strip().lower()
    if key in AGE_BANDS:
        return key
    if key in ("senior", "seniors", "men", "women", "open", "veterans"):
        return "adult"
    m = re.search(r"u-?(\d{1,2})\b", key)
    if m:
        age = int(m.group(1))
        return "u13" if age <= 13 else "u15" if age <= 15 else "u17" if age <= 17 else "adult"
    return "u13"


_DRILL_KINDS = ("weakness", "pose", "trend_down", "load_warning")


@dataclass(frozen=True)
class ChosenDrill:
    """A library drill chosen for a player, with the reason it was chosen (said to the coach)."""

    drill: Drill
    reason: str
    fact_id: str

    @property
    def id(self) -> str:
        return self.drill.id

    @property
    def name(self) -> str:
        return self.drill.name

    @property
    def minutes(self) -> int:
        return self.drill.minutes


_REASON = {
    "weakness": "for {what}, a point to work on today",
    "pose": "for {what}, from the pose estimate",
    "trend_down": "for {what}, down on recent sessions",
    "load_warning": "a light session after a heavy load",
    "team": "for {what}, the team's common point to work on",
}


def _band_words(age_band: str) -> str:
    return "suits adults" if age_band == "adult" else f"suits {age_band.upper()}"


def choose_drills_with_reasons(
    facts: Sequence[Fact],
    library: DrillLibrary,
    age_band: str,
    per_player: int = 2,
    *,
    equipment: Iterable[str] | None = None,
    max_minutes: int | None = None,
) -> dict[str, list[ChosenDrill]]:
    """Up to `per_player` library drills for each player (and "team"), never the same drill twice for one
    player, each with its reason ("for sprinting, a point to work on today; suits U13"). Targets, by priority:
    weaknesses, pose observations, falling trends and load warnings (low-intensity recovery drills); for the
    team, its focus facts ("team.<kpi>.focus"). Only drills the library lists for `age_band`. Every player and
    "team" that has facts gets a key; the list is empty when nothing needs work."""
    equipment = None if equipment is None else list(equipment)
    targets: dict[str, list[Fact]] = {}
    for f in facts:
        targets.setdefault(f.player, [])
        if f.player == TEAM:
            if f.kind == "team" and f.id.endswith(".focus"):
                targets[f.player].append(f)
        elif f.kind in _DRILL_KINDS:
            targets[f.player].append(f)
    out: dict[str, list[ChosenDrill]] = {}
    for player, fs in targets.items():
        fs = sorted(fs, key=lambda f: (-f.priority, f.id))
        chosen: list[ChosenDrill] = []
        # round-robin over the targets, so the two most important points each get a drill first
        for _rnd in range(per_player):
            for f in fs:
                if len(chosen) >= per_player:
                    break
                intensity = ("low",) if f.kind == "load_warning" else None
                found = library.search(
                    kpis=[f.kpi],
                    age_band=age_band,
                    equipment=equipment,
                    max_minutes=max_minutes,
                    limit=1,
                    exclude={d.id for d in chosen},
                    intensity=intensity,
                )
                if found:
                    why = _REASON[f.kind].format(what=KPI_PHRASE[f.kpi])
                    chosen.append(ChosenDrill(found[0], f"{why}; {_band_words(age_band)}", f.id))
            if len(chosen) >= per_player or not fs:
                break
        out[player] = chosen
    return out


def choose_drills(
    facts: Sequence[Fact],
    library: DrillLibrary,
    age_band: str,
    per_player: int = 2,
    *,
    equipment: Iterable[str] | None = None,
    max_minutes: int | None = None,
) -> dict[str, list[Drill]]:
    """The drills of `choose_drills_with_reasons`, without their reasons."""
    chosen = choose_drills_with_reasons(
        facts, library, age_band, per_player, equipment=equipment, max_minutes=max_minutes
    )
    return {player: [c.drill for c in cs] for player, cs in chosen.items()}


age_band = age_band_for_profile  # the short name the feedback service uses
