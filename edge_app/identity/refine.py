"""Who is who, refined: every track given to one of a fixed set of people, moment by moment.

The clustering (`assign`) merges the cheapest pair first and never undoes a merge: on the 10-minute
two-kit renders its groups were 72 % pure and each person was spread over 3-5 of them (IDF1 0.61),
though the tracks under them were 91 % pure. Here the session's people are a fixed set (`count`:
the roster's size, or without one `busiest`, the most long tracks seen at once) and every track is
given to one of them again, with what the whole session says about each:

1. at each moment (between two consecutive track starts or ends) the tracks seen then are different
   people: they are given one to one to the people (Hungarian) by colour cost (as `assign`'s: torso /
   `APP_SCALE` + the legs past one person's spread), plus `LINK_COST` per stitched neighbour (short
   gaps, legs agreeing) given to someone else, plus `STAY` for leaving the person a track has; past
   `NOBODY` a track goes to no one then. A track's person is the one it got for longest; never given,
   it stays as the clustering had it;
2. each person's colours again from their tracks; `ITERATIONS` times;
3. from `STARTS` starting sets of people: the clustering's most-seen groups, then the tracks seen at
   each of the busiest moments (so many different people for sure); the start whose end costs least
   in total (colour over time + `MOTION_S` x each person's hand-overs, as `assign` prices them) wins.
   The total follows the truth: on the mast render 880 from the true people (IDF1 0.91), 1298 from
   the clustering (0.75), 931-956 from busy moments (0.83-0.84); motion is what keeps the
   clustering's answer where colours tie (tests/identity/test_assign.py's teammates in one kit).

Measured (benchmarks/README.md, with `swaps`' cuts): IDF1 of the players 0.61 -> 0.83 on the mast,
0.49 -> 0.71 on the tripod. The coach's tracks are pinned to their players, and a split of theirs
is kept (the later track of a pair put together becomes a row of its own).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment

from edge_app.identity.appearance import histogram_distance
from edge_app.identity.assign import (
    APP_MISSING,
    APP_SCALE,
    LEGS_SAME,
    LEGS_SCALE,
    MOTION_CAP,
    _bhattacharyya_rows,
    _Frags,
    _Kits,
    cluster_histogram,
)
from edge_app.identity.roster import Roster
from edge_app.identity.stitch import Fragment

LINK_COST = 0.3  # per stitched neighbour given to someone else, once every track has a person by colour
LINK_LEGS_MAX = 0.3  # one person's own legs: 90 % of pairs under 0.26 on the mast render
STAY = 0.05  # leaving the person a track has: colour ties keep the clustering's answer
# Dearer than this for every person: given to no one then. Teammates cost 0.3-1.0 on the renders, another kit
# ~2.8; on vtest.avi (passers-by, nobody comes back) 2.0 made 12 people of ~20, 1.2 made 17.
NOBODY = 1.2
ITERATIONS = 4
LONG_S = 10.0  # tracks this long seen at once are that many different people
APART_S = 30.0  # busy moments tried as starts are this far apart
MOTION_S = 10.0  # a hand-over's motion cost weighs as much as this many seconds of colour cost
STARTS = 4  # the clustering's people, then three busy moments'


def busiest(frags: Sequence[Fragment], long_s: float = LONG_S) -> int:
    """The most tracks of at least `long_s` seen at one moment: that many different people at least."""
    _, crowd, _ = _crowds(frags, long_s)
    return int(crowd.max()) if len(crowd) else 0


def _crowds(frags: Sequence[Fragment], long_s: float = LONG_S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, how many tracks of at least `long_s` are seen at each, which tracks are that long): the
    times are those tracks' starts and ends, where the count changes."""
    t0 = np.array([f.first_t for f in frags], float)
    t1 = np.array([f.last_t for f in frags], float)
    long = (t1 - t0) >= long_s
    times = np.unique(np.r_[t0[long], t1[long]])
    return times, np.array([(long & (t0 <= t) & (t1 >= t)).sum() for t in times], int), long


def _colour_costs(frags: Sequence[Fragment], people: list[np.ndarray], legs_weight: float) -> np.ndarray:
    """[track, person]: torso distance / APP_SCALE + the legs past one person's spread (as `assign`)."""
    out = np.zeros((len(frags), len(people)))
    for part, missing in (("hist", APP_MISSING), ("legs", LEGS_SAME)):
        if part == "legs" and not legs_weight:
            break
        protos = [cluster_histogram((frags[k] for k in ks), part) for ks in people]
        d = _distances([getattr(f, part) for f in frags], protos, missing)
        out += d / APP_SCALE if part == "hist" else legs_weight * np.maximum(d - LEGS_SAME, 0.0) / LEGS_SCALE
    return out


def _distances(hists: list, protos: list, missing: float) -> np.ndarray:
    """Bhattacharyya distances (as `histogram_distance`) of every histogram to every prototype, by rows;
    `missing` where either is absent or the sizes differ."""
    root, norm, lens = _bhattacharyya_rows(hists + protos)
    a, b = slice(0, len(hists)), slice(len(hists), None)
    bc = root[a] @ root[b].T / np.maximum(np.outer(norm[a], norm[b]), 1e-12)
    d = np.sqrt(np.clip(1.0 - bc, 0.0, None))
    bad = (lens[a][:, None] == 0) | (lens[b][None, :] == 0) | (lens[a][:, None] != lens[b][None, :])
    return np.where(bad, missing, d)


def refine(
    frags: Sequence[Fragment],
    groups: Sequence[Sequence[int]],
    links: Iterable[Sequence[int]] = (),
    *,
    count: int,
    pinned: Iterable[int] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    roster: Roster | None = None,
    metres: bool = True,
    legs_weight: float = 1.0,
    iterations: int = ITERATIONS,
    starts: int = STARTS,
) -> list[list[int]]:
    """`groups` (track ids, `assign`'s) with every track given again to one of `count` people. `links`:
    chains whose neighbours are likely one person (`stitch`'s); `pinned`: the coach's tracks, never
    moved; `roster`: a track in one kit is never given to a person in another; `starts`: how many
    starting sets of people to try (the clustering's most seen, then the busiest moments')."""
    frags = [f for f in frags if f.first_t is not None and f.last_t is not None]
    idx = {f.track_id: k for k, f in enumerate(frags)}
    n = len(frags)
    group_of = np.full(n, -1)
    for g, ts in enumerate(groups):
        for t in ts:
            if t in idx:
                group_of[idx[t]] = g
    if n == 0 or count < 2:
        return [list(g) for g in groups]
    pins = set(pinned)
    fixed = np.array([f.track_id in pins for f in frags])
    near, kit, moments = _near(frags, links, idx), _kits(frags, roster), _moments(frags)
    best = None
    for label in _starts(frags, group_of, fixed, count, starts):
        label, objective = _iterate(frags, label, fixed, near, kit, moments, legs_weight, iterations)
        objective += MOTION_S * _motion(frags, label, metres)
        if best is None or objective < best[1] - 1e-6:  # a tie keeps the clustering's (the first start)
            best = (label, objective)
    label = best[0]
    _keep_splits(frags, label, cannot_link, idx)
    out: dict = {}
    for k in range(n):  # nobody's: as the clustering had it, apart from the people
        key = ("p", label[k]) if label[k] >= 0 else ("g", group_of[k])
        out.setdefault(key, []).append(frags[k])
    placed = {f.track_id for f in frags}
    result = [[f.track_id for f in sorted(g, key=lambda f: (f.first_t, f.track_id))] for g in out.values()]
    result += [[t for t in g if t not in placed] for g in groups if any(t not in placed for t in g)]
    result.sort(key=lambda g: (frags[idx[g[0]]].first_t if g[0] in idx else np.inf, g[0]))
    return result


def _starts(frags, group_of: np.ndarray, fixed: np.ndarray, count: int, starts: int):
    """Starting labels (person per track, -1: nobody's yet): the clustering's `count` most-seen groups;
    then, per busy moment (the most tracks of `LONG_S` seen at once, `APART_S` apart), the coach's groups,
    each track seen then (so many different people), and the clustering's most seen up to `count`."""
    t0 = np.array([f.first_t for f in frags])
    t1 = np.array([f.last_t for f in frags])
    has = group_of >= 0
    seen = np.bincount(group_of[has], weights=(t1 - t0)[has], minlength=group_of.max() + 1)
    by_seen = [int(g) for g in np.argsort(-seen, kind="stable") if seen[g] > 0]

    def label_of(people: list[np.ndarray]) -> np.ndarray:
        label = np.full(len(frags), -1)
        for j, ks in enumerate(people):
            label[ks] = j
        return label

    yield label_of([np.flatnonzero(group_of == g) for g in by_seen[:count]])
    coach = [np.flatnonzero(group_of == g) for g in sorted(set(group_of[fixed & has].tolist()))]
    times, crowd, long = _crowds(frags)
    picked: list[float] = []
    for i in np.argsort(-crowd, kind="stable"):
        if len(picked) >= starts - 1 or crowd[i] < 2:
            break
        if any(abs(times[i] - t) < APART_S for t in picked):
            continue
        picked.append(times[i])
        people = list(coach)
        taken = set(np.concatenate(people).tolist()) if people else set()
        people += [np.array([k]) for k in np.flatnonzero(long & (t0 <= times[i]) & (t1 >= times[i])) if k not in taken]
        taken |= {int(ks[0]) for ks in people[len(coach) :]}
        for g in by_seen:
            if len(people) >= count:
                break
            ks = np.flatnonzero(group_of == g)
            if not taken & set(ks.tolist()):
                people.append(ks)
                taken |= set(ks.tolist())
        yield label_of(people[: max(count, len(coach))])


def _motion(frags, label: np.ndarray, metres: bool) -> float:
    """Each person's hand-overs in time order (one track's end to the next one's start), their motion
    cost as `assign` prices it, capped (an unreachable one too) at `MOTION_CAP`, summed."""
    fr = _Frags(frags)
    total = 0.0
    for j in np.unique(label[label >= 0]):
        ks = np.flatnonzero(label == j)
        ks = ks[np.argsort(fr.t0[ks], kind="stable")]
        x, y = ks[:-1], ks[1:]
        ok = fr.t0[y] >= fr.t1[x]
        total += float(np.minimum(fr.handover_cost(x[ok], y[ok], metres=metres), MOTION_CAP).sum())
    return total


def _near(frags, links, idx) -> sparse.csr_matrix:
    """The stitched neighbours whose legs agree (the stitching weighs the torso alone), both ways."""
    n = len(frags)
    pairs = [(idx[a], idx[b]) for chain in links for a, b in zip(chain, chain[1:]) if a in idx and b in idx]
    legs = [frags[k].legs for k in range(n)]
    pairs = [  # no legs (a session stored before them): the link stands
        (x, y)
        for x, y in pairs
        if legs[x] is None or legs[y] is None or histogram_distance(legs[x], legs[y]) <= LINK_LEGS_MAX
    ]
    a, b = np.array(pairs, int).reshape(-1, 2).T
    return sparse.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()


def _moments(frags) -> list[tuple[np.ndarray, float]]:
    """(the tracks in view, for how long) between each two consecutive starts or ends: the tracks in view
    do not change in between, so one assignment each, its votes weighted by how long it holds."""
    t0 = np.array([f.first_t for f in frags])
    t1 = np.array([f.last_t for f in frags])
    edges = np.unique(np.r_[t0, t1])
    mids, spans = (edges[1:] + edges[:-1]) / 2, np.diff(edges)
    return [(np.flatnonzero((t0 <= t) & (t1 >= t)), w) for t, w in zip(mids, spans)]


def _iterate(frags, label, fixed, near, kit, moments, legs_weight: float, iterations: int) -> tuple[np.ndarray, float]:
    """Colours, then each moment's one-to-one assignment, `iterations` times: (labels, the last total cost)."""
    n = len(frags)
    caught = np.zeros(n, bool)
    for v, _ in moments:
        caught[v] = True
    m = int(label.max()) + 1
    people = np.arange(m)
    objective = np.inf
    for it in range(iterations):
        cost = _colour_costs(frags, [np.flatnonzero(label == j) for j in people], legs_weight)
        mine = (label[:, None] == people[None, :]).astype(float)  # one-hot; nobody's: a zero row
        if it:  # the links, once every track has a person by colour
            cost += LINK_COST * ((near @ (label >= 0).astype(float))[:, None] - near @ mine)
        cost += STAY * ((label >= 0)[:, None] & (mine == 0))
        person_kit = np.array([_majority(kit[label == j]) for j in people])
        cost[(kit[:, None] >= 0) & (person_kit[None, :] >= 0) & (kit[:, None] != person_kit[None, :])] = np.inf
        cost[fixed] = np.where(mine[fixed] > 0, 0.0, np.inf)
        votes = np.zeros((n, m))
        objective = 0.0
        for v, w in moments:
            big = np.full((len(v), m + len(v)), 1e9)
            big[:, :m] = np.where(np.isfinite(cost[v]), cost[v], 1e9)
            big[:, m:][np.diag_indices(len(v))] = NOBODY
            r, c = linear_sum_assignment(big)
            keep = c < m
            votes[v[r[keep]], c[keep]] += w
            objective += w * float(big[r, c].sum())
        # a track too short for any moment (one frame): its cheapest person
        cheapest = cost.argmin(axis=1)
        ok = ~caught & (cost[np.arange(n), cheapest] < NOBODY)
        votes[np.flatnonzero(ok), cheapest[ok]] = 1.0
        given = votes.max(axis=1) > 0
        # never given (and the coach's): as they started
        new = np.where(given & ~fixed, votes.argmax(axis=1), label)
        if np.array_equal(new, label):
            break
        label = new
    return label, objective


def _kits(frags: Sequence[Fragment], roster: Roster | None) -> np.ndarray:
    """Each track's kit in the roster (-1: none or no roster)."""
    kits = _Kits(roster)
    if not kits.keys:
        return np.full(len(frags), -1)
    code = {k: c for c, k in enumerate(kits.keys)}
    return np.array([code.get(kits.of(f.hist), -1) for f in frags])


def _majority(codes: np.ndarray) -> int:
    codes = codes[codes >= 0]
    return int(np.bincount(codes).argmax()) if len(codes) else -1


def _keep_splits(frags, label, cannot_link, idx) -> None:
    """A pair the coach split, given to one person: the later track becomes a row of its own."""
    for a, b in cannot_link:
        ka, kb = idx.get(a), idx.get(b)
        if ka is not None and kb is not None and label[ka] >= 0 and label[ka] == label[kb]:
            label[kb if (frags[kb].first_t, b) > (frags[ka].first_t, a) else ka] = -1
