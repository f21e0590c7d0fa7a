"""A synthetic training session for the whole-session assignment: fragments with the truth.

N people in two kits (red, blue: the roster's bib colours) move on a 55 x 37 m pitch: a velocity
that relaxes towards a drill zone (a new zone every few minutes), ~1.5 m/s on average, 7 m/s at
most. Each is seen in spells; a spell ends in a short occlusion (1-8 s: the stitching's job), an
exit (20 s to 10 min away: the assignment's), or, when a teammate passes within a metre, both are
hidden 2-4 s (the crossing that tempts the stitching to swap them). Torso histograms: the kit's
colour shifted per person and per fragment (light), with pixel noise: teammates ~0.1-0.2 apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_app.identity import Fragment, assign, colour_histogram, roster_from_dict
from edge_app.identity.roster import COLOURS, colour_rgb, parse_colour
from edge_app.identity.session import refine_people
from edge_app.identity.stitch import stitch

PITCH = (55.0, 37.0)
DT = 0.5
KITS = ("red", "blue")


@dataclass
class Session:
    frags: list[Fragment]
    person: dict[int, int]  # track id -> true person
    kit: dict[int, str]  # person -> kit

    def roster(self):
        players = [{"team": self.kit[p]} for p in sorted(self.kit)]
        return roster_from_dict({"teams": {k: k for k in KITS}, "players": players})


def _hist(rgb, rng) -> np.ndarray:
    bgr = np.asarray(rgb, float)[::-1]
    return colour_histogram(np.clip(bgr + rng.normal(0, 12, (40, 30, 3)), 0, 255).astype(np.uint8))


def session(
    people: int = 24,
    minutes: float = 90,
    seed: int = 0,
    spell_s: float = 240.0,
    exit_p: float = 0.8,
    person_rgb: float = 7.0,
    light_rgb: float = 4.0,
    cross_p: float = 0.05,
    away_s: tuple[float, float] = (20.0, 600.0),
) -> Session:
    """`spell_s`: mean time seen between two absences; `exit_p`: the share of absences that are exits,
    `away_s` long (log-uniform); `cross_p`: the chance per step that teammates within 1 m are both hidden."""
    rng = np.random.default_rng(seed)
    n, steps = people, int(minutes * 60 / DT)
    kit = {p: KITS[p % 2] for p in range(n)}
    colour = {p: np.clip(np.array(COLOURS[kit[p]], float) + rng.normal(0, person_rgb, 3), 0, 255) for p in range(n)}
    size = np.array(PITCH)
    x = rng.uniform(0, 1, (n, 2)) * size
    v = np.zeros((n, 2))
    zone = rng.uniform(0.1, 0.9, (n, 2)) * size
    seen = np.ones(n, bool)
    until = rng.exponential(spell_s, n)  # when the current spell (seen or not) ends
    runs: list[list] = [[] for _ in range(n)]  # per person: [t, x, v] samples of the open spell
    frags: list[tuple] = []

    def close(p: int) -> None:
        r = runs[p]
        if len(r) >= 4:
            frags.append((r[0][0], r[-1][0], p, r[0][1], r[-1][1], r[0][2], r[-1][2]))
        runs[p] = []

    def hide(p: int, t: float, away: float) -> None:
        close(p)
        seen[p], until[p] = False, t + away

    for s in range(steps):
        t = s * DT
        new_zone = rng.random(n) < DT / 300
        zone[new_zone] = rng.uniform(0.1, 0.9, (new_zone.sum(), 2)) * size
        pull = (zone - x) * 0.05
        v = 0.93 * v + pull * DT + rng.normal(0, 0.55, (n, 2))
        speed = np.linalg.norm(v, axis=1, keepdims=True)
        v = np.where(speed > 7.0, v * 7.0 / np.maximum(speed, 1e-9), v)
        x = x + v * DT
        for d in range(2):  # the touchlines reflect
            lo, hi = x[:, d] < 0, x[:, d] > size[d]
            x[lo, d], v[lo, d] = -x[lo, d], -v[lo, d]
            x[hi, d], v[hi, d] = 2 * size[d] - x[hi, d], -v[hi, d]
        for p in range(n):
            if t >= until[p]:
                if seen[p]:
                    away = 10 ** rng.uniform(*np.log10(away_s)) if rng.random() < exit_p else rng.uniform(1, 8)
                    hide(p, t, away)
                else:
                    seen[p], until[p] = True, t + max(rng.exponential(spell_s), 10.0)
        vis = np.flatnonzero(seen)
        if len(vis) > 1 and cross_p > 0:
            d = np.linalg.norm(x[vis, None] - x[None, vis], axis=2)
            for a, b in zip(*np.nonzero(np.triu(d < 1.0, 1))):
                pa, pb = vis[a], vis[b]
                if kit[pa] == kit[pb] and seen[pa] and seen[pb] and len(runs[pa]) > 8 and len(runs[pb]) > 8:
                    if rng.random() < cross_p:
                        for p in (pa, pb):
                            hide(p, t, rng.uniform(2, 4))
        for p in np.flatnonzero(seen):
            runs[p].append((t, x[p].copy(), v[p].copy()))
    for p in range(n):
        close(p)
    frags.sort(key=lambda f: (f[0], f[2]))
    out, person = [], {}
    for tid, (t0, t1, p, x0, x1, v0, v1) in enumerate(frags, start=1):
        noise = rng.normal(0, 0.3, (4, 2))
        light = rng.normal(0, light_rgb, 3)
        out.append(
            Fragment(
                track_id=tid,
                first_frame=int(round(t0 * 10)),
                last_frame=int(round(t1 * 10)),
                first_t=float(t0),
                last_t=float(t1),
                first_point=tuple(map(float, x0 + noise[0])),
                last_point=tuple(map(float, x1 + noise[1])),
                first_height=100.0,
                last_height=100.0,
                hist=_hist(colour[p] + light, rng),
                frames=int((t1 - t0) * 10) + 1,
                samples=max(int((t1 - t0) / 2), 1),
                first_velocity=tuple(map(float, v0 + noise[2])),
                last_velocity=tuple(map(float, v1 + noise[3])),
            )
        )
        person[tid] = p
    return Session(out, person, kit)


def score(groups, s: Session) -> dict:
    """People found, pure clusters (one person's fragments only), purity and an IDF1 (both by time
    seen: the share of the seen time in each cluster's commonest person, in a one-to-one match)."""
    from scipy.optimize import linear_sum_assignment

    seen = {f.track_id: f.last_t - f.first_t for f in s.frags}
    people = sorted(set(s.person.values()))
    m = np.zeros((len(groups), len(people)))
    for g, ids in enumerate(groups):
        for t in ids:
            m[g, people.index(s.person[t])] += seen[t]
    total = m.sum()
    r, c = linear_sum_assignment(-m)
    pure = sum(1 for ids in groups if len({s.person[t] for t in ids}) == 1)
    return {
        "found": len(groups),
        "true": len(people),
        "pure": pure,
        "purity": float(m.max(axis=1).sum() / total),
        "idf1": float(m[r, c].sum() / total),
    }


# Hand-made fragments (tests/identity/test_assign.py, test_refine.py, test_swaps.py).


def shirt(colour: str, seed: int = 0) -> np.ndarray:
    """The histogram of a shirt of a named colour, with pixel noise."""
    bgr = np.array(colour_rgb(parse_colour(colour, "test")), float)[::-1]
    noise = np.random.default_rng(seed).normal(0, 12, (40, 30, 3))
    return colour_histogram(np.clip(bgr + noise, 0, 255).astype(np.uint8))


RED, BLUE, BLACK = shirt("red"), shirt("blue"), shirt("black")
# A red shirt in shade, 0.35 from RED: RED and BLACK share no bin, so d(mix) = sqrt(1 - sqrt(1 - w)).
_W = 1 - (1 - 0.35**2) ** 2
SHADE = ((1 - _W) * RED + _W * BLACK).astype(np.float32)


def frag(tid, t0, t1, p0, p1, hist=RED, v0=(0.0, 0.0), v1=None):
    return Fragment(
        track_id=tid,
        first_frame=int(t0 * 10),
        last_frame=int(t1 * 10),
        first_t=float(t0),
        last_t=float(t1),
        first_point=tuple(map(float, p0)),
        last_point=tuple(map(float, p1)),
        first_height=100.0,
        last_height=100.0,
        hist=hist,
        frames=int((t1 - t0) * 10) + 1,
        samples=10,
        first_velocity=v0,
        last_velocity=v0 if v1 is None else v1,
    )


def people(frags, refined=True, **kw):
    """Stitch, assign and refine, as `assign_session` does (`refined=False`: the clustering alone); groups
    as sorted sets for comparison."""
    """Stitch, then assign, as `assign_session` does; groups as sorted sets for comparison."""
    metres = kw.pop("metres", True)
    chains = stitch(frags, metres=metres, cannot_link=kw.get("cannot_link", ()))
    groups = assign(frags, chains, metres=metres, **kw)
    if refined:
        groups = refine_people(
            frags,
            groups,
            chains,
            metres=metres,
            owners=kw.get("owners") or {},
            cannot_link=kw.get("cannot_link", ()),
            roster=kw.get("roster"),
        )
    return sorted(sorted(g) for g in groups)


def sam_gone_ten_minutes() -> list:
    """Sam (1, 0-60 s) back in shade (5, 660-900 s: 0.35 from red); 2, 3, 4 (red) and the referee 6 (black)
    seen throughout (tests/identity/test_assign.py says the costs)."""
    return [
        frag(1, 0, 60, (10, 10), (20, 10)),
        frag(2, 0, 900, (40, 10), (40, 12)),
        frag(3, 0, 900, (50, 20), (52, 20)),
        frag(4, 0, 900, (30, 30), (31, 30)),
        frag(5, 660, 900, (30, 20), (25, 20), hist=SHADE),
        frag(6, 0, 900, (52, 34), (50, 30), hist=BLACK),
    ]
