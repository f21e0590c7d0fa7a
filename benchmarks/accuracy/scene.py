"""Real movement: people's positions from provider tracking files that kloppy 3.19.1 ships.

The files are read at run time from the installed kloppy wheel (`kloppy/tests/files/`), never
copied here. Each loader returns a `Scene`: every person's position on the product's pitch
(metres, origin at a corner, x along the length, y along the width) at the render rate.

* `hawkeye`: Hawk-Eye centroids, 50 Hz optical tracking of 60 s of a real match (22 players,
  referee, two assistants), a 105×68 m pitch. Two files: minute 1 of the first half ("1_1") and
  minute 46 ("2_46").
* `skillcorner`: SkillCorner's 10 Hz broadcast tracking of a whole match (Bayern-Dortmund 2019);
  only people in the broadcast view have positions, so a window is chosen in which the most
  people are tracked in every frame. `scale_to` maps the 105×68 m pitch onto a smaller one
  (the 7v7 setup): positions and speeds shrink by the same factor (a youth game's pace).
  Broadcast tracking carries its own jitter, which drawn as movement would make people shiver
  as no player does: it is smoothed away first (`SKILLCORNER_DENOISE_HZ`, measured below).

Positions are interpolated linearly to the render times (50 Hz -> 25 Hz is a subsample; 10 Hz ->
25 Hz draws straight lines between the provider's samples, and the truth KPIs use those same lines).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

FULL_LENGTH, FULL_WIDTH = 105.0, 68.0

# SkillCorner's 10 Hz positions wiggle where optical tracking of the same sport does not: at
# 10 Hz, accelerations (central differences) median / p90 / p99 3.45 / 8.91 / 19.5 m/s² against
# Hawk-Eye's 1.53 / 3.96 / 7.62 (minute 1, thinned to 10 Hz), and a 0.6 Hz low-pass shortens its
# paths by 7.8% against Hawk-Eye's 0.7%. No footballer accelerates at 19.5 m/s²: that is
# tracking noise. A zero-phase 4th-order Butterworth at 1 Hz gives SkillCorner Hawk-Eye's
# accelerations (1.62 / 4.18 / 8.64 m/s²; 1.5 Hz: 2.33 / 5.93 / 13.4): that movement is drawn
# and is the truth. (20 s window of the tripod7 setup, 14 people; benchmarks/README.md.)
SKILLCORNER_DENOISE_HZ = 1.0


@dataclass
class Scene:
    source: str
    pitch: tuple[float, float]  # length, width (m)
    t: np.ndarray  # (T,) seconds from the clip's start
    ids: list[str]  # one per person
    roles: list[str]  # player, goalkeeper, referee
    xy: np.ndarray  # (T, N, 2) metres on the product's pitch; NaN where the provider has no position
    teams: list[str] | None = None  # one per person: the provider's team, "officials" for referees

    def speed(self) -> np.ndarray:
        """(T, N) true speed (m/s) by central differences of the positions."""
        if len(self.t) < 2:
            return np.zeros(self.xy.shape[:2])
        v = np.gradient(self.xy, self.t, axis=0)
        return np.hypot(v[..., 0], v[..., 1])

    def kit_teams(self) -> list[str]:
        """Who wears which kit: the provider's teams where it gives them, else players split by id."""
        if self.teams is not None:
            return list(self.teams)
        return [
            "officials" if r == "referee" else "coach" if r == "coach" else f"team{_stable_hash(i) % 2}"
            for i, r in zip(self.ids, self.roles)
        ]


def _stable_hash(s: str) -> int:
    """A hash that does not change between runs (Python's str hash is salted per process)."""
    import zlib

    return zlib.crc32(s.encode())


def kloppy_file(name: str):
    """A provider file inside the installed kloppy package."""
    try:
        root = resources.files("kloppy")
    except ModuleNotFoundError:
        raise SystemExit(
            "the accuracy harness reads kloppy's provider files: pip install 'kloppy==3.19.1' "
            "(the project's [test] or [bench] extra)"
        ) from None
    path = root / "tests" / "files" / name
    if not path.is_file():
        raise SystemExit(f"kloppy has no tests/files/{name}: install kloppy==3.19.1 (other versions ship other files)")
    return path


def _resample(ts: list[np.ndarray], xys: list[np.ndarray], t_out: np.ndarray, max_gap: float) -> np.ndarray:
    """(T, N, 2): each person's samples interpolated at t_out; NaN outside their span or across a gap."""
    out = np.full((len(t_out), len(ts), 2), np.nan)
    for i, (t, xy) in enumerate(zip(ts, xys)):
        if len(t) < 2:
            continue
        for k in range(2):
            out[:, i, k] = np.interp(t_out, t, xy[:, k], left=np.nan, right=np.nan)
        # No straight line across a gap in the provider's data.
        j = np.clip(np.searchsorted(t, t_out), 1, len(t) - 1)
        out[(t[j] - t[j - 1]) > max_gap, i] = np.nan
    return out


@lru_cache(maxsize=2)
def _hawkeye_raw(name: str):
    data = json.loads(kloppy_file(f"hawkeye_{name}.football.samples.centroids").read_text())
    team = {p["id"]["heId"]: p["teamId"]["heId"] for p in data.get("details", {}).get("players", [])}
    people = {}
    for row in data["samples"]["people"]:
        pid = row["personId"]["heId"]
        role = row["role"]["name"]
        for c in row["centroid"]:
            people.setdefault(pid, (role, []))[1].append((c["time"], c["pos"][0], c["pos"][1]))
    out = []
    for pid, (role, rows) in people.items():
        a = np.array(sorted(rows))
        out.append((pid, role, a[:, 0], a[:, 1:3], team.get(pid, "officials")))
    return out


def _role(name: str) -> str:
    n = name.lower()
    return "referee" if "referee" in n else "goalkeeper" if "goal" in n else "player"


def hawkeye(name: str = "1_1", *, seconds: float = 20.0, fps: float = 25.0, start: float = 0.02) -> Scene:
    """Hawk-Eye centroids (centred metres, x along the length) -> the product's corner origin."""
    raw = _hawkeye_raw(name)
    t_out = start + np.arange(round(seconds * fps)) / fps
    xy = _resample([r[2] for r in raw], [r[3] + (FULL_LENGTH / 2, FULL_WIDTH / 2) for r in raw], t_out, max_gap=0.5)
    return Scene(
        f"Hawk-Eye centroids {name} (kloppy 3.19.1 tests/files), 50 Hz",
        (FULL_LENGTH, FULL_WIDTH),
        t_out - start,
        [r[0][:8] for r in raw],
        [_role(r[1]) for r in raw],
        xy,
        [r[4] if r[4] == "officials" else r[4][:8] for r in raw],
    )


@lru_cache(maxsize=1)
def _skillcorner_raw():
    frames = json.loads(kloppy_file("skillcorner_structured_data.json").read_text())
    match = json.loads(kloppy_file("skillcorner_match_data.json").read_text())
    people = {
        p["trackable_object"]: "goalkeeper" if p.get("player_role", {}).get("acronym") == "GK" else "player"
        for p in match["players"]
    }
    people.update({r["trackable_object"]: "referee" for r in match.get("referees", [])})
    team = {p["trackable_object"]: str(p["team_id"]) for p in match["players"]}
    frames = [f for f in frames if f["data"] and f.get("time")]
    t = np.array([f["frame"] / 10.0 for f in frames])  # 10 Hz: frame number / 10
    ids = sorted(people)
    col = {pid: i for i, pid in enumerate(ids)}
    xy = np.full((len(frames), len(ids), 2), np.nan)
    for k, f in enumerate(frames):
        for d in f["data"]:
            i = col.get(d.get("trackable_object"))
            if i is not None:
                xy[k, i] = (d["x"], d["y"])
    return t, ids, [people[i] for i in ids], xy, [team.get(i, "officials") for i in ids]


def _clean(t: np.ndarray, xy: np.ndarray, coverage: float, max_speed: float) -> bool:
    """Seen in `coverage` of the frames, and no step (across gaps too) faster than `max_speed`:
    broadcast tracking re-anchors players that come back into view with jumps no one can run."""
    ok = np.isfinite(xy[:, 0])
    if ok.mean() < coverage or ok.sum() < 2:
        return False
    tt, p = t[ok], xy[ok]
    v = np.hypot(*np.diff(p, axis=0).T) / np.diff(tt)
    return bool(v.max() < max_speed)


def _denoise(t: np.ndarray, xy: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Zero-phase low-pass of one person's 10 Hz samples (gaps filled by straight lines first)."""
    from scipy.signal import butter, sosfiltfilt

    if len(t) < 16:
        return xy
    grid = np.arange(t[0], t[-1] + 0.05, 0.1)
    filled = np.stack([np.interp(grid, t, xy[:, k]) for k in range(2)], axis=1)
    smooth = sosfiltfilt(butter(4, cutoff_hz / 5.0, output="sos"), filled, axis=0)
    return np.stack([np.interp(t, grid, smooth[:, k]) for k in range(2)], axis=1)


def skillcorner(
    *,
    seconds: float = 20.0,
    fps: float = 25.0,
    people: int = 14,
    scale_to: tuple[float, float] | None = None,
    start: float | None = None,
    coverage: float = 0.9,
    max_speed: float = 10.0,
    denoise_hz: float | None = SKILLCORNER_DENOISE_HZ,
) -> Scene:
    """The window of SkillCorner tracking with the most people (up to `people`) that are tracked in
    `coverage` of its frames without a jump faster than `max_speed` m/s; their short gaps (out of
    the broadcast view) are bridged with straight lines, which the truth then follows too."""
    t, ids, roles, xy, teams = _skillcorner_raw()
    n = int(round(seconds * 10)) + 1

    def good(k):
        return [i for i in range(len(ids)) if _clean(t[k : k + n], xy[k : k + n, i], coverage, max_speed)]

    if start is None:
        # Windows every 5 s over frames contiguous at 10 Hz; ties go to the earliest.
        best, start_k = [], 0
        for k in range(0, len(t) - n, 50):
            if abs((t[k + n - 1] - t[k]) - (n - 1) / 10) > 1e-6:
                continue
            g = good(k)
            if len(g) > len(best):
                best, start_k = g, k
    else:
        start_k = int(np.searchsorted(t, start))
        best = good(start_k)
    keep = sorted(best, key=lambda i: (roles[i] == "referee", i))[:people]
    window = slice(start_k, start_k + n)
    tw = t[window] - t[start_k]
    pos = xy[window][:, keep] + (FULL_LENGTH / 2, FULL_WIDTH / 2)
    pitch = (FULL_LENGTH, FULL_WIDTH)
    if scale_to is not None:
        pos = pos * (scale_to[0] / FULL_LENGTH, scale_to[1] / FULL_WIDTH)
        pitch = scale_to
    t_out = np.arange(round(seconds * fps)) / fps
    ts, xys = [], []
    for j in range(len(keep)):
        ok = np.isfinite(pos[:, j, 0])
        ts.append(tw[ok])
        xys.append(_denoise(tw[ok], pos[ok, j], denoise_hz) if denoise_hz else pos[ok, j])
    out = _resample(ts, xys, t_out, max_gap=seconds)
    # Before the first / after the last sample: stand where first / last seen.
    for j in range(len(keep)):
        ok = np.isfinite(out[:, j, 0])
        if ok.any():
            first, last = np.flatnonzero(ok)[[0, -1]]
            out[:first, j] = out[first, j]
            out[last + 1 :, j] = out[last, j]
    return Scene(
        f"SkillCorner broadcast tracking (kloppy 3.19.1 tests/files), 10 Hz, from {t[start_k]:.1f} s"
        + ("" if not denoise_hz else f", smoothed at {denoise_hz:g} Hz")
        + ("" if scale_to is None else f", scaled onto {scale_to[0]:g}×{scale_to[1]:g} m"),
        pitch,
        t_out,
        [str(ids[i]) for i in keep],
        [roles[i] for i in keep],
        out,
        [teams[i] for i in keep],
    )


SOURCES = {"hawkeye": hawkeye, "skillcorner": skillcorner}
