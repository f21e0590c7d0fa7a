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
* context: what the session allows to be judged. Shorter than `MIN_SESSION_S` (length or longest tracked
  time): "too little to judge efforts", then only distances (team and each player seen); nobody reached the
  high-speed threshold: a low-intensity session, and no sprint, speed or high-speed facts (a walking session
  is not a failed sprint session). Pose points only for players who ran.

Distances are said in metres below 1 km. A value compared with a threshold is rounded only as far as keeps
it on its side of the threshold ("14.9 degrees, below 15").

Uncalibrated sessions (`units == "px"`) give only relative facts (percentages against the team, counts,
pose angles): no speeds, distances, trends or load warnings. Each fact's `text` is rendered from its
`numbers` (already rounded as they are said) by `format_number`, so the two always agree; the templates
themselves contain no digits. Ids and order are deterministic.

The drills these facts call for are chosen in `drill_choice`.
"""

from __future__ import annotations

import statistics
from typing import Iterable, Sequence

from edge_app.feedback.drills import KPIS
from edge_app.feedback.facts import (
    CADENCE_LOW_SPM,
    DEFAULT_HSR_MS,
    DEFAULT_RUN_MS,
    EFFORT_KPIS,
    KMH,
    KNEE_FLEXION_LOW_DEG,
    KPI_PHRASE,
    LOAD_MIN_SESSIONS,
    LOAD_RATIO,
    MIN_POSE_SAMPLES,
    MIN_SESSION_S,
    MIN_TEAM,
    MIN_TRACKED_FRACTION,
    MIN_TREND_COUNT,
    PHYSIO,
    RECENT_SESSIONS,
    TEAM,
    TEAM_RULES,
    TREND_CHANGE,
    TREND_KEYS,
    TRUNK_LEAN_HIGH_DEG,
    Fact,
    _distance,
    _fact,
    _kept_apart,
    _plural,
    _r,
    _said,
    fact_slug,
)


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
        noun = {
            "sprint_count": ("sprint", "sprints"),
            "acceleration_count": ("hard acceleration", "hard accelerations"),
            "deceleration_count": ("hard deceleration", "hard decelerations"),
        }[key]
        nums = {key: _r(value), "team_median": _r(median, 1)}
        tmpl = f"{{P}} made {{{key}}} {_plural(value, *noun)} today, against a team median of {{team_median}}."
        return _fact(fid, label, kind, kpi, tmpl, nums, {}, priority, P=label)
    if not metres:  # pixels: only the relative difference
        nums = {"pct_vs_team": pct}
        what = {
            "top_speed": "{P}'s top speed was",
            "hsr_distance": "{P}'s high-speed running distance was",
            "work_rate_per_min": "{P}'s work rate was",
        }[key]
        return _fact(
            fid,
            label,
            kind,
            kpi,
            f"{what} {{pct_vs_team}} % {word} the team median.",
            nums,
            {"pct_vs_team": "%"},
            priority,
            P=label,
        )
    v, _ = _said(key, value)
    m, _ = _said(key, median)
    if key == "top_speed":
        nums = {"top_speed_kmh": v, "team_median_kmh": m, "pct_vs_team": pct}
        units = {"top_speed_kmh": "km/h", "team_median_kmh": "km/h", "pct_vs_team": "%"}
        tmpl = (
            "{P} reached a top speed of {top_speed_kmh} km/h, {pct_vs_team} % "
            + word
            + " the team median of {team_median_kmh} km/h."
        )
    elif key == "hsr_distance":
        nums = {"hsr_m": v, "team_median_m": m, "pct_vs_team": pct}
        units = {"hsr_m": "m", "team_median_m": "m", "pct_vs_team": "%"}
        tmpl = "{P} covered {hsr_m} m at high speed, {pct_vs_team} % " + word + " the team median of {team_median_m} m."
    else:
        nums = {"work_rate_m_per_min": v, "team_median_m_per_min": m, "pct_vs_team": pct}
        units = {"work_rate_m_per_min": "m/min", "team_median_m_per_min": "m/min", "pct_vs_team": "%"}
        tmpl = (
            "{P} worked at {work_rate_m_per_min} m per minute, {pct_vs_team} % "
            + word
            + " the team median of {team_median_m_per_min} m per minute."
        )
    return _fact(fid, label, kind, kpi, tmpl, nums, units, priority, P=label)


def _profile_facts(p: dict, thresholds: dict) -> list[Fact]:
    """Calibrated sessions with an absolute profile: top speed / sprints against the age thresholds."""
    out, label = [], p["player"]
    hsr_ms, sprint_ms = thresholds.get("hsr_lower_ms"), thresholds.get("sprint_entry_ms")
    said_top = _kept_apart(p["top_speed"] * KMH, _r(hsr_ms * KMH, 1), True, 1) if hsr_ms else None
    if hsr_ms and p["top_speed"] < hsr_ms and said_top is not None:
        nums = {"top_speed_kmh": said_top, "hsr_threshold_kmh": _r(hsr_ms * KMH, 1)}
        out.append(
            _fact(
                f"{fact_slug(label)}.top_speed.below_hsr",
                label,
                "weakness",
                "top_speed",
                "{P}'s top speed of {top_speed_kmh} km/h stayed below this age profile's high-speed "
                "running threshold of {hsr_threshold_kmh} km/h.",
                nums,
                {"top_speed_kmh": "km/h", "hsr_threshold_kmh": "km/h"},
                58.0,
                P=label,
            )
        )
    if sprint_ms and p["sprint_count"] == 0:
        nums = {
            "sprint_count": 0.0,
            "sprint_threshold_kmh": _r(sprint_ms * KMH, 1),
            "min_duration_s": _r(thresholds.get("sprint_min_duration_s", 1.0), 1),
        }
        out.append(
            _fact(
                f"{fact_slug(label)}.sprint_count.none",
                label,
                "weakness",
                "sprint",
                "{P} made {sprint_count} sprints today (a sprint counts from {sprint_threshold_kmh} km/h "
                "held for at least {min_duration_s} s).",
                nums,
                {"sprint_threshold_kmh": "km/h", "min_duration_s": "s"},
                56.0,
                P=label,
            )
        )
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
    "distance": "{P} covered {value} {unit} today, {word} {pct} % on {ref}{avg} {unit}{over}.",
    "top_speed": "{P}'s top speed was {value} km/h today, {word} {pct} % on {ref}{avg} km/h{over}.",
    "hsr_distance": "{P} covered {value} m at high speed today, {word} {pct} % on {ref}{avg} m{over}.",
    "sprint_count": "{P} made {value} sprints today, {word} {pct} % on {ref}{avg}{over}.",
    "work_rate_per_min": "{P} worked at {value} m per minute today, {word} {pct} % on {ref}{avg} m per minute{over}.",
}


# how a metric's numbers are named in trend / load facts: (name, unit suffix)
_NAMES = {
    "distance": ("distance", "{unit}"),
    "top_speed": ("top_speed", "kmh"),
    "hsr_distance": ("hsr", "m"),
    "sprint_count": ("sprints", "count"),
    "work_rate_per_min": ("work_rate", "m_per_min"),
}


def _trend_and_load_facts(p: dict, previous: list[dict]) -> list[Fact]:
    out, label = [], p["player"]
    if not previous:
        return out
    n = len(previous)
    loaded = set()
    for key, what in (
        ("distance", "covered {value} {unit} today"),
        ("hsr_distance", "ran {value} m at high speed today"),
    ):
        avg = statistics.fmean(float(q[key]) for q in previous)
        if n >= LOAD_MIN_SESSIONS and avg > 0 and float(p[key]) > LOAD_RATIO * avg:
            v, unit = _said(key, float(p[key]))
            a, _ = _said(key, avg, unit)
            name, suffix = _NAMES[key]
            suffix = suffix.format(unit=unit)
            val, rec = f"{name}_{suffix}", f"recent_avg_{suffix}"
            nums = {val: v, rec: a, "sessions": float(n)}
            tmpl = (
                "{P} "
                + what.replace("{value}", "{" + val + "}").replace("{unit}", unit)
                + ", well above their recent average of {"
                + rec
                + "} "
                + unit
                + " over the last {sessions} sessions — "
                + PHYSIO
                + "."
            )
            ratio = float(p[key]) / avg
            out.append(
                _fact(
                    f"{fact_slug(label)}.{key}.load",
                    label,
                    "load_warning",
                    "recovery",
                    tmpl,
                    nums,
                    {val: unit, rec: unit, "sessions": "sessions"},
                    100.0 + min(ratio, 5.0),
                    P=label,
                )
            )
            loaded.add(key)
    for key, kpi in TREND_KEYS.items():
        if key in loaded:
            continue
        avg = statistics.fmean(float(q[key]) for q in previous)
        if avg <= 0 or (key == "sprint_count" and avg < MIN_TREND_COUNT):
            continue  # "up 900 % on 0.5 sprints" is noise, not a trend
        change = float(p[key]) / avg - 1.0
        if abs(change) <= TREND_CHANGE:
            continue
        up = change > 0
        v, unit = _said(key, float(p[key]))
        a, _ = _said(key, avg, unit)
        name, suffix = _NAMES[key]
        suffix = suffix.format(unit=unit)
        val, prev = f"{name}_{suffix}", f"previous_avg_{suffix}"
        nums = {val: v, prev: a, "change_pct": _r(abs(change) * 100)}
        if n > 1:
            nums["sessions"] = float(n)
        ref = "their previous session's " if n == 1 else "their average of "
        over = "" if n == 1 else " over the last {sessions} sessions"
        text = _TREND_TEXT[key].replace("sprints today", "sprint today") if v == 1 else _TREND_TEXT[key]
        tmpl = text.format(
            P="{P}",
            value="{" + val + "}",
            word="up" if up else "down",
            pct="{change_pct}",
            ref=ref,
            avg="{" + prev + "}",
            over=over,
            unit=unit,
        )
        units = {val: unit, prev: unit, "change_pct": "%", "sessions": "sessions"}
        out.append(
            _fact(
                f"{fact_slug(label)}.{key}.{'trend_up' if up else 'trend_down'}",
                label,
                "trend_up" if up else "trend_down",
                kpi,
                tmpl,
                nums,
                units,
                (30.0 if not up else 10.0) + 10 * min(abs(change), 1.0),
                P=label,
            )
        )
    return out


def _pose_facts(p: dict) -> list[Fact]:
    pose, label, out = p.get("pose") or {}, p["player"], []
    if (pose.get("samples") or 0) < MIN_POSE_SAMPLES:
        return out
    knee, lean, cad = pose.get("knee_flexion_deg"), pose.get("trunk_lean_sprint_deg"), pose.get("stride_cadence_spm")
    # each said value stays on its side of the threshold once rounded (no "15 degrees, below 15")
    knee = None if knee is None else _kept_apart(knee, _r(KNEE_FLEXION_LOW_DEG), True)
    lean = None if lean is None else _kept_apart(lean, _r(TRUNK_LEAN_HIGH_DEG), False)
    cad = None if cad is None else _kept_apart(cad, _r(CADENCE_LOW_SPM), True)
    if knee is not None:
        out.append(
            _fact(
                f"{fact_slug(label)}.knee_flexion.low",
                label,
                "pose",
                "knee_control",
                "The camera estimate suggests {P} ran with fairly straight knees (a median knee bend of "
                "{knee_flexion_deg} degrees, below {threshold_deg}); soft landings and knee control may be "
                "worth a look.",
                {"knee_flexion_deg": knee, "threshold_deg": _r(KNEE_FLEXION_LOW_DEG)},
                {"knee_flexion_deg": "degrees", "threshold_deg": "degrees"},
                45.0,
                P=label,
            )
        )
    if lean is not None:
        out.append(
            _fact(
                f"{fact_slug(label)}.trunk_lean.high",
                label,
                "pose",
                "posture",
                "The camera estimate suggests {P} leaned about {trunk_lean_deg} degrees from upright while "
                "sprinting (above {threshold_deg}); a more upright sprinting posture may be worth a look.",
                {"trunk_lean_deg": lean, "threshold_deg": _r(TRUNK_LEAN_HIGH_DEG)},
                {"trunk_lean_deg": "degrees", "threshold_deg": "degrees"},
                44.0,
                P=label,
            )
        )
    if cad is not None:
        out.append(
            _fact(
                f"{fact_slug(label)}.cadence.low",
                label,
                "pose",
                "cadence",
                "The camera estimate suggests {P}'s stride rate was about {cadence_spm} steps per minute "
                "(below {threshold_spm}); quick-feet work may help.",
                {"cadence_spm": cad, "threshold_spm": _r(CADENCE_LOW_SPM)},
                {"cadence_spm": "steps/min", "threshold_spm": "steps/min"},
                43.0,
                P=label,
            )
        )
    return out


def _team_facts(players: list[dict], metres: bool, player_facts: dict[str, list[Fact]], effort: bool) -> list[Fact]:
    out: list[Fact] = []
    if not players:
        return out

    def leader(key: str) -> dict:  # the first player (summary order) with the highest value
        best = max(float(q[key]) for q in players)
        return next(q for q in players if float(q[key]) == best)

    if metres:
        total, unit = _distance(sum(float(q["distance"]) for q in players))
        said = "The team covered {total_" + unit + "} " + unit + " in total"
        if len(players) >= 2:
            top = leader("distance")
            most, most_unit = _distance(float(top["distance"]))
            out.append(
                _fact(
                    "team.distance.total",
                    TEAM,
                    "team",
                    "endurance",
                    said + "; {L} covered the most with {max_" + most_unit + "} " + most_unit + ".",
                    {f"total_{unit}": total, f"max_{most_unit}": most},
                    {f"total_{unit}": unit, f"max_{most_unit}": most_unit},
                    8.0,
                    L=top["player"],
                )
            )
        else:
            out.append(
                _fact(
                    "team.distance.total",
                    TEAM,
                    "team",
                    "endurance",
                    said + ".",
                    {f"total_{unit}": total},
                    {f"total_{unit}": unit},
                    8.0,
                )
            )
        fast = leader("top_speed")
        out.append(
            _fact(
                "team.top_speed.fastest",
                TEAM,
                "team",
                "top_speed",
                "The fastest speed today was {top_speed_kmh} km/h, reached by {L}.",
                {"top_speed_kmh": _said("top_speed", float(fast["top_speed"]))[0]},
                {"top_speed_kmh": "km/h"},
                7.0,
                L=fast["player"],
            )
        )
    most = leader("sprint_count")
    if not effort:
        pass  # a session without room for effort says so in its context fact, not as "no sprints"
    elif most["sprint_count"] > 0 and len(players) >= 2:
        out.append(
            _fact(
                "team.sprint_count.most",
                TEAM,
                "team",
                "sprint",
                "{L} made the most sprints: {sprint_count}.",
                {"sprint_count": _r(most["sprint_count"])},
                {},
                6.0,
                L=most["player"],
            )
        )
    elif most["sprint_count"] == 0:
        out.append(
            _fact("team.sprint_count.none", TEAM, "team", "sprint", "No player made a sprint today.", {}, {}, 6.0)
        )
    # the team's focus: the KPI most players have among their weaknesses / pose observations
    counts: dict[str, int] = {}
    for facts in player_facts.values():
        for kpi in {f.kpi for f in facts if f.kind in ("weakness", "pose")}:
            counts[kpi] = counts.get(kpi, 0) + 1
    if counts:
        kpi = max(counts, key=lambda k: (counts[k], -KPIS.index(k)))
        n = counts[kpi]
        if n >= 2 and n * 3 >= len(players):
            out.append(
                _fact(
                    f"team.{kpi}.focus",
                    TEAM,
                    "team",
                    kpi,
                    "{n_players} of {team_size} players had "
                    + KPI_PHRASE[kpi]
                    + " among their points to work on today.",
                    {"n_players": float(n), "team_size": float(len(players))},
                    {},
                    60.0 + n,
                )
            )
    return out


def _order(facts: Iterable[Fact], limit: int) -> list[Fact]:
    best: dict[tuple[str, str, str], Fact] = {}
    for f in facts:  # one strength/weakness per (player, kpi): the most important one
        slot = (f.player, f.kpi, "sw") if f.kind in ("strength", "weakness") else (f.player, f.kpi, f.id)
        if slot not in best or (f.priority, f.id) > (best[slot].priority, best[slot].id):
            best[slot] = f
    return sorted(best.values(), key=lambda f: (-f.priority, f.id))[:limit]


def _context_facts(
    players: list[dict], metres: bool, thresholds: dict, judged_s: float, effort: bool
) -> tuple[list[Fact], dict[str, list[Fact]]]:
    """What the session allows to be judged: too short (team note, and each player's distance), or no room
    for effort (nobody reached high speed: a walking session is not a failed sprint session)."""
    team: list[Fact] = []
    per_player: dict[str, list[Fact]] = {}
    if judged_s < MIN_SESSION_S:
        when = (
            ({"tracked_s": _r(judged_s)}, "{tracked_s} s")
            if judged_s < 120
            else ({"tracked_min": _r(judged_s / 60)}, "{tracked_min} minutes")
        )
        nums = {**when[0], "min_minutes": _r(MIN_SESSION_S / 60)}
        team.append(
            _fact(
                "team.session.short",
                TEAM,
                "context",
                "work_rate",
                "This session gave only " + when[1] + " of tracking, too little to judge efforts such as "
                "sprints, high-speed running or work rate (that needs at least {min_minutes} minutes).",
                nums,
                {k: ("s" if k == "tracked_s" else "minutes") for k in nums},
                90.0,
            )
        )
        for p in players if metres else []:
            dist, unit = _distance(float(p["distance"]))
            t = _r(float(p["quality"]["tracked_time_s"]))
            per_player[p["player"]] = [
                _fact(
                    f"{fact_slug(p['player'])}.distance.tracked",
                    p["player"],
                    "context",
                    "endurance",
                    "{P} covered {distance_" + unit + "} " + unit + " in the {tracked_s} s they were tracked.",
                    {f"distance_{unit}": dist, "tracked_s": t},
                    {f"distance_{unit}": unit, "tracked_s": "s"},
                    5.0,
                    P=p["player"],
                )
            ]
    elif not effort:
        if metres:
            hsr = float(thresholds.get("hsr_lower_ms") or DEFAULT_HSR_MS)
            top = max(float(q["top_speed"]) for q in players)
            team.append(
                _fact(
                    "team.session.low_intensity",
                    TEAM,
                    "context",
                    "hsr",
                    "Nobody reached high speed today (the fastest was {top_speed_kmh} km/h; high-speed "
                    "running starts at {hsr_threshold_kmh} km/h), so this was a low-intensity session and "
                    "sprints and high-speed running are not judged.",
                    {"top_speed_kmh": _r(top * KMH, 1), "hsr_threshold_kmh": _r(hsr * KMH, 1)},
                    {"top_speed_kmh": "km/h", "hsr_threshold_kmh": "km/h"},
                    90.0,
                )
            )
        else:
            team.append(
                _fact(
                    "team.session.low_intensity",
                    TEAM,
                    "context",
                    "hsr",
                    "Nobody sprinted or ran at high speed today, so this was a low-intensity session and "
                    "sprints and high-speed running are not judged.",
                    {},
                    {},
                    90.0,
                )
            )
    return team, per_player


def _had_room_for_effort(players: list[dict], metres: bool, thresholds: dict) -> bool:
    """Someone reached high speed (metres), or sprinted or ran at high speed (pixels)."""
    if not players:
        return False
    if metres:
        hsr = float(thresholds.get("hsr_lower_ms") or DEFAULT_HSR_MS)
        return max(float(q["top_speed"]) for q in players) >= hsr
    return any(float(q["sprint_count"]) > 0 or float(q["hsr_distance"]) > 0 for q in players)


def _ran(p: dict, metres: bool, thresholds: dict) -> bool:
    """Pose observations are about running: a player who only walked is not judged on them."""
    if metres:
        return float(p["top_speed"]) >= float(thresholds.get("run_lower_ms") or DEFAULT_RUN_MS)
    return float(p["sprint_count"]) > 0 or float(p["hsr_distance"]) > 0


def derive_insights(summary: dict, history: Sequence[dict] = (), *, max_per_player: int = 4) -> list[Fact]:
    """The facts worth saying about a session: team facts first, then each player's (summary order), each
    group by priority (highest first, then id), at most `max_per_player` per group.

    A session shorter than `MIN_SESSION_S` (length or longest tracked time) gets a "too little to judge" note
    and only distances; one where nobody reached high speed gets no sprint, speed or high-speed facts."""
    players = list(summary.get("players") or [])
    metres = summary.get("units") == "m"
    profile = summary.get("profile") or {}
    absolute = profile.get("mode") == "absolute"
    thresholds = (profile.get("thresholds") or {}) if absolute else {}
    longest = max((float(q["quality"]["tracked_time_s"]) for q in players), default=0.0)
    duration = float(summary.get("duration_s") or longest)
    judged_s = min(duration, longest)
    full = [
        q for q in players if longest > 0 and float(q["quality"]["tracked_time_s"]) >= MIN_TRACKED_FRACTION * longest
    ]
    full_labels = {q["player"] for q in full}
    effort = _had_room_for_effort(full, metres, thresholds)
    # a short session says what it can about everyone seen, however briefly; a longer one compares only
    # the players tracked for most of it
    context, short_facts = _context_facts(
        players if judged_s < MIN_SESSION_S else full, metres, thresholds, judged_s, effort
    )
    if judged_s < MIN_SESSION_S:
        out = _order(
            context + [f for f in _team_facts(players, metres, {}, False) if f.kpi not in EFFORT_KPIS], max_per_player
        )
        for p in players:
            out += short_facts.get(p["player"], [])
        return out
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
        if _ran(p, metres, thresholds):
            facts += _pose_facts(p)
        per_player[label] = [f for f in facts if effort or f.kpi not in EFFORT_KPIS]

    out = _order(context + _team_facts(full, metres, per_player, effort), max_per_player)
    for p in players:
        out += _order(per_player[p["player"]], max_per_player)
    return out
