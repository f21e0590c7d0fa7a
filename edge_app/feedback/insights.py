"""The insights engine: the facts worth telling a coach, derived from a session summary by plain code.

`derive_insights(summary, history)` turns a summary dict (`SessionSummary.to_json_dict()`, ARCHITECTURE §3)
and the previous summaries of the same team (oldest first) into `Fact`s:

* strength / weakness: top speed, sprints, high-speed running, accelerations, decelerations and work rate
  against the team median (only with >= 3 fully tracked players; ratio thresholds in `TEAM_RULES`), and
  top speed / sprints against the age profile's thresholds (calibrated sessions, absolute profiles only);
* trend_up / trend_down: the same player (same label) against the average of their last `RECENT_SESSIONS`
  sessions in `history`, when the change is more than `TREND_CHANGE` (10 %);
* load_warning: today's distance or HSR above `LOAD_RATIO` (1.5x) their recent average, with at least
  `LOAD_MIN_SESSIONS` (2) previous sessions. Wording refers the coach to their physio; no diagnosis;
* pose: cautious observations from the pose KPIs (straight knees, strong trunk lean while sprinting,
  low stride cadence) with at least `MIN_POSE_SAMPLES` samples;
* team: totals, the fastest player, the most sprints, and the team's common focus ("team.<kpi>.focus").

Uncalibrated sessions (`units == "px"`) give only relative facts (percentages against the team, counts,
pose angles): no speeds, distances, trends or load warnings. Each fact's `text` is rendered from its
`numbers` (already rounded as they are said) by `format_number`, so the two always agree; the templates
themselves contain no digits. Ids and order are deterministic.

`choose_drills(facts, library, age_band)` picks library drills for each player's weaknesses, pose
observations, falling trends and load warnings (recovery drills), and for the team's focus.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Iterable, Sequence

from edge_app.feedback.drills import AGE_BANDS, KPIS, Drill, DrillLibrary

KMH = 3.6  # m/s -> km/h
KINDS = ("strength", "weakness", "trend_up", "trend_down", "load_warning", "pose", "team")
TEAM = "team"
MIN_TEAM = 3  # players needed for a team median
MIN_TRACKED_FRACTION = 0.5  # players tracked for less than this share of the longest-tracked player are not compared
RECENT_SESSIONS = 4  # previous sessions averaged for trends and load
TREND_CHANGE = 0.10
LOAD_RATIO = 1.5
LOAD_MIN_SESSIONS = 2
MIN_POSE_SAMPLES = 10
KNEE_FLEXION_LOW_DEG = 15.0  # median knee bend below this: "fairly straight knees"
TRUNK_LEAN_HIGH_DEG = 20.0  # median trunk lean while sprinting above this
CADENCE_LOW_SPM = 150.0  # stride cadence below this
PHYSIO = "worth a chat with your physio before the next hard session"


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
        return {"id": self.id, "player": self.player, "kind": self.kind, "kpi": self.kpi, "numbers": dict(self.numbers),
                "unit_text": dict(self.unit_text), "text": self.text, "priority": self.priority}


def format_number(value: float) -> str:
    """How a number is written in a fact's text: whole numbers without a decimal point, others as rounded."""
    v = float(value)
    if v.is_integer():
        return str(int(v))
    return format(v, ".10g")


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


def fact_slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "player"


def _fact(fid: str, player: str, kind: str, kpi: str, template: str, numbers: dict[str, float],
          units: dict[str, str], priority: float, **names: str) -> Fact:
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
TREND_KEYS = {"distance": "endurance", "top_speed": "top_speed", "hsr_distance": "hsr", "sprint_count": "sprint",
              "work_rate_per_min": "work_rate"}
KPI_PHRASE = {"sprint": "sprinting", "top_speed": "top speed", "acceleration": "accelerations",
              "deceleration": "decelerations", "hsr": "high-speed running", "endurance": "endurance",
              "work_rate": "work rate", "agility": "agility", "technique": "technique",
              "knee_control": "knee control", "posture": "running posture", "cadence": "stride cadence",
              "recovery": "recovery"}


def _said(key: str, value: float) -> tuple[float, str]:
    """A metric as it is said in metre units: (rounded value, unit)."""
    if key == "top_speed":
        return _r(value * KMH, 1), "km/h"
    if key == "distance":
        return _r(value / 1000, 1), "km"
    if key == "hsr_distance":
        return _r(value), "m"
    if key == "work_rate_per_min":
        return _r(value), "m/min"
    return _r(value, 1), ""  # counts (averages and medians may be fractional)


def _team_fact(p: dict, key: str, median: float, metres: bool) -> Fact | None:
    kpi, hi, lo, is_count = TEAM_RULES[key]
    label, value = p["player"], float(p[key])
    if median <= 0:
        if not (is_count and value >= 2):
            return None
        ratio, kind = float("inf"), "strength"
    else:
        ratio = value / median
        kind = "strength" if ratio >= hi else "weakness" if ratio <= lo else None
        if kind is None:
            return None
    sev = min(abs(ratio - 1.0), 1.0) if ratio != float("inf") else 1.0
    priority = (50.0 if kind == "weakness" else 20.0) + 10 * sev
    fid = f"{fact_slug(label)}.{key}.{'high' if kind == 'strength' else 'low'}"
    pct = _r(abs(ratio - 1.0) * 100) if ratio != float("inf") else None
    word = "above" if kind == "strength" else "below"
    if is_count:
        noun = {"sprint_count": ("sprint", "sprints"), "acceleration_count": ("hard acceleration", "hard accelerations"),
                "deceleration_count": ("hard deceleration", "hard decelerations")}[key]
        nums = {key: _r(value), "team_median": _r(median, 1)}
        tmpl = f"{{P}} made {{{key}}} {_plural(value, *noun)} today, against a team median of {{team_median}}."
        return _fact(fid, label, kind, kpi, tmpl, nums, {}, priority, P=label)
    if not metres:  # pixels: only the relative difference
        nums = {"pct_vs_team": pct}
        what = {"top_speed": "{P}'s top speed was", "hsr_distance": "{P}'s high-speed running distance was",
                "work_rate_per_min": "{P}'s work rate was"}[key]
        return _fact(fid, label, kind, kpi, f"{what} {{pct_vs_team}} % {word} the team median.", nums,
                     {"pct_vs_team": "%"}, priority, P=label)
    v, _ = _said(key, value)
    m, _ = _said(key, median)
    if key == "top_speed":
        nums = {"top_speed_kmh": v, "team_median_kmh": m, "pct_vs_team": pct}
        units = {"top_speed_kmh": "km/h", "team_median_kmh": "km/h", "pct_vs_team": "%"}
        tmpl = "{P} reached a top speed of {top_speed_kmh} km/h, {pct_vs_team} % " + word + \
               " the team median of {team_median_kmh} km/h."
    elif key == "hsr_distance":
        nums = {"hsr_m": v, "team_median_m": m, "pct_vs_team": pct}
        units = {"hsr_m": "m", "team_median_m": "m", "pct_vs_team": "%"}
        tmpl = "{P} covered {hsr_m} m at high speed, {pct_vs_team} % " + word + " the team median of {team_median_m} m."
    else:
        nums = {"work_rate_m_per_min": v, "team_median_m_per_min": m, "pct_vs_team": pct}
        units = {"work_rate_m_per_min": "m/min", "team_median_m_per_min": "m/min", "pct_vs_team": "%"}
        tmpl = "{P} worked at {work_rate_m_per_min} m per minute, {pct_vs_team} % " + word + \
               " the team median of {team_median_m_per_min} m per minute."
    return _fact(fid, label, kind, kpi, tmpl, nums, units, priority, P=label)


def _profile_facts(p: dict, thresholds: dict) -> list[Fact]:
    """Calibrated sessions with an absolute profile: top speed / sprints against the age thresholds."""
    out, label = [], p["player"]
    hsr_ms, sprint_ms = thresholds.get("hsr_lower_ms"), thresholds.get("sprint_entry_ms")
    if hsr_ms and p["top_speed"] < hsr_ms:
        nums = {"top_speed_kmh": _r(p["top_speed"] * KMH, 1), "hsr_threshold_kmh": _r(hsr_ms * KMH, 1)}
        out.append(_fact(f"{fact_slug(label)}.top_speed.below_hsr", label, "weakness", "top_speed",
                         "{P}'s top speed of {top_speed_kmh} km/h stayed below this age profile's high-speed "
                         "running threshold of {hsr_threshold_kmh} km/h.",
                         nums, {"top_speed_kmh": "km/h", "hsr_threshold_kmh": "km/h"}, 58.0, P=label))
    if sprint_ms and p["sprint_count"] == 0:
        nums = {"sprint_count": 0.0, "sprint_threshold_kmh": _r(sprint_ms * KMH, 1),
                "min_duration_s": _r(thresholds.get("sprint_min_duration_s", 1.0), 1)}
        out.append(_fact(f"{fact_slug(label)}.sprint_count.none", label, "weakness", "sprint",
                         "{P} made {sprint_count} sprints today (a sprint counts from {sprint_threshold_kmh} km/h "
                         "held for at least {min_duration_s} s).",
                         nums, {"sprint_threshold_kmh": "km/h", "min_duration_s": "s"}, 56.0, P=label))
    return out


def _history_values(label: str, history: Sequence[dict], units: str) -> list[dict]:
    found = []
    for s in history:
        if s.get("units") != units:
            continue
        for q in s.get("players", []):
            if q.get("player") == label:
                found.append(q)
                break
    return found[-RECENT_SESSIONS:]


_TREND_TEXT = {
    "distance": "{P} covered {value} km today, {word} {pct} % on {ref}{avg} km{over}.",
    "top_speed": "{P}'s top speed was {value} km/h today, {word} {pct} % on {ref}{avg} km/h{over}.",
    "hsr_distance": "{P} covered {value} m at high speed today, {word} {pct} % on {ref}{avg} m{over}.",
    "sprint_count": "{P} made {value} sprints today, {word} {pct} % on {ref}{avg}{over}.",
    "work_rate_per_min": "{P} worked at {value} m per minute today, {word} {pct} % on {ref}{avg} m per minute{over}.",
}


# how a metric's numbers are named in trend / load facts: (name, unit suffix)
_NAMES = {"distance": ("distance", "km"), "top_speed": ("top_speed", "kmh"), "hsr_distance": ("hsr", "m"),
          "sprint_count": ("sprints", "count"), "work_rate_per_min": ("work_rate", "m_per_min")}


def _trend_and_load_facts(p: dict, previous: list[dict]) -> list[Fact]:
    out, label = [], p["player"]
    if not previous:
        return out
    n = len(previous)
    loaded = set()
    for key, what in (("distance", "covered {value} km today"), ("hsr_distance", "ran {value} m at high speed today")):
        avg = statistics.fmean(float(q[key]) for q in previous)
        if n >= LOAD_MIN_SESSIONS and avg > 0 and float(p[key]) > LOAD_RATIO * avg:
            v, unit = _said(key, float(p[key]))
            a, _ = _said(key, avg)
            name, suffix = _NAMES[key]
            val, rec = f"{name}_{suffix}", f"recent_avg_{suffix}"
            nums = {val: v, rec: a, "sessions": float(n)}
            tmpl = ("{P} " + what.replace("{value}", "{" + val + "}") + ", well above their recent average of {" + rec +
                    "} " + unit + " over the last {sessions} sessions — " + PHYSIO + ".")
            ratio = float(p[key]) / avg
            out.append(_fact(f"{fact_slug(label)}.{key}.load", label, "load_warning", "recovery", tmpl, nums,
                             {val: unit, rec: unit, "sessions": "sessions"}, 100.0 + min(ratio, 5.0), P=label))
            loaded.add(key)
    for key, kpi in TREND_KEYS.items():
        if key in loaded:
            continue
        avg = statistics.fmean(float(q[key]) for q in previous)
        if avg <= 0:
            continue
        change = float(p[key]) / avg - 1.0
        if abs(change) <= TREND_CHANGE:
            continue
        up = change > 0
        v, unit = _said(key, float(p[key]))
        a, _ = _said(key, avg)
        name, suffix = _NAMES[key]
        val, prev = f"{name}_{suffix}", f"previous_avg_{suffix}"
        nums = {val: v, prev: a, "change_pct": _r(abs(change) * 100)}
        if n > 1:
            nums["sessions"] = float(n)
        ref = "their previous session's " if n == 1 else "their average of "
        over = "" if n == 1 else " over the last {sessions} sessions"
        text = _TREND_TEXT[key].replace("sprints today", "sprint today") if v == 1 else _TREND_TEXT[key]
        tmpl = text.format(P="{P}", value="{" + val + "}", word="up" if up else "down", pct="{change_pct}",
                           ref=ref, avg="{" + prev + "}", over=over)
        units = {val: unit, prev: unit, "change_pct": "%", "sessions": "sessions"}
        out.append(_fact(f"{fact_slug(label)}.{key}.{'trend_up' if up else 'trend_down'}", label,
                         "trend_up" if up else "trend_down", kpi, tmpl, nums, units,
                         (30.0 if not up else 10.0) + 10 * min(abs(change), 1.0), P=label))
    return out


def _pose_facts(p: dict) -> list[Fact]:
    pose, label, out = p.get("pose") or {}, p["player"], []
    if (pose.get("samples") or 0) < MIN_POSE_SAMPLES:
        return out
    knee, lean, cad = pose.get("knee_flexion_deg"), pose.get("trunk_lean_sprint_deg"), pose.get("stride_cadence_spm")
    if knee is not None and knee < KNEE_FLEXION_LOW_DEG:
        out.append(_fact(f"{fact_slug(label)}.knee_flexion.low", label, "pose", "knee_control",
                         "The camera estimate suggests {P} ran with fairly straight knees (a median knee bend of "
                         "{knee_flexion_deg} degrees, below {threshold_deg}); soft landings and knee control may be "
                         "worth a look.",
                         {"knee_flexion_deg": _r(knee), "threshold_deg": _r(KNEE_FLEXION_LOW_DEG)},
                         {"knee_flexion_deg": "degrees", "threshold_deg": "degrees"}, 45.0, P=label))
    if lean is not None and lean > TRUNK_LEAN_HIGH_DEG:
        out.append(_fact(f"{fact_slug(label)}.trunk_lean.high", label, "pose", "posture",
                         "The camera estimate suggests {P} leaned about {trunk_lean_deg} degrees from upright while "
                         "sprinting (above {threshold_deg}); a more upright sprinting posture may be worth a look.",
                         {"trunk_lean_deg": _r(lean), "threshold_deg": _r(TRUNK_LEAN_HIGH_DEG)},
                         {"trunk_lean_deg": "degrees", "threshold_deg": "degrees"}, 44.0, P=label))
    if cad is not None and cad < CADENCE_LOW_SPM:
        out.append(_fact(f"{fact_slug(label)}.cadence.low", label, "pose", "cadence",
                         "The camera estimate suggests {P}'s stride rate was about {cadence_spm} steps per minute "
                         "(below {threshold_spm}); quick-feet work may help.",
                         {"cadence_spm": _r(cad), "threshold_spm": _r(CADENCE_LOW_SPM)},
                         {"cadence_spm": "steps/min", "threshold_spm": "steps/min"}, 43.0, P=label))
    return out


def _team_facts(players: list[dict], metres: bool, player_facts: dict[str, list[Fact]]) -> list[Fact]:
    out: list[Fact] = []
    if not players:
        return out

    def leader(key: str) -> dict:  # the first player (summary order) with the highest value
        best = max(float(q[key]) for q in players)
        return next(q for q in players if float(q[key]) == best)

    if metres:
        total = _r(sum(float(q["distance"]) for q in players) / 1000, 1)
        if len(players) >= 2:
            top = leader("distance")
            out.append(_fact("team.distance.total", TEAM, "team", "endurance",
                             "The team covered {total_km} km in total; {L} covered the most with {max_km} km.",
                             {"total_km": total, "max_km": _said("distance", float(top["distance"]))[0]},
                             {"total_km": "km", "max_km": "km"}, 8.0, L=top["player"]))
        else:
            out.append(_fact("team.distance.total", TEAM, "team", "endurance", "The team covered {total_km} km in total.",
                             {"total_km": total}, {"total_km": "km"}, 8.0))
        fast = leader("top_speed")
        out.append(_fact("team.top_speed.fastest", TEAM, "team", "top_speed",
                         "The fastest speed today was {top_speed_kmh} km/h, reached by {L}.",
                         {"top_speed_kmh": _said("top_speed", float(fast["top_speed"]))[0]},
                         {"top_speed_kmh": "km/h"}, 7.0, L=fast["player"]))
    most = leader("sprint_count")
    if most["sprint_count"] > 0 and len(players) >= 2:
        out.append(_fact("team.sprint_count.most", TEAM, "team", "sprint", "{L} made the most sprints: {sprint_count}.",
                         {"sprint_count": _r(most["sprint_count"])}, {}, 6.0, L=most["player"]))
    elif most["sprint_count"] == 0:
        out.append(_fact("team.sprint_count.none", TEAM, "team", "sprint", "No player made a sprint today.",
                         {}, {}, 6.0))
    # the team's focus: the KPI most players have among their weaknesses / pose observations
    counts: dict[str, int] = {}
    for facts in player_facts.values():
        for kpi in {f.kpi for f in facts if f.kind in ("weakness", "pose")}:
            counts[kpi] = counts.get(kpi, 0) + 1
    if counts:
        kpi = max(counts, key=lambda k: (counts[k], -KPIS.index(k)))
        n = counts[kpi]
        if n >= 2 and n * 3 >= len(players):
            out.append(_fact(f"team.{kpi}.focus", TEAM, "team", kpi,
                             "{n_players} of {team_size} players had " + KPI_PHRASE[kpi] +
                             " among their points to work on today.",
                             {"n_players": float(n), "team_size": float(len(players))}, {}, 60.0 + n))
    return out


def _order(facts: Iterable[Fact], limit: int) -> list[Fact]:
    best: dict[tuple[str, str, str], Fact] = {}
    for f in facts:  # one strength/weakness per (player, kpi): the most important one
        slot = (f.player, f.kpi, "sw") if f.kind in ("strength", "weakness") else (f.player, f.kpi, f.id)
        if slot not in best or (f.priority, f.id) > (best[slot].priority, best[slot].id):
            best[slot] = f
    return sorted(best.values(), key=lambda f: (-f.priority, f.id))[:limit]


def derive_insights(summary: dict, history: Sequence[dict] = (), *, max_per_player: int = 4) -> list[Fact]:
    """The facts worth saying about a session: team facts first, then each player's (summary order), each
    group by priority (highest first, then id), at most `max_per_player` per group."""
    players = list(summary.get("players") or [])
    metres = summary.get("units") == "m"
    profile = summary.get("profile") or {}
    absolute = profile.get("mode") == "absolute"
    thresholds = profile.get("thresholds") or {}
    longest = max((float(q["quality"]["tracked_time_s"]) for q in players), default=0.0)
    full = [q for q in players if longest > 0 and float(q["quality"]["tracked_time_s"]) >= MIN_TRACKED_FRACTION * longest]
    full_labels = {q["player"] for q in full}
    medians = {}
    if len(full) >= MIN_TEAM:
        medians = {key: statistics.median(float(q[key]) for q in full) for key in TEAM_RULES}

    per_player: dict[str, list[Fact]] = {}
    for p in players:
        label, facts = p["player"], []
        if label in full_labels:
            for key, median in medians.items():
                f = _team_fact(p, key, median, metres)
                if f is not None:
                    facts.append(f)
            if metres and absolute:
                facts += _profile_facts(p, thresholds)
            if metres:
                facts += _trend_and_load_facts(p, _history_values(label, history, "m"))
        facts += _pose_facts(p)
        per_player[label] = facts

    out = _order(_team_facts(full, metres, per_player), max_per_player)
    for p in players:
        out += _order(per_player[p["player"]], max_per_player)
    return out


# -- drills ----------------------------------------------------------------------------------------------

_DRILL_KINDS = ("weakness", "pose", "trend_down", "load_warning")


def choose_drills(facts: Sequence[Fact], library: DrillLibrary, age_band: str, per_player: int = 2, *,
                  equipment: Iterable[str] | None = None, max_minutes: int | None = None) -> dict[str, list[Drill]]:
    """Up to `per_player` library drills for each player (and "team"), never the same drill twice for one
    player. Targets, by priority: weaknesses, pose observations, falling trends and load warnings (low-intensity
    recovery drills); for the team, its focus facts ("team.<kpi>.focus"). Every player and "team" that has
    facts gets a key; the list is empty when nothing needs work."""
    equipment = None if equipment is None else list(equipment)
    targets: dict[str, list[Fact]] = {}
    for f in facts:
        targets.setdefault(f.player, [])
        if f.player == TEAM:
            if f.kind == "team" and f.id.endswith(".focus"):
                targets[f.player].append(f)
        elif f.kind in _DRILL_KINDS:
            targets[f.player].append(f)
    out: dict[str, list[Drill]] = {}
    for player, fs in targets.items():
        fs = sorted(fs, key=lambda f: (-f.priority, f.id))
        chosen: list[Drill] = []
        # round-robin over the targets, so the two most important points each get a drill first
        for rnd in range(per_player):
            for f in fs:
                if len(chosen) >= per_player:
                    break
                intensity = ("low",) if f.kind == "load_warning" else None
                found = library.search(kpis=[f.kpi], age_band=age_band, equipment=equipment, max_minutes=max_minutes,
                                       limit=1, exclude={d.id for d in chosen}, intensity=intensity)
                if found:
                    chosen.append(found[0])
            if len(chosen) >= per_player or not fs:
                break
        out[player] = chosen
    return out


age_band = age_band_for_profile  # the short name the feedback service uses
