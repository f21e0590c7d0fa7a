"""Player identity: re-link the track fragments of one player after the session (issue #3).

ByteTrack gives a new id whenever it loses a player for longer than its buffer (about 3 s):
behind others, out of the frame, or too small at the far end. Per-player KPIs then break.
After the session, `stitch` links the end of one fragment to the start of a later one when

- time: the later one starts after the earlier one ends (never overlapping: two fragments
  seen in the same frame are two people), within `max_gap_s`;
- space: the distance between the earlier one's last ground point and the later one's first
  is reachable at `max_speed` in the gap (plus `slack_m` for position noise). The points are the
  positions stage's (positions/session.py): pitch metres with a calibration (`metres=True`);
  without one, pixels turned into metres with the box height (a person is `PERSON_M`, 1.8 m):
  metres ~= px * 1.8 / box height (the mean of the two boxes' heights);
- appearance: the fragments' mean torso colour histograms are close (Bhattacharyya distance
  <= `max_appearance_distance`).

Each link allowed by those gates gets a cost: appearance / max_appearance_distance +
miss / (typical_speed * gap + slack_m) + 0.5 * gap / max_gap_s, where the miss is the distance
between the two ends each carried half the gap along its heading (`heading_miss`: the plain
distance without velocities; what keeps crossing teammates apart). The distance term uses a
player's *typical* mean speed (2 m/s: ~10 km in 90 min), not the gate's maximum, so that of two
reachable starts the one near where the player vanished wins; the gap term is kept small (a long
gap is less sure, but the distance term already scales with it). The links are chosen globally, as one
assignment of fragment ends to fragment starts (Hungarian, `scipy.optimize.linear_sum_assignment`,
on the usual augmented matrix where "no link" costs `max_cost / 2` per side), so that every
fragment has at most one successor and one predecessor. A lone chain that fits in the gap of a
chosen link, each of its two links passing the gates under `max_cost`, is then put into that gap
(`_fill_gaps`: the assignment prefers skipping it). Chains of links are the players. With a
calibration, a fragment's ends are those of the positions the metrics keep (`fragments`).

Defaults, and why:
- `max_gap_s = 15`: vtest.avi's pair turn round out of the detector's reach for 3 to 9 s; a
  player hidden in a drill or stepping out of the frame is back within seconds. Past ~15 s the
  speed gate no longer constrains anything (15 s x 7 m/s is a whole pitch) and only colour is
  left, which cannot tell teammates in the same kit apart; such absences (a substitution, a
  water break) are left to the coach's merge.
- `max_speed = 7 m/s`: the sprint threshold (25.2 km/h). It bounds the *mean* speed over the
  gap; nobody keeps a sprint up for seconds while unseen (12.5 m/s, the outlier bound of the
  metrics, is an instantaneous one).
- `max_appearance_distance = 0.35`, `max_cost = 1.2`: on vtest.avi the hand-checked re-links
  of one person measure 0.12 to 0.16 (the red-jacket man, the woman in black), the man against
  the woman 0.57 to 0.66; dark coats of different people can come as close as 0.1, so colour
  alone decides nothing. These are the conservative end: a wrong merge corrupts two players'
  KPIs, a missed one costs the coach one tap (`SessionStore.merge_tracks`). On vtest.avi the
  39 ByteTrack ids become 20 groups (about 20 people cross the scene).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from edge_app.identity.appearance import histogram_distance, mean_histogram, split_sample
from edge_app.positions.camera import PERSON_M
from edge_app.positions.session import SessionPositions

_BIG = 1e9


# --------------------------------------------------------------------------- stitching


@dataclass
class Fragment:
    """One track id's stretch of a session, as the stitching pass sees it."""

    track_id: int
    first_frame: int
    last_frame: int
    first_t: float | None
    last_t: float | None
    first_point: tuple[float, float]  # ground point: pitch metres with a calibration, else px (see stitch)
    last_point: tuple[float, float]
    first_height: float  # box height, px, at the first and last frame
    last_height: float
    hist: np.ndarray | None = None  # mean torso histogram
    legs: np.ndarray | None = None  # mean legs histogram (sessions stored with them; None before)
    frames: int = 0  # frames seen
    class_id: int | None = 0
    samples: int = 0  # appearance samples behind `hist`
    extra: dict = field(default_factory=dict)
    # velocity (points' units per s) over the first and last second: the session-wide assignment
    # extrapolates across a gap with it, so two teammates who cross are not taken for each other
    first_velocity: tuple[float, float] = (0.0, 0.0)
    last_velocity: tuple[float, float] = (0.0, 0.0)


def _times(f: Fragment, fps: float | None) -> tuple[float, float]:
    if f.first_t is not None and f.last_t is not None:
        return float(f.first_t), float(f.last_t)
    if not fps:
        raise ValueError(f"fragment {f.track_id} has no times; pass fps")
    return f.first_frame / fps, f.last_frame / fps


def link_costs(
    fragments: Sequence[Fragment],
    *,
    max_gap_s: float = 15.0,
    max_speed: float = 7.0,
    max_appearance_distance: float = 0.35,
    slack_m: float = 1.5,
    typical_speed: float = 2.0,
    fps: float | None = None,
    metres: bool = False,
    cannot_link: Iterable[tuple[int, int]] = (),
) -> np.ndarray:
    """(N, N) cost of linking fragment i's end to fragment j's start; `inf` where a gate forbids it."""
    n = len(fragments)
    cost = np.full((n, n), np.inf)
    if n < 2:
        return cost
    times = np.array([_times(f, fps) for f in fragments])
    gap = times[None, :, 0] - times[:, None, 1]  # [i, j]: j's start - i's end
    ok = (gap > 0) & (gap <= max_gap_s)  # j starts after i's last frame
    cls = [f.class_id for f in fragments]
    for i in range(n):
        for j in range(n):
            if ok[i, j] and cls[i] is not None and cls[j] is not None and cls[i] != cls[j]:
                ok[i, j] = False
    ids = {f.track_id: k for k, f in enumerate(fragments)}
    for a, b in cannot_link:
        if a in ids and b in ids:
            ok[ids[a], ids[b]] = ok[ids[b], ids[a]] = False
    if not ok.any():
        return cost
    ends = np.array([f.last_point for f in fragments], float)
    starts = np.array([f.first_point for f in fragments], float)
    if metres:
        scale = np.ones((n, n))
    else:
        hl = np.array([f.last_height for f in fragments], float)
        hf = np.array([f.first_height for f in fragments], float)
        scale = PERSON_M / np.maximum((hl[:, None] + hf[None, :]) / 2, 1.0)  # metres per px
    dist = np.linalg.norm(ends[:, None, :] - starts[None, :, :], axis=2) * scale
    gap0 = np.maximum(gap, 0)
    ok &= dist <= max_speed * gap0 + slack_m
    app = np.ones((n, n))
    for i, j in zip(*np.nonzero(ok)):
        app[i, j] = histogram_distance(fragments[i].hist, fragments[j].hist)
    ok &= app <= max_appearance_distance
    miss = heading_miss(
        ends[:, None, :],
        np.array([f.last_velocity for f in fragments], float)[:, None, :],
        starts[None, :, :],
        np.array([f.first_velocity for f in fragments], float)[None, :, :],
        gap0,
    )
    c = app / max_appearance_distance + miss * scale / (typical_speed * gap0 + slack_m) + 0.5 * gap0 / max_gap_s
    cost[ok] = c[ok]
    return cost


PREDICT_S = 2.0  # a heading holds for a second or two; past that a player may have turned


def heading_miss(end, v_end, start, v_start, gap) -> np.ndarray:
    """How far apart the two headings put the player halfway through the gap: the end carried forward,
    the start carried back, each by half the gap (at most `PREDICT_S`). Without velocities it is the
    plain distance; for a player who walked on unseen, 0. Two teammates who cross: the nearest start
    after the crossing is the other one's, but it heads the wrong way."""
    tau = np.minimum(np.asarray(gap, float) / 2, PREDICT_S)[..., None]
    return np.linalg.norm((end + v_end * tau) - (start - v_start * tau), axis=-1)


def _assign_global(cost: np.ndarray, max_cost: float) -> list[tuple[int, int]]:
    """Hungarian on [[C, no-link ends], [no-link starts, 0]]: a link is taken only if it beats leaving both free."""
    rows, cols = np.nonzero(np.isfinite(cost))
    if not len(rows):
        return []
    # only the fragments that have a candidate link take part
    ends, starts = np.unique(rows), np.unique(cols)
    sub = cost[np.ix_(ends, starts)]
    ne, ns = sub.shape
    tau = max_cost / 2
    big = np.full((ne + ns, ns + ne), _BIG)
    big[:ne, :ns] = np.where(np.isfinite(sub), sub, _BIG)
    big[:ne, ns:][np.diag_indices(ne)] = tau
    big[ne:, :ns][np.diag_indices(ns)] = tau
    big[ne:, ns:] = 0.0
    r, c = linear_sum_assignment(big)
    return [(int(ends[i]), int(starts[j])) for i, j in zip(r, c) if i < ne and j < ns and big[i, j] < _BIG]


def _assign_greedy(cost: np.ndarray, max_cost: float) -> list[tuple[int, int]]:
    """Cheapest link first, each end and each start used once (for comparison)."""
    rows, cols = np.nonzero(np.isfinite(cost) & (cost < max_cost))
    order = np.argsort(cost[rows, cols], kind="stable")
    used_e, used_s, out = set(), set(), []
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if i not in used_e and j not in used_s:
            used_e.add(i)
            used_s.add(j)
            out.append((i, j))
    return out


def stitch(
    fragments: Sequence[Fragment],
    *,
    max_gap_s: float = 15.0,
    max_speed: float = 7.0,
    max_appearance_distance: float = 0.35,
    slack_m: float = 1.5,
    typical_speed: float = 2.0,
    max_cost: float = 1.2,
    fps: float | None = None,
    metres: bool = False,
    cannot_link: Iterable[tuple[int, int]] = (),
    method: str = "global",
) -> list[list[int]]:
    """Group the fragments that are one person: a list of track-id lists, every fragment in
    exactly one group (singletons included), each group in time order, groups by first frame.

    `fps` is only used for fragments without times (t = frame / fps). `metres`: the fragments'
    points are pitch metres; else pixels, scaled by the box height.
    `cannot_link`: pairs of track ids never to put in one group (e.g. the coach's splits).
    `method`: "global" (Hungarian) or "greedy" (cheapest first; worse, kept for comparison).
    """
    frags = list(fragments)
    cannot = [tuple(p) for p in cannot_link]
    cost = link_costs(
        frags,
        max_gap_s=max_gap_s,
        max_speed=max_speed,
        max_appearance_distance=max_appearance_distance,
        slack_m=slack_m,
        typical_speed=typical_speed,
        fps=fps,
        metres=metres,
        cannot_link=cannot,
    )
    if method == "global":
        links = _assign_global(cost, max_cost)
    elif method == "greedy":
        links = _assign_greedy(cost, max_cost)
    else:
        raise ValueError(f"method must be 'global' or 'greedy', not {method!r}")
    succ = _fill_gaps(dict(links), cost, max_cost)
    has_pred = set(succ.values())
    groups: list[list[int]] = []
    for k in sorted(range(len(frags)), key=lambda k: (frags[k].first_frame, frags[k].track_id)):
        if k in has_pred:
            continue
        chain = [k]
        while chain[-1] in succ:
            chain.append(succ[chain[-1]])
        groups.extend(_cut(chain, cost, frags, cannot))
    groups.sort(key=lambda g: (frags[g[0]].first_frame, frags[g[0]].track_id))
    return [[frags[k].track_id for k in g] for g in groups]


def _fill_gaps(succ: dict[int, int], cost: np.ndarray, max_cost: float) -> dict[int, int]:
    """Put a lone chain back into the gap of a link that skips it.

    The assignment weighs a -> X -> b (two links, each ~1 with a bunch's torso colours) against
    a -> b plus X left alone (`max_cost / 2` per free side), and so skips fragments seen in a
    link's gap: on the harness's tripod one player's 4 fragments became two players (-43 %).
    But a skip says the player went unseen for the whole gap while someone who passes every
    gate at both ends, where they must have been, was seen in it: that is the player. A chain X
    (no predecessor, no successor) goes into a link's gap when both new links pass the gates
    and cost under `max_cost` (each would be taken on its own); the cheapest first, until none."""
    succ = dict(succ)
    ok = cost < max_cost  # gates passed (else inf) and cheap enough
    heads = [int(h) for h in np.flatnonzero(ok.any(axis=0))]  # fragments some end could link to
    while True:
        has_pred = set(succ.values())
        fits = []
        for h in heads:
            if h in has_pred:
                continue
            z = h
            while z in succ:
                z = succ[z]
            # a's own chain never fits its gap: its head starts before a ends (infinite cost)
            fits += [
                (cost[a, h] + cost[z, succ[a]], a, h, z)
                for a in map(int, np.flatnonzero(ok[:, h]))
                if a in succ and ok[z, succ[a]]
            ]
        if not fits:
            return succ
        _, a, h, z = min(fits)
        b = succ[a]
        succ[a], succ[z] = h, b


def _cut(chain: list[int], cost: np.ndarray, frags: Sequence[Fragment], cannot: list[tuple]) -> list[list[int]]:
    """Break a chain at its dearest link until no cannot-link pair shares a piece."""
    bad = {frozenset(p) for p in cannot}
    if not bad:
        return [chain]
    ids = [frags[k].track_id for k in chain]
    clash = any(frozenset((a, b)) in bad for x, a in enumerate(ids) for b in ids[x + 1 :])
    if not clash or len(chain) < 2:
        return [chain]
    worst = max(range(len(chain) - 1), key=lambda x: cost[chain[x], chain[x + 1]])
    return _cut(chain[: worst + 1], cost, frags, cannot) + _cut(chain[worst + 1 :], cost, frags, cannot)


def fragments(track_rows, positions: SessionPositions, appearance: dict[int, list] | None = None) -> list[Fragment]:
    """Each person track with positions as a `Fragment`. `track_rows`: (track_id, class_id, first_frame,
    last_frame, first_t, last_t, frames) (`store.track_rows`); `appearance`: per track its torso
    histograms (`store.appearance`).

    The ends are the track's first and last positions (ghost ends dropped, hidden feet under the head)
    and, with a calibration, those of the samples the metrics keep: the last box or two of a track
    lost in a bunch often takes in the player in front, or jumps onto them, and its ground point lands
    metres off (1.7-3.8 m on the harness's tripod), which priced the player's own next fragment out of
    the speed gate. Those samples are not the player's, so they do not count as the fragment seen."""
    appearance = appearance or {}
    out = []
    for tid, cls, ff, lf, _, _, n in track_rows:
        tr = positions.tracks.get(int(tid))
        if cls not in (None, 0) or tr is None or not len(tr):
            continue
        ends = np.flatnonzero(tr.kept) if tr.kept.any() else np.arange(len(tr))
        a, b = ends[0], ends[-1]
        parts = [split_sample(h) for h in appearance.get(int(tid), [])]
        hs = [h for h, _ in parts]
        sizes = {len(h) for h in hs}
        if len(sizes) > 1:  # a histogram layout changed mid-session: keep the commonest
            common = max(sizes, key=lambda k: sum(len(h) == k for h in hs))
            hs = [h for h in hs if len(h) == common]
        out.append(
            Fragment(
                track_id=int(tid),
                first_frame=int(ff),
                last_frame=int(lf),
                first_t=float(tr.t[a]),
                last_t=float(tr.t[b]),
                first_point=tuple(tr.points[a]),
                last_point=tuple(tr.points[b]),
                first_height=float(tr.height[a]),
                last_height=float(tr.height[b]),
                hist=mean_histogram(hs),
                legs=mean_histogram(g for _, g in parts if g is not None),
                frames=int(n),
                class_id=cls,
                samples=len(hs),
                first_velocity=end_velocity(tr.t[ends], tr.points[ends], first=True),
                last_velocity=end_velocity(tr.t[ends], tr.points[ends], first=False),
            )
        )
    return out


VELOCITY_WINDOW_S = 1.0  # a player keeps a heading for about a second; longer mixes in turns


def end_velocity(t: np.ndarray, xy: np.ndarray, *, first: bool) -> tuple[float, float]:
    """The least-squares velocity over the first (or last) `VELOCITY_WINDOW_S` of a track; (0, 0)
    when under 3 finite samples or 0.3 s span there (too short to say where the player was heading)."""
    t, xy = np.asarray(t, float), np.asarray(xy, float)
    if not len(t):
        return (0.0, 0.0)
    m = (t <= t[0] + VELOCITY_WINDOW_S) if first else (t >= t[-1] - VELOCITY_WINDOW_S)
    m &= np.isfinite(xy).all(axis=1)
    if m.sum() < 3 or np.ptp(t[m]) < 0.3:
        return (0.0, 0.0)
    tt = t[m] - t[m].mean()
    v = (tt[:, None] * (xy[m] - xy[m].mean(axis=0))).sum(axis=0) / (tt**2).sum()
    return (float(v[0]), float(v[1]))


def stitch_session(store, session_id: str, positions: SessionPositions, **params) -> list[list[int]]:
    """Stitch the people of a stored session from its positions (`positions.read_positions`), store the
    groups (the coach's edits win). Returns every group (singletons included). `params` go to `stitch`."""
    sid = store.resolve_id(session_id)
    frags = fragments(store.track_rows(sid), positions, store.appearance(sid))
    groups = stitch(
        frags,
        fps=store.get_session(sid).get("fps"),
        metres=positions.calibration is not None,
        cannot_link=store.cannot_link(sid),
        **params,
    )
    store.assign_players(sid, groups, source="stitch")
    return groups
