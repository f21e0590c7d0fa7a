"""Who is who for a whole session: the stitched chains clustered into people, at any gap.

`stitch` links fragments at most 15 s apart: precise chains, but a player out of view for 20 s
comes back as someone new (24 people became 48 on a one-minute render). Here the chains are
clustered into people by constrained agglomerative clustering (the offline re-id step):

- cannot-link: chains seen at the same time (overlap beyond `OVERLAP_S`, a frame or two of
  ghost), the coach's splits, two different players of the coach's (names, merges), two
  different kits of the roster;
- must-link: the coach's players (a merge, a name): their tracks start as one cluster, so merging
  fragment A (player X) with B brings B's whole chain, and whatever joins it, to X;
- linkage cost = appearance + motion, recomputed for the merged cluster after every merge:
  appearance = Bhattacharyya distance of the clusters' mean torso histograms / `APP_SCALE`
  (0.35, the stitching's gate: one person 0.12-0.16 on vtest, two people 0.57+, but teammates
  in one kit as close as 0.1, so colour splits kits, not people); motion = over every hand-over
  from one cluster to the other in time (x ends, y starts, gap g), a hard gate: the distance
  must be reachable at `MAX_SPEED` in g (+ `SLACK_M`), binding only for short gaps (past ~15 s
  anyone can be anywhere), and a soft term: how far apart the two ends' headings put the player
  halfway through the gap (`stitch.heading_miss`) / the reach (`TYPICAL_SPEED` x g + `SLACK_M`,
  at most `REACH_CAP_M`), capped at `MOTION_CAP`, the worst hand-over taken. The reach's cap is
  what keeps long gaps from looking free: without it 15 m after 2 minutes costs 0.06, less than
  a player's own 4 m after 20 s (0.1), and teammates in a drill swap places; with it a player
  back near where they were (drills keep zones) is likelier than one a pitch third away. The heading is what keeps two teammates who cross apart: the
  nearest start after a crossing is the other player's.
- legs: sessions stored with the legs' colours (`appearance.LEGS_BAND`: shorts, socks) add
  (distance - `LEGS_SAME`) / `LEGS_SCALE` where it is over one person's own spread: in bibs the
  torso tells the team only, the legs the teammate.
- stop: without a roster at the first merge dearer than `MERGE_MAX` (1.2: one person's colours
  at 0.16 plus a hand-over missed by half the distance a player covers, plus their legs' spread;
  two teammates a pitch third apart 20 s later cost 0.7 in motion alone, so they are kept apart
  by being seen together and by their legs; the maximum number of chains seen at once is a lower
  bound it cannot go under). Chosen on the 10-minute session renders and the synthetic sessions
  (0.9 before the legs: more rows, lower IDF1 on both; benchmarks/README.md). With a roster of N, then, merging goes on within each kit (all of them
  when the roster gives no colours) down to the kit's number of players, at most up to
  `ROSTER_MAX` (2.5: never two colours); `roster_roles` then calls the N most seen in the
  roster's kits the players and the rest (referee, coaches, passers-by) "other".

Speed: a cluster's cost against every other at once (`_Frags.motion_row`: the hand-overs found by
`searchsorted` in time order, numpy over all of them; colour by rows), the row minima kept across
merges: 2002 chains of a synthetic 90-min session in ~5 s (14 s with a roster), the same groups as the
pair-by-pair loop (287 chains: 7.1 s -> 0.2 s). `strong_link` cuts the stitched links dearer than it
and leaves the pieces to the clustering: measured worse on the synthetic sessions (benchmarks/
bench_identity.py; at 0.7 and below, fewer pure people, lower IDF1), so off (`inf`) by default.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from edge_app.identity.appearance import histogram_distance
from edge_app.identity.roster import Roster, bib_histogram
from edge_app.identity.stitch import Fragment, heading_miss
from edge_app.positions.camera import PERSON_M

OVERLAP_S = 0.1  # seen together longer than this: two people
APP_SCALE = 0.35
APP_MISSING = 0.5  # a cluster without a histogram: colour says neither yes nor no
MAX_SPEED = 7.0  # m/s, mean over a gap (the stitching's gate)
TYPICAL_SPEED = 2.0
SLACK_M = 1.5
MOTION_CAP = 1.0
REACH_CAP_M = 30.0  # past ~15 s the reach is a pitch third: nearer is likelier, farther no worse than that
MERGE_MAX = 1.2
ROSTER_MAX = 2.5
STRONG_LINK = np.inf  # a stitched link dearer than this (as a pair) is left to the clustering
BIB_GATE = 0.6  # farther than this from every kit of the roster: not in the roster's colours
# The legs (appearance.LEGS_BAND) between teammates in one kit: a cost only past one person's own spread.
LEGS_SAME = 0.15
LEGS_SCALE = 0.35
LEGS_WEIGHT = 1.0


def cluster_histogram(frags: Iterable[Fragment], part: str = "hist") -> np.ndarray | None:
    """The mean torso histogram of fragments (`part="legs"`: the legs'), each weighted by its samples
    (at least 1)."""
    hs = [(np.asarray(getattr(f, part), np.float64), max(f.samples, 1)) for f in frags if getattr(f, part) is not None]
    sizes = {len(h) for h, _ in hs}
    if not hs or len(sizes) > 1:
        return None
    m = sum(h * w for h, w in hs)
    return (m / m.sum()).astype(np.float32) if m.sum() > 0 else None


def appearance_cost(a: Sequence[Fragment], b: Sequence[Fragment]) -> float:
    """Two clusters' colour distance / `APP_SCALE` (`APP_MISSING` where one has no histogram)."""
    ha, hb = cluster_histogram(a), cluster_histogram(b)
    if ha is None or hb is None:
        return APP_MISSING / APP_SCALE
    return histogram_distance(ha, hb) / APP_SCALE


def motion_cost(a: Sequence[Fragment], b: Sequence[Fragment], *, metres: bool) -> float:
    """The worst hand-over between two clusters' fragments in time order (`inf`: one is unreachable)."""
    fr = _Frags([*a, *b])
    label = np.r_[np.zeros(len(a), int), np.ones(len(b), int)]
    mine = np.array(sorted(range(len(a)), key=lambda k: (fr.t0[k], k)), int)
    return float(fr.motion_row(mine, label, np.array([False, True]), metres=metres)[1])


class _Kits:
    """The roster's colours: which kit a histogram is in (None: none within `BIB_GATE`)."""

    def __init__(self, roster: Roster | None):
        kits = roster.kits() if roster is not None else {}
        self.keys = list(kits)
        self.hists = [bib_histogram(c) for c, _, _ in kits.values()]
        self.size = {k: n for k, (_, n, _) in kits.items()}
        self.names = {k: name for k, (_, _, name) in kits.items()}
        self.unkitted = roster.unkitted() if roster is not None else 0

    def of(self, hist) -> str | None:
        if hist is None or not self.keys:
            return None
        d = [histogram_distance(hist, h) for h in self.hists]
        k = int(np.argmin(d))
        return self.keys[k] if d[k] <= BIB_GATE else None

    def target(self, kit: str | None) -> int:
        return self.size[kit] if kit is not None else self.unkitted


def _strong(frags, fr: "_Frags", chains, limit: float, *, metres: bool) -> list[list[int]]:
    """The chains cut at every stitched link dearer than `limit` (colour / `APP_SCALE` + the hand-over's
    motion, as a pair of fragments): the pieces are left to the clustering, whole-session evidence."""
    idx = {f.track_id: k for k, f in enumerate(frags)}
    out = []
    for chain in chains:
        ks = [idx[t] for t in chain if t in idx]
        if len(ks) < 2 or not np.isfinite(limit):
            out.append(list(chain))
            continue
        x, y = np.array(ks[:-1]), np.array(ks[1:])
        app = np.array([histogram_distance(frags[a].hist, frags[b].hist) for a, b in zip(x, y)]) / APP_SCALE
        cut = np.flatnonzero(app + fr.handover_cost(x, y, metres=metres) > limit) + 1
        out += [[frags[k].track_id for k in piece] for piece in np.split(np.array(ks), cut)]
    return out


def _initial(frags: Sequence[Fragment], chains, owners: dict[int, int]) -> list[list[int]]:
    """Chains joined by the coach's players (must-link), as lists of fragment indices; a stitched
    link between two different players of the coach's is not taken (the coach wins)."""
    idx = {f.track_id: k for k, f in enumerate(frags)}
    parent = list(range(len(frags)))
    owner = {idx[t]: p for t, p in owners.items() if t in idx}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a, b) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or (ra in owner and rb in owner and owner[ra] != owner[rb]):
            return
        parent[rb] = ra
        if rb in owner:
            owner.setdefault(ra, owner[rb])

    by_owner: dict[int, list[int]] = {}
    for k, p in list(owner.items()):
        by_owner.setdefault(p, []).append(k)
    for ks in by_owner.values():
        for k in ks[1:]:
            union(ks[0], k)
    for chain in chains:
        ks = [idx[t] for t in chain if t in idx]
        for a, b in zip(ks, ks[1:]):
            union(a, b)
    groups: dict[int, list[int]] = {}
    for k in range(len(frags)):
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())


class _Frags:
    """The fragments as arrays (index k = the k-th fragment), for the hand-overs of many clusters at once."""

    def __init__(self, frags: Sequence[Fragment]):
        self.t0 = np.array([f.first_t for f in frags], float)
        self.t1 = np.array([f.last_t for f in frags], float)
        self.p0 = np.array([f.first_point for f in frags], float).reshape(-1, 2)
        self.p1 = np.array([f.last_point for f in frags], float).reshape(-1, 2)
        self.v0 = np.array([f.first_velocity for f in frags], float).reshape(-1, 2)
        self.v1 = np.array([f.last_velocity for f in frags], float).reshape(-1, 2)
        self.h0 = np.array([f.first_height for f in frags], float)
        self.h1 = np.array([f.last_height for f in frags], float)
        self.by_time = np.argsort(self.t0, kind="stable")

    def handover_cost(self, x: np.ndarray, y: np.ndarray, *, metres: bool) -> np.ndarray:
        """Per hand-over x -> y (fragment indices): `motion_cost`'s term, `inf` past the speed gate."""
        gap = np.maximum(self.t0[y] - self.t1[x], 0.0)
        scale = 1.0 if metres else PERSON_M / np.maximum((self.h1[x] + self.h0[y]) / 2, 1.0)
        raw = np.linalg.norm(self.p0[y] - self.p1[x], axis=1) * scale
        miss = heading_miss(self.p1[x], self.v1[x], self.p0[y], self.v0[y], gap) * scale
        reach = np.minimum(TYPICAL_SPEED * gap + SLACK_M, REACH_CAP_M)
        c = np.minimum(miss / reach, MOTION_CAP)
        return np.where(raw > MAX_SPEED * gap + SLACK_M, np.inf, c)

    def motion_row(self, mine: np.ndarray, label: np.ndarray, cand: np.ndarray, *, metres: bool) -> np.ndarray:
        """`motion_cost` of one cluster (its fragments `mine`, in time order) against every cluster
        `cand` marks (`label`: each fragment's cluster), at once: in the two clusters' merged time order
        a hand-over is a fragment of the other's that follows one of ours, or precedes one (0 where none)."""
        out = np.zeros(len(cand))
        g = self.by_time[cand[label[self.by_time]]]  # the candidates' fragments in time order...
        g = g[np.argsort(label[g], kind="stable")]  # ...grouped by cluster
        if not len(g) or not len(mine):
            return out
        lab = label[g]
        new = np.r_[True, lab[1:] != lab[:-1]]
        end = np.r_[lab[1:] != lab[:-1], True]
        k = np.searchsorted(self.t0[mine], self.t0[g], side="right")  # ours that start first (ties: ours)
        into = (k >= 1) & (new | (np.r_[-1, k[:-1]] != k))  # ours k-1 -> g
        outof = (k < len(mine)) & (end | (np.r_[k[1:], -1] != k))  # g -> ours k
        x = np.r_[mine[k[into] - 1], g[outof]]
        y = np.r_[g[into], mine[k[outof]]]
        np.maximum.at(out, np.r_[lab[into], lab[outof]], self.handover_cost(x, y, metres=metres))
        return out


def _overlaps(fr: _Frags, label: np.ndarray, n: int) -> np.ndarray:
    """[i, j]: clusters i and j hold fragments seen together for more than `OVERLAP_S` (a sweep in time)."""
    out = np.zeros((n, n), bool)
    order = fr.by_time
    t0, t1 = fr.t0[order], fr.t1[order]
    for k in range(len(order)):
        # the later-starting fragments that start before this one ends
        stop = np.searchsorted(t0, t1[k] - OVERLAP_S, side="left")
        if stop <= k + 1:
            continue
        js = np.arange(k + 1, stop)
        js = js[np.minimum(t1[k], t1[js]) - t0[js] > OVERLAP_S]
        ca, cb = label[order[k]], label[order[js]]
        out[ca, cb] = out[cb, ca] = True
    out[np.diag_indices(n)] = False
    return out


def _bhattacharyya_rows(hists: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sqrt(histogram), its sum's sqrt, and each one's length (0: none), for `histogram_distance` by rows."""
    size = max((len(h) for h in hists if h is not None), default=1)
    root = np.zeros((len(hists), size))
    lens = np.zeros(len(hists), int)
    for k, h in enumerate(hists):
        if h is not None:
            root[k, : len(h)] = np.sqrt(np.asarray(h, np.float64))
            lens[k] = len(h)
    return root, np.sqrt((root**2).sum(axis=1)), lens


def assign(
    frags: Sequence[Fragment],
    chains: Iterable[Sequence[int]],
    *,
    metres: bool = False,
    owners: dict[int, int] | None = None,
    cannot_link: Iterable[tuple[int, int]] = (),
    roster: Roster | None = None,
    merge_max: float = MERGE_MAX,
    roster_max: float = ROSTER_MAX,
    weights: tuple[float, float] = (1.0, 1.0),
    strong_link: float = STRONG_LINK,
    legs_weight: float = LEGS_WEIGHT,
) -> list[list[int]]:
    """The people of a session: groups of track ids (each in time order, groups by first sighting).

    `chains`: `stitch`'s groups; `owners`: track id -> the coach's player id (their merges and names,
    must-link); `cannot_link`: track-id pairs never one person (the coach's splits); `roster`: the
    number of players (and kits) to aim at; `weights`: (appearance, motion), to measure each cue."""
    frags = [f for f in frags if f.first_t is not None and f.last_t is not None]
    if not frags:
        return []
    owners = owners or {}
    kits = _Kits(roster)
    fr = _Frags(frags)
    chains = _strong(frags, fr, chains, strong_link, metres=metres)
    members = [np.array(sorted(ks, key=lambda k: (fr.t0[k], k)), int) for ks in _initial(frags, chains, owners)]
    n = len(members)
    label = np.empty(len(frags), int)
    for c, ks in enumerate(members):
        label[ks] = c
    hists = [cluster_histogram(frags[k] for k in ks) for ks in members]
    owner = [next((owners[frags[k].track_id] for k in ks if frags[k].track_id in owners), None) for ks in members]
    kit = [kits.of(h) for h in hists]
    kit_index = {k: c for c, k in enumerate(kits.keys)}
    owner_code = np.array([-1 if o is None else o for o in owner])
    kit_code = np.array([kit_index.get(k, -1) for k in kit])
    root, norm, lens = _bhattacharyya_rows(hists)
    legs = [cluster_histogram((frags[k] for k in ks), "legs") for ks in members]
    lroot, lnorm, llens = _bhattacharyya_rows(legs)
    forbid = _overlaps(fr, label, n)
    for a, b in cannot_link:
        ia, ib = (next((label[k] for k, f in enumerate(frags) if f.track_id == t), None) for t in (a, b))
        if ia is not None and ib is not None and ia != ib:
            forbid[ia, ib] = forbid[ib, ia] = True
    alive = np.ones(n, bool)
    w_app, w_mot = weights
    limit_max = max(merge_max, roster_max if roster is not None else merge_max)

    def row(i: int, upper: bool = False) -> np.ndarray:
        """Cluster i's linkage cost to every cluster (`upper`: to the later indices only)."""
        blocked = forbid[i] | ~alive
        if upper:
            blocked[: i + 1] = True
        blocked[i] = True
        for code in (owner_code, kit_code):  # two players of the coach's, two kits
            if code[i] >= 0:
                blocked |= (code >= 0) & (code != code[i])
        if lens[i] == 0:
            app = np.full(n, APP_MISSING / APP_SCALE)
        else:
            bc = root @ root[i] / np.maximum(norm * norm[i], 1e-12)
            app = np.sqrt(np.clip(1.0 - bc, 0.0, None)) / APP_SCALE
            app[lens != lens[i]] = 1.0 / APP_SCALE
            app[lens == 0] = APP_MISSING / APP_SCALE
        app = w_app * app
        if legs_weight and llens[i]:  # teammates in one kit: their legs differ where their bibs do not
            bc = lroot @ lroot[i] / np.maximum(lnorm * lnorm[i], 1e-12)
            d = np.sqrt(np.clip(1.0 - bc, 0.0, None))
            app = app + legs_weight * np.where(llens == llens[i], np.maximum(d - LEGS_SAME, 0.0) / LEGS_SCALE, 0.0)
        out = np.where(blocked, np.inf, app)
        need = ~blocked & (app <= limit_max)  # dearer: never taken whatever the motion (>= 0)
        if need.any():
            m = fr.motion_row(members[i], label, need, metres=metres)[need]
            out[need] = np.where(np.isfinite(m), app[need] + w_mot * m, np.inf)
        return out

    cost = np.full((n, n), np.inf)
    for i in range(n):
        r = row(i, upper=True)
        cost[i, i + 1 :] = r[i + 1 :]
    cost = np.minimum(cost, cost.T)

    def merge(i: int, j: int) -> None:
        members[i] = np.array(sorted(np.r_[members[i], members[j]], key=lambda k: (fr.t0[k], k)), int)
        label[members[j]] = i
        hists[i] = cluster_histogram(frags[k] for k in members[i])
        if hists[i] is not None:
            root[i, :] = 0.0
            root[i, : len(hists[i])] = np.sqrt(np.asarray(hists[i], np.float64))
        norm[i], lens[i] = np.sqrt((root[i] ** 2).sum()), 0 if hists[i] is None else len(hists[i])
        legs[i] = cluster_histogram((frags[k] for k in members[i]), "legs")
        if legs[i] is not None:
            lroot[i, :] = 0.0
            lroot[i, : len(legs[i])] = np.sqrt(np.asarray(legs[i], np.float64))
        lnorm[i], llens[i] = np.sqrt((lroot[i] ** 2).sum()), 0 if legs[i] is None else len(legs[i])
        owner[i] = owner[i] if owner[i] is not None else owner[j]
        kit[i] = kits.of(hists[i]) if (kit[i] or kit[j]) is None else (kit[i] or kit[j])
        owner_code[i], kit_code[i] = -1 if owner[i] is None else owner[i], kit_index.get(kit[i], -1)
        forbid[i] |= forbid[j]
        forbid[:, i] |= forbid[:, j]
        alive[j] = False
        cost[j, :] = cost[:, j] = np.inf
        cost[i, :] = cost[:, i] = row(i)

    def agglomerate(limit: float, keyed: bool = False) -> None:
        """Cheapest merge first while under `limit`; `keyed`: only within a kit over its number of players."""

        def masked():
            if not keyed:
                return cost, None
            key = [kit[c] if alive[c] else None for c in range(n)]
            count: dict = {}
            for c in np.flatnonzero(alive):
                count[key[c]] = count.get(key[c], 0) + 1
            over = {k for k, m in count.items() if m > kits.target(k)}
            ids = {k: m for m, k in enumerate(over)}
            code = np.array([ids[k] if alive[c] and k in over else -1 for c, k in enumerate(key)])
            ok = (code[:, None] == code[None, :]) & (code[:, None] != -1)
            return np.where(ok, cost, np.inf), (tuple(key), frozenset(over))

        eff, state = masked()
        best, arg = eff.min(axis=1), eff.argmin(axis=1)
        while True:
            i = int(np.argmin(best))
            j = int(arg[i])
            if not np.isfinite(best[i]) or best[i] > limit:
                return
            a, b = min(i, j), max(i, j)
            merge(a, b)
            if keyed:
                eff, new = masked()
                if new != state:
                    state = new
                    best, arg = eff.min(axis=1), eff.argmin(axis=1)
                    continue
                state = new
            best[b] = np.inf
            best[a], arg[a] = eff[a].min(), eff[a].argmin()
            stale = (arg == a) | (arg == b)
            stale[a] = False
            if stale.any():
                best[stale], arg[stale] = eff[stale].min(axis=1), eff[stale].argmin(axis=1)
            col = eff[:, a]
            better = (col < best) | ((col == best) & (a < arg))
            best[better], arg[better] = col[better], a

    agglomerate(merge_max)
    if roster is not None:  # then, per kit, down to its number of players: the cheapest merges in the kit
        agglomerate(roster_max, keyed=True)
    groups = [
        sorted((frags[k] for k in members[c]), key=lambda f: (f.first_t, f.track_id)) for c in np.flatnonzero(alive)
    ]
    groups.sort(key=lambda g: (g[0].first_t, g[0].track_id))
    return [[f.track_id for f in g] for g in groups]


def roster_roles(players: Sequence[dict], frags: Sequence[Fragment], roster: Roster | None) -> list[tuple[str, str]]:
    """(role, label) per player (`store.players` rows: track_ids, name, player, role): with a roster, in each
    kit the coach's named players and then the most seen, up to the kit's number of players, are
    "player", labelled by the coach's name, the name a kit of one gives, or "Player k" (k by first
    sighting); the rest are "other" (referee, coaches, passers-by), under their store key. Without a
    roster every one is a player, under the coach's name or the store key. The coach's own role wins:
    'other' ("Not a player") is other under its name or key and takes no kit's place; 'player' is a
    player even past its kit's number."""
    coach = [p.get("role") for p in players]
    if roster is None:
        return [(r or "player", p["name"] or p["player"]) for r, p in zip(coach, players)]
    kits = _Kits(roster)
    by_id = {f.track_id: f for f in frags}
    info = []
    for k, p in enumerate(players):
        if coach[k] == "other":
            continue
        fs = [by_id[t] for t in p["track_ids"] if t in by_id]
        seen = sum(f.last_t - f.first_t for f in fs)
        first = min((f.first_t for f in fs), default=np.inf)
        info.append((k, kits.of(cluster_histogram(fs)), seen, first))
    role = ["other"] * len(players)
    name = [p["name"] for p in players]
    for key in {kit for _, kit, _, _ in info}:
        members = sorted(
            (x for x in info if x[1] == key),
            key=lambda x: (coach[x[0]] != "player", players[x[0]]["name"] is None, -x[2], x[3]),
        )
        for n, (k, *_) in enumerate(members):
            if n < kits.target(key) or coach[k] == "player":
                role[k] = "player"
                if name[k] is None and key is not None and n < kits.target(key):  # a kit of one's name, once
                    name[k] = kits.names.get(key)
    unnamed = sorted((x[3], x[0]) for x in info if role[x[0]] == "player" and name[x[0]] is None)
    for n, (_, k) in enumerate(unnamed, start=1):
        name[k] = f"Player {n}"
    return [
        (r, nm if r == "player" else (p["name"] if c == "other" and p["name"] else p["player"]))
        for r, c, nm, p in zip(role, coach, name, players)
    ]
