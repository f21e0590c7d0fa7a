"""From a stored session to its summary: its positions, the players stitched from them, their metrics.

This is the after-session step of ARCHITECTURE §1 (store → summary). It reads only the
store, so it can be re-run after the coach names, merges or splits players (edge_app.player_edits).
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.identity import (
    Roster,
    assign_session,
    default_roster,
    fragments,
    read_roster,
    roster_roles,
    roster_to_dict,
    save_default_roster,
    swap_cuts,
)
from edge_app.identity.questions import path_length, questions
from edge_app.metrics.engine import player_kpis
from edge_app.metrics.profiles import get_profile
from edge_app.pitch import Calibration
from edge_app.positions.session import SessionPositions, read_positions
from edge_app.summary import SCHEMA, SessionSummary, validate_summary
from edge_app.timeutil import utc_now_iso

MIN_FRAMES = 10  # players seen in fewer frames are detector noise, not players

# `analyze --roster` checks the file before the models load; without one the box's own (`session_run`)
# the kiosk's roster editor: the box's own, read and written (ui does not import identity)
__all__ = ["default_roster", "read_roster", "roster_to_dict", "save_default_roster"]


def session_roster(store, session_id: str) -> Roster | None:
    """The roster stored with a session (None without one)."""
    return Roster.from_rows(store.roster(session_id))


def summary_calibration(summary: dict) -> Calibration | None:
    """The calibration a stored summary was made with (None for a pixel summary)."""
    return Calibration.from_dict(summary["calibration"]) if summary["units"] == "m" else None


def build_summary(
    store,
    session_id: str,
    *,
    calibration: Calibration | None = None,
    profile: str = "adult",
    player_profiles: dict | None = None,
    positions: SessionPositions | None = None,
) -> SessionSummary:
    """`positions`: this session's with this calibration (`read_positions`), when the caller has them already."""
    sid = store.resolve_id(session_id)
    session = store.get_session(sid)
    prof = get_profile(profile)
    positions = positions or read_positions(store, sid, calibration)
    poses = store.world_poses(sid)
    units = "m" if calibration is not None else "px"
    pitch = (calibration.template.length, calibration.template.width) if calibration is not None else None
    seen = [p for p in store.players(sid) if len(positions.player(p["track_ids"])[0]) >= MIN_FRAMES]
    roster = session_roster(store, sid)
    frags = fragments(store.track_rows(sid), positions, store.appearance(sid)) if roster is not None else []
    players = []
    for p, (role, label) in zip(seen, roster_roles(seen, frags, roster)):
        t, xy = positions.player(p["track_ids"])
        pose = sorted((s for tid in p["track_ids"] for s in poses.get(tid, [])), key=lambda s: s[0])
        override = (player_profiles or {}).get(label)  # a profile name, or field overrides of the session's
        player_prof = (
            prof
            if override is None
            else get_profile(override)
            if isinstance(override, str)
            else get_profile(profile, override)
        )
        players.append(
            player_kpis(
                t,
                xy,
                profile=player_prof,
                units=units,
                pitch=pitch,
                player=label,
                track_ids=p["track_ids"],
                ids_merged=p["ids_merged"],
                pose=pose or None,
            ).model_copy(update={"role": role})
        )
    frames = session.get("frames") or 0
    summary = SessionSummary(
        schema=SCHEMA,
        session_id=sid,
        device_id=session["device_id"],
        started_at=session["started_at"],
        ended_at=session.get("ended_at"),
        status=session["status"],
        source=session["source"],
        calibration=None if calibration is None else calibration.to_dict(),
        units=units,
        profile=prof.info(),
        models=session.get("models") or {},
        duration_s=round(frames / session["fps"], 3) if session.get("fps") else 0.0,
        players=players,
    )
    return validate_summary(summary.to_json_dict())


def cut_swaps(store, session_id: str) -> int:
    """Cut the tracks that hold two people where their legs change (`identity.swap_cuts`), before the
    positions are read; not kept as the coach's splits. Returns how many cuts."""
    cuts = swap_cuts(store.appearance(session_id, frames=True))
    for tid, frame in sorted(cuts, key=lambda c: (c[0], -c[1])):  # a track's last cut first: its id stays
        store.split_track(session_id, tid, frame, record=False)
    return len(cuts)


def summarize_session(
    store,
    session_id: str,
    *,
    calibration: Calibration | None = None,
    profile: str = "adult",
    stitch: bool = True,
    player_profiles: dict | None = None,
    roster: Roster | None = None,
) -> dict:
    """Stitch and assign (unless told not to), build, validate and store the summary; returns it as JSON
    data. The session's data goes one way: stored boxes → positions → identity → metrics → summary.
    `roster` (`read_roster`) is stored with the session; without one, the one stored before is used."""
    sid = store.resolve_id(session_id)
    if roster is not None:
        store.set_roster(sid, roster.rows())
    if stitch:
        cut_swaps(store, sid)
    positions = read_positions(store, sid, calibration)
    if stitch:
        assign_session(store, sid, positions, roster=session_roster(store, sid))
    # The summary and its outbox message are written in one transaction: sync sends it when it can.
    return store.save_summary(
        session_id,
        build_summary(
            store, sid, calibration=calibration, profile=profile, player_profiles=player_profiles, positions=positions
        ),
        enqueue=True,
    )


def session_questions(store, session_id: str) -> list[dict]:
    """ "Who is this?": the few links of the stored session's players the assignment is least sure of
    (`identity.questions`), with the names the summary gives; [] before the session has a summary."""
    sid = store.resolve_id(session_id)
    summary = store.get_summary(sid)
    if summary is None:
        return []
    calibration = summary_calibration(summary)
    positions = read_positions(store, sid, calibration)
    labels = {frozenset(p["track_ids"]): p["player"] for p in summary["players"]}
    players = [p for p in store.players(sid) if frozenset(p["track_ids"]) in labels]
    # the summary's label, or "Player n" by first sighting as the kiosk's list says it
    names = {
        p["player"]: labels[frozenset(p["track_ids"])]
        if labels[frozenset(p["track_ids"])] != p["player"]
        else f"Player {n}"
        for n, p in enumerate(store.players(sid), 1)
        if frozenset(p["track_ids"]) in labels
    }
    tracks = {t for p in players for t in p["track_ids"]}
    distances = {t: path_length(positions.player([t])[1]) for t in tracks} if calibration is not None else None
    asked = questions(
        fragments(store.track_rows(sid), positions, store.appearance(sid)),
        players,
        metres=calibration is not None,
        distances=distances,
        names=names,
        pinned={int(t) for t, _, _ in store.manual_tracks(sid)},
    )
    return [q.to_dict() for q in asked]


def summary_profile(summary: dict):
    """The profile a summary was made with, the coach's sprint threshold included (the summary
    records thresholds, not the override: it is read back from the sprint zone's lower bound)."""
    info = summary["profile"]
    prof = get_profile(info["name"])
    sprint = info["thresholds"].get("sprint_lower_ms")
    if (
        info["mode"] == "absolute"
        and sprint is not None
        and abs(sprint - prof.info().thresholds["sprint_lower_ms"]) > 1e-3
    ):
        return get_profile(info["name"], {"sprint_kmh": round(sprint * 3.6, 3)})
    return prof


PLAYER_CSV_COLUMNS = (
    "player",
    "role",
    "track_ids",
    "units",
    "distance",
    "top_speed",
    "hsr_distance",
    "sprints",
    "accelerations",
    "decelerations",
    "work_rate_per_min",
    "tracked_time_s",
)


def write_summary(summary: dict, fmt: str, fp) -> None:
    """A summary for a spreadsheet or a club's own tools: `summary` (the JSON document, with its
    feedback) or `players` (CSV, one row per player; speeds in units per second; `role` "other": not one of
    the squad, out of team totals)."""
    if fmt == "summary":
        json.dump(summary, fp, indent=1)
        return
    w = csv.writer(fp, lineterminator="\n")
    w.writerow(PLAYER_CSV_COLUMNS)
    for p in summary["players"]:
        w.writerow(
            (
                p["player"],
                p.get("role", "player"),  # summaries stored before roles have none
                " ".join(map(str, p["track_ids"])),
                summary["units"],
                p["distance"],
                p["top_speed"],
                p["hsr_distance"],
                p["sprint_count"],
                p["acceleration_count"],
                p["deceleration_count"],
                p["work_rate_per_min"],
                p["quality"]["tracked_time_s"],
            )
        )


def team_totals(summary: dict) -> dict:
    """A session's squad figures: what the coach compares from one session to the next (the roster's
    players: people marked "other" are not the squad)."""
    ps = [p for p in summary["players"] if p.get("role", "player") == "player"]
    n = len(ps)
    total = sum(p["distance"] for p in ps)
    return {
        "players": n,
        "duration_s": summary["duration_s"],
        "distance": round(total, 1),
        "distance_per_player": round(total / n, 1) if n else 0.0,
        "top_speed": round(max((p["top_speed"] for p in ps), default=0.0), 2),
        "hsr_distance": round(sum(p["hsr_distance"] for p in ps), 1),
        "sprints": sum(p["sprint_count"] for p in ps),
        "accelerations": sum(p["acceleration_count"] for p in ps),
    }


def compare_sessions(a: dict, b: dict) -> dict:
    """Two summaries side by side: {figure: (a, b, b - a)}. Refuses a metres-vs-pixels comparison."""
    if a["units"] != b["units"]:
        raise AxolotlError(
            "one session is calibrated (metres) and the other is not (pixels): they cannot be compared; "
            "calibrate the pitch and re-run the uncalibrated one"
        )
    ta, tb = team_totals(a), team_totals(b)
    return {k: (ta[k], tb[k], round(tb[k] - ta[k], 2)) for k in ta}


def positions_summary(
    players: dict, *, source: str, device_id: str, profile: str = "adult", rate: float | None = None
) -> dict:
    """The summary of positions that are already in metres (`kpis POSITIONS.csv`)."""
    prof = get_profile(profile)
    out, t_min, t_max = [], np.inf, -np.inf
    for name, (t, xy) in players.items():
        out.append(player_kpis(t, xy, profile=prof, units="m", player=str(name), rate=rate))
        t_min, t_max = min(t_min, float(t[0])), max(t_max, float(t[-1]))
    if not out:
        raise AxolotlError(f"{source} holds no player positions; it needs rows of t,player,x,y")
    now = utc_now_iso("seconds")
    summary = SessionSummary(
        schema=SCHEMA,
        session_id=str(uuid.uuid4()),
        device_id=device_id,
        started_at=now,
        ended_at=now,
        status="completed",
        source=str(Path(source)),
        units="m",
        profile=prof.info(),
        models={},
        calibration={"type": "positions-in-metres", "note": "positions were given on the pitch, in metres"},
        duration_s=round(t_max - t_min, 3),
        players=out,
    )
    return validate_summary(summary.to_json_dict()).to_json_dict()
