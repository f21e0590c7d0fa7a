"""A whole training session with known truth: who is who over 10 minutes and more.

    python -m benchmarks.accuracy.session [--minutes 10] [--seed 0]   # the distributions table

`training_session(minutes, people, pitch, seed)` gives a `Scene` of `people` - 1 players in two
teams (they wear bibs when rendered with kits) and one coach, in phases:

* small-sided play in a drill area: each player's movement is real provider movement, chained.
  Windows of 8-20 s of a real player's 10 Hz velocities (Hawk-Eye both minutes thinned from 50 Hz,
  SkillCorner's contiguous runs after its 1 Hz denoise) are drawn at random, mirrored and turned
  (which keeps speeds and accelerations) and joined with a 1 s cross-fade of the velocities; of a few
  candidates the one that stays in the drill area and joins most smoothly is kept. So speeds,
  accelerations and the short standing spells of play are the providers'.
* water breaks (1-2 min after each 3-5 min block): everyone walks to one spot by the touchline,
  stands there bunched, and walks back into play.
* absences: players leave the camera's view (the far half, beside the pitch, the bench behind the
  camera) for 20 s to 4 min of standing there, then come back into play. With a camera the spots
  are checked out of its view (the whole person outside the image); without one, off the pitch.
* the coach walks around the drill: chained windows of the real referees' movement.

A break or an absence leaves play and rejoins it with position and velocity continuous (a quintic
path with the play's own velocity at both ends), so nobody teleports or jolts.
Everything is drawn from `np.random.default_rng(seed)`: one seed, one session.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from benchmarks.accuracy import scene as scenes

RATE = 10.0  # Hz: the generator's own step, resampled to the render rate
DT = 1.0 / RATE
WINDOW_S = (8.0, 20.0)  # one chained window of real movement
CROSSFADE_S = 1.0
CANDIDATES = 24
BLEND_S = 3.0  # extra time to turn out of play and back into it
AWAY_S = (20.0, 240.0)  # standing out of view
BLOCK_S = (180.0, 300.0)  # play between water breaks
BREAK_S = (60.0, 120.0)
WALK_MS, JOG_MS = 1.8, 2.2  # mean transit speeds (peak 1.9x): to the water, out of view and back
PAUSE_MS, PAUSE_MIN_S = 0.5, 1.0  # a pause: below this speed for at least this long
ZONES = (0.0, 2.0, 4.0, 5.5, 7.0)  # m/s: the product's adult zone lower bounds (walk jog run hsr sprint)
ZONE_NAMES = ("walk", "jog", "run", "hsr", "sprint")


def _segments(t: np.ndarray, xy: np.ndarray, min_s: float) -> list[np.ndarray]:
    """Contiguous 10 Hz runs (no gap, no NaN) of at least `min_s`, positions (n, 2)."""
    ok = np.isfinite(xy[:, 0])
    out, start = [], None
    for k in range(len(t) + 1):
        cont = k < len(t) and ok[k] and (start is None or abs(t[k] - t[k - 1] - DT) < 1e-3)
        if cont and start is None:
            start = k
        elif not cont and start is not None:
            if (k - start) * DT >= min_s:
                out.append(xy[start:k])
            start = k if (k < len(t) and ok[k]) else None
    return out


@lru_cache(maxsize=1)
def provider_paths(min_s: float = 25.0) -> dict[str, list[np.ndarray]]:
    """Real 10 Hz position runs by source and role: {"hawkeye", "skillcorner", "referee"}."""
    out = {"hawkeye": [], "skillcorner": [], "referee": []}
    for name in ("1_1", "2_46"):
        for _, role, t, xy, _ in scenes._hawkeye_raw(name):
            grid = np.arange(t[0], t[-1], DT)
            pos = np.stack([np.interp(grid, t, xy[:, k]) for k in range(2)], axis=1)
            role = scenes._role(role)
            if role != "goalkeeper":
                out["referee" if role == "referee" else "hawkeye"].append(pos)
    t, ids, roles, xy, _ = scenes._skillcorner_raw()
    for i, role in enumerate(roles):
        if role == "goalkeeper":
            continue
        for seg in _segments(t, xy[:, i], min_s):
            step = np.hypot(*np.diff(seg, axis=0).T) / DT
            if step.max() >= 10.0:  # broadcast re-anchoring, not running
                continue
            seg = scenes._denoise(np.arange(len(seg)) * DT, seg, scenes.SKILLCORNER_DENOISE_HZ)
            out["referee" if role == "referee" else "skillcorner"].append(seg)
    return out


def _velocities(paths: list[np.ndarray]) -> list[np.ndarray]:
    return [np.gradient(p, DT, axis=0) for p in paths]


def _outside(p: np.ndarray, area) -> np.ndarray:
    x0, y0, x1, y1 = area
    return (
        np.clip(x0 - p[..., 0], 0, None)
        + np.clip(p[..., 0] - x1, 0, None)
        + np.clip(y0 - p[..., 1], 0, None)
        + np.clip(p[..., 1] - y1, 0, None)
    )


def _chain(pool: list[np.ndarray], n: int, start, area, rng) -> np.ndarray:
    """(n, 2) positions: real velocity windows chained from `start`, kept in `area`."""
    xf = int(CROSSFADE_S * RATE)
    ramp = np.linspace(0, 1, xf)[:, None]
    out = np.empty((n, 2))
    centre = np.array([(area[0] + area[2]) / 2, (area[1] + area[3]) / 2])
    cur, tail, k = np.asarray(start, float), np.zeros((xf, 2)), 0
    while k < n:
        length = min(n - k, int(rng.uniform(*WINDOW_S) * RATE))
        best, best_score = None, np.inf
        for c in range(CANDIDATES):
            seg = pool[rng.integers(len(pool))]
            if len(seg) < length + xf + 1:
                continue
            o = rng.integers(0, len(seg) - length - xf)
            v = seg[o : o + length + xf] * (1.0, rng.choice([-1.0, 1.0]))  # mirrored or not
            # Turned (speeds and accelerations stay): every other candidate heads towards the area's
            # centre, so fast runs fit as often as slow ones (else the area would favour walking).
            d = v[:length].sum(0)
            turn = rng.uniform(-np.pi, np.pi)
            if c % 2:
                to_centre = np.arctan2(*(centre - cur)[::-1]) - np.arctan2(d[1], d[0])
                turn = to_centre + rng.uniform(-np.pi / 3, np.pi / 3)
            cs, sn = np.cos(turn), np.sin(turn)
            v = v @ np.array([[cs, sn], [-sn, cs]])
            w = v.copy()
            w[:xf] = (1 - ramp) * tail + ramp * v[:xf]
            path = cur + np.cumsum(w[:length], axis=0) * DT
            score = 10 * _outside(path, area).sum() + np.hypot(*(v[0] - tail[0]))
            if score < best_score:
                best, best_score = (path, v[length:]), score
            if score < 0.7:  # the first that fits: the best fit would favour slow windows
                break
        path, tail = best
        out[k : k + length] = path[:length]
        cur, k = path[length - 1], k + length
    return out


def _hermite(p0, v0, p1, v1, n: int) -> np.ndarray:
    """(n, 2) from p0 at velocity v0 to p1 at v1 (quintic, no acceleration at either end): a player
    turns out of play and walks somewhere, or comes back into play at play's own speed."""
    t = np.linspace(0, 1, max(n, 2))[:, None]
    T = (max(n, 2) - 1) * DT
    h0 = 1 - 10 * t**3 + 15 * t**4 - 6 * t**5
    h1 = t - 6 * t**3 + 8 * t**4 - 3 * t**5
    h4 = -4 * t**3 + 7 * t**4 - 3 * t**5
    return h0 * p0 + (1 - h0) * np.asarray(p1) + T * (h1 * v0 + h4 * v1)


def _stand(spot, n: int, rng) -> np.ndarray:
    """(n, 2) standing about a spot: a slow drift of a few tens of centimetres."""
    drift = np.cumsum(rng.normal(0, 0.02, (n, 2)), axis=0)
    drift -= np.linspace(0, 1, n)[:, None] * drift[-1]  # back where they stood
    return np.asarray(spot) + np.clip(drift, -0.5, 0.5)


def _visit(play: np.ndarray, a: int, b: int, spot, speed: float, rng) -> np.ndarray:
    """Samples a..b of `play` replaced by: go to `spot` at `speed` (mean), stand, come back into
    play; position and velocity continuous at both ends."""
    n = b - a
    v = np.gradient(play, DT, axis=0)
    spot = np.asarray(spot, float)
    go = int((np.hypot(*(spot - play[a])) / speed + BLEND_S) * RATE) + 1
    back = int((np.hypot(*(spot - play[b - 1])) / speed + BLEND_S) * RATE) + 1
    stay = max(1, n - go - back)
    zero = np.zeros(2)
    return np.concatenate(
        [
            _hermite(play[a], v[a], spot, zero, go),
            _stand(spot, stay, rng),
            _hermite(spot, zero, play[b - 1], v[b - 1], back),
        ]
    )[:n]


def away_spots(pitch, drill, camera=None, step: float = 2.0) -> np.ndarray:
    """Where a player can stand out of view: with a camera, spots whose whole person (1.8 m, its
    box widened a little) falls outside the image; without, spots off the pitch. Within 45 m of the
    drill's centre, at least 3 m from the camera, outside the drill."""
    L, W = pitch
    gx, gy = np.meshgrid(np.arange(-10.0, L + 10.1, step), np.arange(-8.0, W + 8.1, step))
    pts = np.c_[gx.ravel(), gy.ravel()]
    centre = np.array([(drill[0] + drill[2]) / 2, (drill[1] + drill[3]) / 2])
    keep = (np.hypot(*(pts - centre).T) < 45) & (_outside(pts, drill) > 3)
    if camera is None:
        keep &= _outside(pts, (0, 0, L, W)) > 2
    else:
        keep &= np.hypot(*(pts - np.asarray(camera.position[:2])).T) > 3
        feet, h = camera.person_pixels(pts)
        depth = camera.to_camera(np.c_[pts, np.zeros(len(pts))])[:, 2]
        m = 30 + 0.3 * np.nan_to_num(h)
        out = (
            (feet[:, 0] < -m)
            | (feet[:, 0] > camera.width + m)
            | (feet[:, 1] - h > camera.height + m)
            | (feet[:, 1] < -m)
        )
        keep &= (depth < 0.5) | np.nan_to_num(out, nan=True)
    return pts[keep]


def schedule(seconds: float, rng) -> list[tuple[str, float, float]]:
    """[(phase, start s, end s)]: play blocks and water breaks."""
    out, t = [], 0.0
    while t < seconds:
        end = min(seconds, t + rng.uniform(*BLOCK_S))
        out.append(("play", t, end))
        t = end
        if t + BREAK_S[0] + 60 <= seconds:  # a break only with a minute's play after it
            end = min(t + rng.uniform(*BREAK_S), seconds - 60)
            out.append(("break", t, end))
            t = end
    return out


@dataclass
class Session:
    scene: scenes.Scene  # at the render rate
    xy: np.ndarray  # (T, N, 2) at RATE
    play: np.ndarray  # (T, N) bool at RATE: in play (not at a break, not away)
    away: np.ndarray  # (T, N) bool at RATE: on the way to, at or back from an away spot
    phases: list  # [(phase, start s, end s)]


def training_session(*args, **kw) -> scenes.Scene:
    """The session as a Scene sampled at `fps` (see the module's docstring and `generate`)."""
    return generate(*args, **kw).scene


def generate(
    minutes: float = 10.0,
    people: int = 16,
    pitch: tuple[float, float] = (105.0, 68.0),
    seed: int = 0,
    *,
    fps: float = RATE,
    drill: tuple[float, float, float, float] | None = None,
    camera=None,
) -> Session:
    """The session and how it was made. `drill`: the play area (x0, y0, x1, y1), default the pitch
    less 3 m; `camera`: away spots out of its view."""
    rng = np.random.default_rng(seed)
    L, W = pitch
    drill = drill or (3.0, 3.0, L - 3.0, W - 3.0)
    n10 = int(round(minutes * 60 * RATE))
    pools = provider_paths()
    players = _velocities(pools["hawkeye"] + pools["skillcorner"])
    refs = _velocities(pools["referee"])
    n_players = people - 1
    coach_area = (
        max(0.5, drill[0] - 4),
        max(0.5, drill[1] - 4),
        min(L - 0.5, drill[2] + 4),
        min(W - 0.5, drill[3] + 4),
    )
    starts = rng.uniform(drill[:2], drill[2:], (people, 2))
    xy = np.stack(
        [_chain(players, n10, starts[i], drill, rng) for i in range(n_players)]
        + [_chain(refs, n10, starts[-1], coach_area, rng)],
        axis=1,
    )
    play_area = np.zeros((n10, people), bool)  # where the path is play (kept on the pitch)
    play_area[:] = True
    phases = schedule(minutes * 60, rng)
    water = np.array([(drill[0] + drill[2]) / 2, max(1.0, drill[1] - 1.0)])
    for phase, a, b in phases:
        if phase != "break":
            continue
        ka, kb = int(a * RATE), int(b * RATE)
        for i in range(people):
            spot = water + rng.uniform(-2.5, 2.5, 2) * (1, 0.6)
            xy[ka:kb, i] = _visit(xy[:, i], ka, kb, spot, WALK_MS, rng)
            play_area[ka:kb, i] = False
    away = np.zeros_like(play_area)
    spots = away_spots(pitch, drill, camera)
    plays = [(a, b) for p, a, b in phases if p == "play"]
    for i in range(n_players):
        # About one absence per player every six minutes, at least one in the session.
        for _ in range(max(int(i == 0), rng.poisson(minutes / 6))):
            a, b = plays[rng.integers(len(plays))]
            stay = np.exp(rng.uniform(*np.log(AWAY_S)))
            if b - a < AWAY_S[0] + 60:
                continue  # a block too short to leave and come back in
            ka = int((a + rng.uniform(5, max(5.0, b - a - stay - 60))) * RATE)
            spot = spots[rng.integers(len(spots))]
            travel = int((np.hypot(*(spot - xy[ka, i])) * 2 / JOG_MS + 2 * BLEND_S) * RATE)
            kb = min(int(b * RATE) - 1, ka + int(stay * RATE) + travel)
            if kb - ka < travel + 20 * RATE or np.any(~play_area[ka:kb, i]):
                continue  # no room in this block, or over a break or another absence
            xy[ka:kb, i] = _visit(xy[:, i], ka, kb, spot, JOG_MS, rng)
            play_area[ka:kb, i] = False
            away[ka:kb, i] = True
    # Last guard: play stays on the pitch (the drill's pull keeps excursions rare and short).
    on = np.clip(xy, 0.3, np.array(pitch) - 0.3)
    xy = np.where(play_area[..., None], on, xy)
    t10 = np.arange(n10) * DT
    t_out = np.arange(int(round(minutes * 60 * fps))) / fps
    out = np.stack([np.interp(t_out, t10, xy[:, i, k]) for i in range(people) for k in range(2)], axis=1)
    teams = [("orange", "blue")[i % 2] for i in range(n_players)] + ["coach"]
    sc = scenes.Scene(
        f"training session, seed {seed}: {minutes:g} min, {n_players} players in two kits and a coach; "
        "play chained from Hawk-Eye and SkillCorner movement (kloppy 3.19.1 tests/files), "
        + ", ".join(f"{p} {a:.0f}-{b:.0f} s" for p, a, b in phases),
        tuple(pitch),
        t_out,
        [f"{teams[i][0]}{i:02d}" if i < n_players else "coach" for i in range(people)],
        ["player"] * n_players + ["coach"],
        out.reshape(len(t_out), people, 2),
        teams,
    )
    return Session(sc, xy, play_area, away, phases)


def session_scene(*, seconds: float, fps: float, camera=None, **kw) -> scenes.Scene:
    """The render's loader for the session setups (setups.py)."""
    return training_session(seconds / 60.0, fps=fps, camera=camera, **kw)


def movement_stats(paths: list[np.ndarray]) -> dict:
    """Speed and acceleration percentiles, share of time per speed zone and pause lengths of 10 Hz
    position runs (central differences; acceleration: the velocity vector's)."""
    speed, acc, pauses, total = [], [], [], 0.0
    for p in paths:
        if len(p) < 3:
            continue
        v = np.gradient(p, DT, axis=0)
        a = np.gradient(v, DT, axis=0)
        s = np.hypot(*v.T)
        speed.append(s)
        acc.append(np.hypot(*a.T))
        total += len(p) * DT
        slow = np.r_[False, s < PAUSE_MS, False].astype(int)
        edges = np.flatnonzero(np.diff(slow))
        runs = (edges[1::2] - edges[::2]) * DT
        pauses += runs[runs >= PAUSE_MIN_S].tolist()
    speed, acc = np.concatenate(speed), np.concatenate(acc)
    zone = np.searchsorted(ZONES, speed, side="right") - 1
    out = {f"speed p{q}": float(np.percentile(speed, q)) for q in (10, 50, 90, 99)}
    out |= {f"acc p{q}": float(np.percentile(acc, q)) for q in (50, 90, 99)}
    out |= {f"% {n}": 100 * float(np.mean(zone == k)) for k, n in enumerate(ZONE_NAMES)}
    out["pauses /min"] = len(pauses) / (total / 60)
    out |= {f"pause p{q} s": float(np.percentile(pauses, q)) if pauses else float("nan") for q in (50, 90, 99)}
    out["person-min"] = total / 60
    return out


def _runs(xy: np.ndarray, mask: np.ndarray, min_s: float = 3.0) -> list[np.ndarray]:
    """Each person's runs of samples where `mask` holds, at least `min_s` long."""
    out = []
    for i in range(xy.shape[1]):
        m = np.r_[False, mask[:, i], False].astype(int)
        e = np.flatnonzero(np.diff(m))
        out += [xy[a:b, i] for a, b in zip(e[::2], e[1::2]) if (b - a) * DT >= min_s]
    return out


def distributions(minutes: float = 10.0, seed: int = 0) -> dict[str, dict]:
    """The providers' movement against the generator's (its players: in play, and the whole session)."""
    pools = provider_paths()
    g = generate(minutes, seed=seed)
    n = g.xy.shape[1] - 1  # the players, not the coach
    return {
        "Hawk-Eye (2 min)": movement_stats(pools["hawkeye"]),
        "SkillCorner (denoised)": movement_stats(pools["skillcorner"]),
        "session: play": movement_stats(_runs(g.xy[:, :n], g.play[:, :n])),
        "session: whole": movement_stats([g.xy[:, i] for i in range(n)]),
    }


def table(stats: dict[str, dict]) -> str:
    """A markdown table: one row per figure, one column per source."""
    cols = list(stats)
    lines = ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for key in next(iter(stats.values())):
        lines.append(f"| {key} | " + " | ".join(f"{stats[c][key]:.2f}" for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="the session generator's movement against the providers'")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(table(distributions(args.minutes, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
