"""The post-session metrics engine: one player's positions in, a `PlayerSummary` out.

Definitions (all over the smoothed, gap-aware track from `kinematics.compute_kinematics`):
* distance: sum of the smoothed track's step lengths (gaps that were not interpolated add nothing);
* top speed: the highest smoothed speed;
* zones: time and distance per speed zone, each step assigned by its mean speed; zone bounds in the
  summary's unit per second (m/s);
* hsr_distance: distance at or above the high-speed-running lower bound (the HSR zone *and* the sprint zone);
* sprints, accelerations, decelerations: see `efforts`;
* work rate: distance per minute of tracked time;
* heatmap: fraction of tracked time per cell of the pitch rectangle, rows along y (row 0 at y=0),
  columns along x (column 0 at x=0); positions outside the pitch count in the nearest edge cell;
* quality: tracked time, fraction of expected samples seen, gaps not interpolated, time interpolated,
  outliers dropped, ids merged (given by the caller).

Uncalibrated tracks (units="px"): distance, top speed and work rate in pixels; no outlier check (12.5 m/s
is meaningless in px/s), no zones, sprints, accelerations or heatmap: every threshold is in m/s.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.metrics.efforts import accel_efforts
from edge_app.metrics.efforts import sprints as find_sprints
from edge_app.metrics.kinematics import Filter, Kinematics, SmoothingConfig, compute_kinematics
from edge_app.metrics.pose import pose_kpis
from edge_app.metrics.profiles import ZONE_NAMES, Profile, get_profile
from edge_app.summary import DataQuality, PlayerSummary, ZoneStat


def _as_profile(profile: Profile | str | Mapping | None, base: Profile | None = None) -> Profile:
    if profile is None:
        return base or get_profile("adult")
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, str):
        return get_profile(profile)
    if isinstance(profile, Mapping):  # overrides on the base (session) profile
        return get_profile(base or "adult", dict(profile))
    raise AxolotlError(f"a profile must be a name, a Profile or a dict of overrides, not {type(profile).__name__}")


def heatmap(kin: Kinematics, pitch: tuple[float, float], shape: tuple[int, int] = (6, 10)) -> list[list[float]]:
    """Fraction of tracked time per cell (rows along y from y=0, columns along x from x=0)."""
    length, width = pitch
    rows, cols = shape
    if not kin.segments or length <= 0 or width <= 0 or rows < 1 or cols < 1:
        return []
    xy = np.concatenate([s.xy for s in kin.segments])
    c = np.clip((xy[:, 0] / length * cols).astype(int), 0, cols - 1)
    r = np.clip((xy[:, 1] / width * rows).astype(int), 0, rows - 1)
    grid = np.zeros((rows, cols))
    np.add.at(grid, (r, c), 1.0)
    grid /= grid.sum()
    return [[round(float(v), 5) for v in row] for row in grid]


def player_kpis(
    t: Sequence[float],
    xy: Any,
    *,
    profile: Profile | str | Mapping | None = "adult",
    units: str = "m",
    pitch: tuple[float, float] | None = None,
    heatmap_shape: tuple[int, int] = (6, 10),
    filter: Filter = "butterworth",
    smoothing: SmoothingConfig | None = None,
    rate: float | None = None,
    max_gap_s: float = 1.0,
    ids_merged: int = 0,
    track_ids: Sequence[int] | None = None,
    player: str = "player",
    pose: Sequence | None = None,
) -> PlayerSummary:
    """The official (post-session) KPIs of one player. `t` in seconds, `xy` (n, 2) in metres (or pixels)."""
    prof = _as_profile(profile)
    if units not in ("m", "px"):
        raise AxolotlError(f"units must be 'm' or 'px', not '{units}'")
    metric = units == "m"
    cfg = smoothing or SmoothingConfig(method=filter)
    kin = compute_kinematics(
        t, xy, rate=rate, max_gap_s=max_gap_s, max_speed=prof.max_speed_ms if metric else None, smoothing=cfg
    )
    q = kin.quality
    distance, top = kin.distance, kin.top_speed
    zones: list[ZoneStat] = []
    sprint_list, accs, decs = [], [], []
    hsr = 0.0
    if metric and kin.segments:
        th = prof.thresholds(top)
        lowers = np.array(th.zone_lowers)
        z_time, z_dist = np.zeros(5), np.zeros(5)
        for seg in kin.segments:
            if len(seg.t) < 2:
                continue
            vmid = (seg.v[1:] + seg.v[:-1]) / 2
            idx = np.searchsorted(lowers, vmid, side="right") - 1
            np.add.at(z_time, idx, np.diff(seg.t))
            np.add.at(z_dist, idx, seg.step_distance)
            hsr += float(seg.step_distance[vmid >= th.hsr].sum())
            sprint_list += find_sprints(seg, th)
            a, d = accel_efforts(seg, th)
            accs += a
            decs += d
        uppers = list(lowers[1:]) + [None]
        zones = [
            ZoneStat(
                name=n,
                lower=round(float(lo), 4),
                upper=None if up is None else round(float(up), 4),
                time_s=round(float(zt), 3),
                distance=round(float(zd), 3),
            )
            for n, lo, up, zt, zd in zip(ZONE_NAMES, lowers, uppers, z_time, z_dist)
        ]
    work_rate = distance / (q.tracked_time_s / 60) if q.tracked_time_s > 0 else 0.0
    pose_out = None
    if pose:
        pose_out = pose_kpis(pose, [(s.start_s, s.start_s + s.duration_s) for s in sprint_list])
    return PlayerSummary(
        player=player,
        track_ids=list(track_ids or []),
        distance=round(distance, 3),
        top_speed=round(top, 3),
        zones=zones,
        hsr_distance=round(hsr, 3),
        sprint_count=len(sprint_list),
        sprints=sprint_list,
        acceleration_count=len(accs),
        deceleration_count=len(decs),
        accelerations=accs,
        decelerations=decs,
        work_rate_per_min=round(work_rate, 3),
        heatmap=heatmap(kin, pitch, heatmap_shape) if (metric and pitch) else [],
        pose=pose_out,
        quality=DataQuality(
            tracked_time_s=round(q.tracked_time_s, 3),
            fraction_seen=round(q.fraction_seen, 4),
            gaps=q.gaps,
            gap_time_s=round(q.gap_time_s, 3),
            interpolated_time_s=round(q.interpolated_time_s, 3),
            outliers_dropped=q.outliers_dropped,
            ids_merged=ids_merged,
        ),
    )


def session_kpis(
    players: Mapping[str, Any],
    *,
    profile: Profile | str | Mapping | None = "adult",
    player_profiles: Mapping[str, Profile | str | Mapping] | None = None,
    **kwargs,
) -> list[PlayerSummary]:
    """KPIs for every player of a session.

    `players` maps a name to `(t, xy)` or to a dict with keys t, xy and optionally track_ids, ids_merged, pose.
    `player_profiles` overrides the session profile per player: a profile name, a Profile, or a dict of
    field overrides applied on top of the session profile (e.g. {"mode": "relative"}).
    Other keyword arguments go to `player_kpis` (units, pitch, filter, rate, ...).
    """
    base = _as_profile(profile)
    player_profiles = player_profiles or {}
    out = []
    for name, data in players.items():
        extra: dict = {}
        if isinstance(data, Mapping):
            t, xy = data["t"], data["xy"]
            extra = {k: data[k] for k in ("track_ids", "ids_merged", "pose") if k in data}
        else:
            t, xy = data
        prof = _as_profile(player_profiles.get(name), base) if name in player_profiles else base
        out.append(player_kpis(t, xy, profile=prof, player=str(name), **{**kwargs, **extra}))
    return out
