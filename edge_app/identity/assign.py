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
- stop: without a roster at the first merge dearer than `MERGE_MAX` (0.9: one person's colours
  at 0.16 plus a hand-over missed by half the distance a player covers; two teammates a pitch
  third apart 20 s later cost 0.7 in motion alone, so they are kept apart by being seen together,
  and the estimate is conservative: the maximum number of chains seen at once is a lower bound
  it cannot go under). With a roster of N, then, merging goes on within each kit (all of them
  when the roster gives no colours) down to the kit's number of players, at most up to
  `ROSTER_MAX` (2.5: never two colours); `roster_roles` then calls the N most seen in the
  roster's kits the players and the rest (referee, coaches, passers-by) "other".
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
MERGE_MAX = 0.9
ROSTER_MAX = 2.5
BIB_GATE = 0.6  # farther than this from every kit of the roster: not in the roster's colours


@dataclass
class _Cluster:
    """A would-be person: fragments as arrays (for the hand-overs), summed histogram, owner."""

    frags: list[Fragment]
    owner: int | None = None  # the coach's player id
    kit: str | None = None
    t0: np.ndarray = field(init=False)
    t1: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.frags.sort(key=lambda f: f.first_t)
        fs = self.frags
        self.t0 = np.array([f.first_t for f in fs], float)
        self.t1 = np.array([f.last_t for f in fs], float)
        self.p0 = np.array([f.first_point for f in fs], float).reshape(-1, 2)
        self.p1 = np.array([f.last_point for f in fs], float).reshape(-1, 2)
        self.v0 = np.array([f.first_velocity for f in fs], float).reshape(-1, 2)
        self.v1 = np.array([f.last_velocity for f in fs], float).reshape(-1, 2)
        self.h0 = np.array([f.first_height for f in fs], float)
        self.h1 = np.array([f.last_height for f in fs], float)
        self.hist = cluster_histogram(fs)
        self.seen = float(np.sum(self.t1 - self.t0))


def cluster_histogram(frags: Iterable[Fragment]) -> np.ndarray | None:
    """The mean torso histogram of fragments, each weighted by its samples (at least 1)."""
    hs = [(np.asarray(f.hist, np.float64), max(f.samples, 1)) for f in frags if f.hist is not None]
    sizes = {len(h) for h, _ in hs}
    if not hs or len(sizes) > 1:
        return None
    m = sum(h * w for h, w in hs)
    return (m / m.sum()).astype(np.float32) if m.sum() > 0 else None


def motion_cost(a: _Cluster, b: _Cluster, *, metres: bool) -> float:
    """The worst hand-over between two clusters' fragments in time order (`inf`: one is unreachable)."""
    t0, t1 = np.r_[a.t0, b.t0], np.r_[a.t1, b.t1]
    tag = np.r_[np.zeros(len(a.t0), bool), np.ones(len(b.t0), bool)]
    order = np.argsort(t0, kind="stable")
    x, y = order[:-1], order[1:]
    hand = tag[x] != tag[y]
    x, y = x[hand], y[hand]
    if not len(x):
        return 0.0
    p0, p1, v0, v1 = (np.r_[getattr(a, k), getattr(b, k)] for k in ("p0", "p1", "v0", "v1"))
    gap = np.maximum(t0[y] - t1[x], 0.0)
    if metres:
        scale = 1.0
    else:  # pixels: metres per px from the two boxes' heights (a person is PERSON_M)
        h0, h1 = np.r_[a.h0, b.h0], np.r_[a.h1, b.h1]
        scale = PERSON_M / np.maximum((h1[x] + h0[y]) / 2, 1.0)
    raw = np.linalg.norm(p0[y] - p1[x], axis=1) * scale
    if np.any(raw > MAX_SPEED * gap + SLACK_M):
        return float("inf")
    miss = heading_miss(p1[x], v1[x], p0[y], v0[y], gap) * scale
    reach = np.minimum(TYPICAL_SPEED * gap + SLACK_M, REACH_CAP_M)
    return float(np.max(np.minimum(miss / reach, MOTION_CAP)))


def appearance_cost(a: _Cluster, b: _Cluster) -> float:
    if a.hist is None or b.hist is None:
        return APP_MISSING / APP_SCALE
    return histogram_distance(a.hist, b.hist) / APP_SCALE


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


def _overlaps(clusters: list[_Cluster]) -> np.ndarray:
    """[i, j]: clusters i and j hold fragments seen together for more than `OVERLAP_S` (a sweep in time)."""
    n = len(clusters)
    out = np.zeros((n, n), bool)
    rows = sorted((t0, t1, c) for c, cl in enumerate(clusters) for t0, t1 in zip(cl.t0, cl.t1))
    for k, (_, a1, ca) in enumerate(rows):
        for b0, b1, cb in rows[k + 1 :]:
            if b0 >= a1 - OVERLAP_S:
                break
            if ca != cb and min(a1, b1) - b0 > OVERLAP_S:
                out[ca, cb] = out[cb, ca] = True
    return out


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
    clusters = []
    for ks in _initial(frags, chains, owners):
        cl = _Cluster([frags[k] for k in ks])
        cl.owner = next((owners[frags[k].track_id] for k in ks if frags[k].track_id in owners), None)
        cl.kit = kits.of(cl.hist)
        clusters.append(cl)
    n = len(clusters)
    forbid = _overlaps(clusters)
    where = {f.track_id: c for c, cl in enumerate(clusters) for f in cl.frags}
    for a, b in cannot_link:
        if a in where and b in where and where[a] != where[b]:
            forbid[where[a], where[b]] = forbid[where[b], where[a]] = True
    w_app, w_mot = weights
    limit_max = max(merge_max, roster_max if roster is not None else merge_max)

    def pair(i: int, j: int) -> float:
        a, b = clusters[i], clusters[j]
        if forbid[i, j] or (a.owner is not None and b.owner is not None and a.owner != b.owner):
            return np.inf
        if a.kit is not None and b.kit is not None and a.kit != b.kit:
            return np.inf
        app = w_app * appearance_cost(a, b)
        if app > limit_max:  # never taken whatever the motion (>= 0): spare its cost
            return app
        m = motion_cost(a, b, metres=metres)
        return np.inf if not np.isfinite(m) else app + w_mot * m

    cost = np.full((n, n), np.inf)
    for i in range(n):
        for j in range(i + 1, n):
            cost[i, j] = cost[j, i] = pair(i, j)
    alive = np.ones(n, bool)

    def merge(i: int, j: int) -> None:
        a, b = clusters[i], clusters[j]
        cl = _Cluster(a.frags + b.frags, owner=a.owner if a.owner is not None else b.owner)
        cl.kit = kits.of(cl.hist) if (a.kit or b.kit) is None else (a.kit or b.kit)
        clusters[i] = cl
        forbid[i] |= forbid[j]
        forbid[:, i] |= forbid[:, j]
        alive[j] = False
        cost[j, :] = cost[:, j] = np.inf
        for k in np.flatnonzero(alive):
            if k != i:
                cost[i, k] = cost[k, i] = pair(i, int(k))

    def agglomerate(limit: float, mask=None) -> None:
        while True:
            c = cost if mask is None else np.where(mask(), cost, np.inf)
            k = int(np.argmin(c))
            i, j = divmod(k, n)
            if not np.isfinite(c[i, j]) or c[i, j] > limit:
                return
            merge(min(i, j), max(i, j))

    agglomerate(merge_max)
    if roster is not None:
        # then, per kit, down to its number of players: the cheapest merges among the kit's clusters

        def over_target():
            kit = np.array([clusters[c].kit if alive[c] else "\0dead" for c in range(n)], object)
            ok = np.zeros((n, n), bool)
            for key in set(kit[alive]):
                members = kit == key
                if members.sum() > kits.target(key):
                    ok |= members[:, None] & members[None, :]
            return ok

        agglomerate(roster_max, over_target)
    groups = [sorted(cl.frags, key=lambda f: (f.first_t, f.track_id)) for c, cl in enumerate(clusters) if alive[c]]
    groups.sort(key=lambda g: (g[0].first_t, g[0].track_id))
    return [[f.track_id for f in g] for g in groups]


def roster_roles(players: Sequence[dict], frags: Sequence[Fragment], roster: Roster | None) -> list[tuple[str, str]]:
    """(role, label) per player (`store.players` rows: track_ids, name, player): with a roster, in each
    kit the coach's named players and then the most seen, up to the kit's number of players, are
    "player", labelled by the coach's name, the name a kit of one gives, or "Player k" (k by first
    sighting); the rest are "other" (referee, coaches, passers-by), under their store key. Without a
    roster every one is a player, under the coach's name or the store key."""
    if roster is None:
        return [("player", p["name"] or p["player"]) for p in players]
    kits = _Kits(roster)
    by_id = {f.track_id: f for f in frags}
    info = []
    for k, p in enumerate(players):
        fs = [by_id[t] for t in p["track_ids"] if t in by_id]
        seen = sum(f.last_t - f.first_t for f in fs)
        first = min((f.first_t for f in fs), default=np.inf)
        info.append((k, kits.of(cluster_histogram(fs)), seen, first))
    role = ["other"] * len(players)
    name = [p["name"] for p in players]
    for key in {kit for _, kit, _, _ in info}:
        members = sorted((x for x in info if x[1] == key), key=lambda x: (players[x[0]]["name"] is None, -x[2], x[3]))
        for k, *_ in members[: kits.target(key)]:
            role[k] = "player"
            if name[k] is None and key is not None:
                name[k] = kits.names.get(key)
    unnamed = sorted((x[3], x[0]) for x in info if role[x[0]] == "player" and name[x[0]] is None)
    for n, (_, k) in enumerate(unnamed, start=1):
        name[k] = f"Player {n}"
    return [(r, nm if r == "player" else p["player"]) for r, nm, p in zip(role, name, players)]


def assign_session(store, session_id: str, positions, *, roster: Roster | None = None, **params) -> list[list[int]]:
    """Stitch (short gaps), then assign (whole session), the people of a stored session; store the groups
    (the coach's edits win). `params` go to `stitch`. Returns every group (singletons included)."""
    from edge_app.identity.stitch import fragments, stitch

    sid = store.resolve_id(session_id)
    frags = fragments(store.track_rows(sid), positions, store.appearance(sid))
    metres = positions.calibration is not None
    cannot = store.cannot_link(sid)
    chains = stitch(frags, fps=store.get_session(sid).get("fps"), metres=metres, cannot_link=cannot, **params)
    owners = {int(t): int(p) for t, p, _ in store.manual_tracks(sid)}
    groups = assign(frags, chains, metres=metres, owners=owners, cannot_link=cannot, roster=roster)
    placed = {t for g in groups for t in g}
    groups += [g for g in chains if not set(g) & placed]  # fragments without times stay as stitched
    store.assign_players(sid, groups, source="stitch")
    return groups
