""" "Who is this?": the few fragment-to-player links the session-wide assignment is least sure of.

For each fragment of a player (a track id), the cost of it joining its own player's other fragments
(the chosen link) is set against the cheapest other player it could be (the runner-up), both with
`assign`'s own costs (appearance + motion, the same gates: seen together is never one person).
A lone fragment's chosen cost is `stay_apart` (the clustering's stop, `MERGE_MAX`): it stayed alone
because every merge was dearer. The margin is runner-up minus chosen; a link within `ASK_MARGIN` is
a question. Questions are ordered by what they move in the numbers (the minutes, then the distance,
the fragment carries), at most `LIMIT` per session: the coach answers a handful, not a list.
The coach's own links (merges, names) are never asked about. Pure: no store, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from edge_app.identity.assign import MERGE_MAX, OVERLAP_S, appearance_cost, motion_cost
from edge_app.identity.stitch import Fragment

ASK_MARGIN = 0.25  # a runner-up this close to the chosen player: worth a tap
LIMIT = 5
MIN_SECONDS = 1.0  # shorter fragments move no number worth a question
CANDIDATES = 3  # player buttons per question, the chosen one first, then others within 2 x ASK_MARGIN


class _Group:
    """A player's fragments, in time order, as `assign`'s cost functions take them."""

    def __init__(self, frags: Sequence[Fragment]):
        self.frags = sorted(frags, key=lambda f: f.first_t)
        self.t0 = np.array([f.first_t for f in self.frags], float)
        self.t1 = np.array([f.last_t for f in self.frags], float)

    def overlaps(self, f: Fragment) -> bool:
        return bool(np.any(np.minimum(self.t1, f.last_t) - np.maximum(self.t0, f.first_t) > OVERLAP_S))


def link_cost(frag: Fragment, group: _Group, *, metres: bool) -> float:
    """What `assign` pays to put `frag` with `group` (`inf`: seen together, or out of reach)."""
    if not group.frags or group.overlaps(frag):
        return float("inf")
    m = motion_cost([frag], group.frags, metres=metres)
    return float("inf") if not np.isfinite(m) else appearance_cost([frag], group.frags) + m


@dataclass(frozen=True)
class Candidate:
    player: str  # store key ("player-3", "track-12")
    name: str  # the name the coach sees
    cost: float


@dataclass(frozen=True)
class Question:
    track_id: int  # the fragment asked about
    player: str  # the player it is in now
    candidates: tuple[Candidate, ...]  # the current player first, then the likeliest others
    margin: float  # runner-up cost minus chosen cost
    minutes: float  # how long the fragment was seen
    metres: float | None  # how far it ran (None without a calibration)

    def to_dict(self) -> dict:
        return {
            "track_id": self.track_id,
            "player": self.player,
            "candidates": [{"player": c.player, "name": c.name, "cost": round(c.cost, 3)} for c in self.candidates],
            "margin": round(self.margin, 3),
            "minutes": round(self.minutes, 2),
            "metres": None if self.metres is None else round(self.metres, 1),
        }


def path_length(xy: np.ndarray) -> float:
    xy = np.asarray(xy, float).reshape(-1, 2)
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum()) if len(xy) > 1 else 0.0


def questions(
    frags: Sequence[Fragment],
    players: Sequence[dict],
    *,
    metres: bool,
    distances: dict[int, float] | None = None,
    names: dict[str, str] | None = None,
    pinned: set[int] | frozenset = frozenset(),
    stay_apart: float = MERGE_MAX,
    ask_margin: float | None = None,
    limit: int = LIMIT,
    min_seconds: float = MIN_SECONDS,
) -> list[Question]:
    """The links worth asking about. `players`: `store.players` rows (player, name, track_ids);
    `distances`: track id -> metres run (calibrated sessions); `names`: player key -> the name shown;
    `pinned`: track ids the coach placed (never asked)."""
    ask_margin = ASK_MARGIN if ask_margin is None else ask_margin
    by_id = {f.track_id: f for f in frags if f.first_t is not None and f.last_t is not None}
    names = names or {}
    groups = []
    for p in players:
        fs = [by_id[t] for t in p["track_ids"] if t in by_id]
        if fs:
            groups.append((p, fs))
    whole = [_Group(fs) for _, fs in groups]
    out = []
    for g, (p, fs) in enumerate(groups):
        for f in fs:
            if f.track_id in pinned or f.last_t - f.first_t < min_seconds:
                continue
            rest = [x for x in fs if x is not f]
            chosen = link_cost(f, _Group(rest), metres=metres) if rest else stay_apart
            others = [(link_cost(f, whole[h], metres=metres), h) for h in range(len(groups)) if h != g]
            others = sorted((c, h) for c, h in others if np.isfinite(c))
            if not others or not np.isfinite(chosen):
                continue
            margin = others[0][0] - chosen
            if margin > ask_margin:
                continue
            cands = [Candidate(p["player"], names.get(p["player"], p["name"] or p["player"]), chosen)]
            for c, h in [x for x in others if x[0] - chosen <= 2 * ask_margin][: CANDIDATES - 1]:
                q = groups[h][0]
                cands.append(Candidate(q["player"], names.get(q["player"], q["name"] or q["player"]), c))
            minutes = (f.last_t - f.first_t) / 60.0
            dist = None if distances is None else distances.get(f.track_id, 0.0)
            out.append(Question(f.track_id, p["player"], tuple(cands), max(margin, 0.0), minutes, dist))
    out.sort(key=lambda q: (-q.minutes, -(q.metres or 0.0), q.margin, q.track_id))
    return out[:limit]
