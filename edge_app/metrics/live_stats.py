"""Running per-player totals for the live screen and the live API: distance, speed, sprints, load.

Fed the causal `LiveSample`s the pipeline already computes (`FrameResult.live`), one player at
a time: keyed by the player key live (a track that breaks and resumes keeps its totals), or a track id. The after-session summary recomputes everything zero-phase from the stored
positions; these figures are the coach's running view, close to it but not the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_app.metrics.kinematics import LiveSample
from edge_app.metrics.profiles import Profile, get_profile

# The load bar is full at this work rate: adult match averages are about 100-120 m/min.
LOAD_FULL_M_PER_MIN = 120.0
MAX_GAP_S = 1.0  # a longer pause is not walked distance (the live filter restarts after it too)


@dataclass
class _Track:
    first_t: float
    last_t: float
    last_xy: tuple[float, float]
    distance: float = 0.0
    speed: float = 0.0
    top_speed: float = 0.0
    sprints: int = 0
    sprint_since: float | None = None  # above the entry threshold since
    sprint_counted: bool = False


class LiveStats:
    """`update(key, sample)` per frame (a player key or a track id), `snapshot()` for the display. Speeds in
    m/s, distance in m."""

    def __init__(self, profile: str | Profile = "adult"):
        th = get_profile(profile).thresholds()
        self.entry, self.exit, self.min_sprint_s = th.sprint_entry, th.sprint_exit, th.sprint_min_duration
        self.tracks: dict = {}  # player key (or track id) -> totals

    def update(self, track_id, s: LiveSample) -> None:
        tr = self.tracks.get(track_id)
        if tr is None:
            self.tracks[track_id] = _Track(s.t, s.t, s.xy, speed=s.speed)
            return
        if s.t - tr.last_t <= MAX_GAP_S:
            tr.distance += float(np.hypot(s.xy[0] - tr.last_xy[0], s.xy[1] - tr.last_xy[1]))
        else:
            tr.sprint_since, tr.sprint_counted = None, False
        tr.last_t, tr.last_xy, tr.speed = s.t, s.xy, s.speed
        tr.top_speed = max(tr.top_speed, s.speed)
        # Entry/exit hysteresis and a minimum duration, as the summary's sprint detection.
        if tr.sprint_since is None:
            if s.speed >= self.entry:
                tr.sprint_since, tr.sprint_counted = s.t, False
        elif s.speed < self.exit:
            tr.sprint_since = None
        if tr.sprint_since is not None and not tr.sprint_counted and s.t - tr.sprint_since >= self.min_sprint_s:
            tr.sprints += 1
            tr.sprint_counted = True

    def update_all(self, live: dict) -> None:
        for tid, sample in live.items():
            self.update(tid if isinstance(tid, str) else int(tid), sample)

    def snapshot(self, track_ids=None) -> dict:
        """Totals of these players (default: every one seen); unknown keys are left out."""
        ids = self.tracks if track_ids is None else [t for t in track_ids if t in self.tracks]
        out = {}
        for tid in ids:
            tr = self.tracks[tid]
            minutes = (tr.last_t - tr.first_t) / 60.0
            rate = tr.distance / minutes if minutes > 0 else 0.0
            out[tid] = {
                "distance": round(tr.distance, 1),
                "speed": round(tr.speed, 2),
                "top_speed": round(tr.top_speed, 2),
                "sprints": tr.sprints,
                "work_rate_per_min": round(rate, 1),
                "load": round(min(rate / LOAD_FULL_M_PER_MIN, 1.0), 3),
            }
        return out
