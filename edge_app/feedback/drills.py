"""The drill library: a curated TOML file (`drills.toml`) served from SQLite with FTS5 retrieval.

Drill choice (`edge_app.feedback.drill_choice`) picks drills from here by KPI tag; nothing outside the library
is ever returned. `DrillLibrary(":memory:")` builds the index in memory; with a file path the index
persists and is rebuilt whenever the TOML changes (its SHA-256 is kept in a `meta` table).

Ranking: FTS5 bm25 over name, description and the KPI tags (tags weighted highest), ties by id.
Filters (age band, available equipment, minutes, excluded ids) are hard filters.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import tomllib

from edge_app.errors import AxolotlError

DRILLS_TOML = Path(__file__).with_name("drills.toml")
SCHEMA_VERSION = "2"

KPIS = (
    "sprint",
    "top_speed",
    "acceleration",
    "deceleration",
    "hsr",
    "endurance",
    "work_rate",
    "agility",
    "technique",
    "knee_control",
    "posture",
    "cadence",
    "recovery",
)
AGE_BANDS = ("u13", "u15", "u17", "adult")
EQUIPMENT = ("none", "cones", "balls", "bibs", "goals", "ladder", "mini_hurdles", "mats", "bands", "rope")
INTENSITIES = ("low", "medium", "high")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# bm25 column weights: id (unindexed), name, description, kpis
_BM25 = "bm25(drills_fts, 0.0, 2.0, 1.0, 10.0)"


@dataclass(frozen=True)
class Drill:
    id: str
    name: str
    description: str
    kpis: tuple[str, ...]
    age_bands: tuple[str, ...]
    equipment: tuple[str, ...]
    minutes: int
    intensity: str

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def load_drills(toml_path: str | Path = DRILLS_TOML) -> list[Drill]:
    """Parse and check the drill TOML; a one-line AxolotlError names the first problem."""
    path = Path(toml_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AxolotlError(f"cannot read the drill library {path}: {exc}") from None
    entries = data.get("drill")
    if not isinstance(entries, list) or not entries:
        raise AxolotlError(f"the drill library {path} has no [[drill]] entries")
    drills, seen = [], set()
    for i, e in enumerate(entries):
        where = f"drill #{i + 1} ({e.get('id', '?')}) in {path.name}"
        need = {"id", "name", "description", "kpis", "age_bands", "equipment", "minutes", "intensity"}
        if set(e) != need:
            raise AxolotlError(f"{where}: fields must be exactly {', '.join(sorted(need))}")
        if not isinstance(e["id"], str) or not _SLUG.match(e["id"]) or e["id"] in seen:
            raise AxolotlError(f"{where}: id must be a unique lower-case slug")
        seen.add(e["id"])
        for field, vocab in (("kpis", KPIS), ("age_bands", AGE_BANDS), ("equipment", EQUIPMENT)):
            vals = e[field]
            if (
                not isinstance(vals, list)
                or not vals
                or any(v not in vocab for v in vals)
                or len(set(vals)) != len(vals)
            ):
                raise AxolotlError(f"{where}: {field} must be a non-empty list from {', '.join(vocab)}")
        if "none" in e["equipment"] and len(e["equipment"]) > 1:
            raise AxolotlError(f"{where}: equipment 'none' cannot be combined with other items")
        if not isinstance(e["minutes"], int) or not 1 <= e["minutes"] <= 90:
            raise AxolotlError(f"{where}: minutes must be a whole number from 1 to 90")
        if e["intensity"] not in INTENSITIES:
            raise AxolotlError(f"{where}: intensity must be one of {', '.join(INTENSITIES)}")
        if not str(e["name"]).strip() or not str(e["description"]).strip():
            raise AxolotlError(f"{where}: name and description must not be empty")
        drills.append(
            Drill(
                e["id"],
                e["name"].strip(),
                " ".join(e["description"].split()),
                tuple(e["kpis"]),
                tuple(e["age_bands"]),
                tuple(e["equipment"]),
                e["minutes"],
                e["intensity"],
            )
        )
    return drills


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


class DrillLibrary:
    """The drills, indexed in SQLite FTS5. `path` ":memory:" or a file that persists the index."""

    def __init__(self, path: str | Path = ":memory:", toml_path: str | Path = DRILLS_TOML):
        self.toml_path = Path(toml_path)
        raw = self.toml_path.read_bytes() if self.toml_path.exists() else b""
        self.digest = hashlib.sha256(raw + SCHEMA_VERSION.encode()).hexdigest()
        self._lock = threading.Lock()
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self.rebuilt = False  # whether this instance (re)built the index
        with self._lock:
            if self._stored_digest() != self.digest:
                self._rebuild(load_drills(self.toml_path))
                self.rebuilt = True
            self._drills = {d.id: d for d in self._read_all()}

    # -- building -------------------------------------------------------------------------------------

    def _stored_digest(self) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'toml_sha256'").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def _rebuild(self, drills: list[Drill]) -> None:
        db = self._db
        with db:
            db.execute("DROP TABLE IF EXISTS drills_fts")
            db.execute("DROP TABLE IF EXISTS drills")
            db.execute("DROP TABLE IF EXISTS meta")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE drills (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, "
                "kpis TEXT NOT NULL, age_bands TEXT NOT NULL, equipment TEXT NOT NULL, "
                "minutes INTEGER NOT NULL, intensity TEXT NOT NULL)"
            )
            # tokenchars '_' keeps tags like top_speed and knee_control whole
            db.execute(
                "CREATE VIRTUAL TABLE drills_fts USING fts5(id UNINDEXED, name, description, kpis, "
                "tokenize = \"porter unicode61 tokenchars '_'\")"
            )
            for d in drills:
                db.execute(
                    "INSERT INTO drills VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        d.id,
                        d.name,
                        d.description,
                        " ".join(d.kpis),
                        " ".join(d.age_bands),
                        " ".join(d.equipment),
                        d.minutes,
                        d.intensity,
                    ),
                )
                db.execute(
                    "INSERT INTO drills_fts (id, name, description, kpis) VALUES (?, ?, ?, ?)",
                    (d.id, d.name, d.description, " ".join(d.kpis)),
                )
            db.execute("INSERT INTO meta VALUES ('toml_sha256', ?)", (self.digest,))
            db.execute("INSERT INTO meta VALUES ('count', ?)", (str(len(drills)),))

    def _read_all(self) -> list[Drill]:
        rows = self._db.execute(
            "SELECT id, name, description, kpis, age_bands, equipment, minutes, intensity FROM drills ORDER BY id"
        ).fetchall()
        return [
            Drill(r[0], r[1], r[2], tuple(r[3].split()), tuple(r[4].split()), tuple(r[5].split()), int(r[6]), r[7])
            for r in rows
        ]

    # -- queries --------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._drills)

    def __contains__(self, drill_id: object) -> bool:
        return drill_id in self._drills

    def all(self) -> list[Drill]:
        return list(self._drills.values())

    def get(self, drill_id: str) -> Drill | None:
        """The drill with this id, or None when the library has no such drill."""
        return self._drills.get(drill_id)

    def search(
        self,
        kpis: Sequence[str] = (),
        age_band: str | None = None,
        equipment: Iterable[str] | None = None,
        max_minutes: int | None = None,
        text: str | None = None,
        limit: int = 3,
        exclude: Iterable[str] = (),
        intensity: Iterable[str] | None = None,
    ) -> list[Drill]:
        """Drills that train any of `kpis` (or, without kpis, match any word of `text`), best first.

        Ranked by FTS5 bm25 (KPI tags weighted highest; with kpis, `text` words only boost the ranking), then id.

        Filters: `age_band` (the drill must list it), `equipment` (None: anything; else the drills that need
        only these items), `max_minutes`, `intensity` (allowed levels), `exclude` (ids). Without kpis and
        text every drill passing the filters is returned, ordered by id.
        """
        bad = [k for k in kpis if k not in KPIS]
        if bad:
            raise AxolotlError(f"unknown KPI tag {bad[0]!r}; choose from {', '.join(KPIS)}")
        if age_band is not None and age_band not in AGE_BANDS:
            raise AxolotlError(f"unknown age band {age_band!r}; choose one of {', '.join(AGE_BANDS)}")
        words = re.findall(r"\w+", (text or "").lower())
        with self._lock:
            if kpis:
                # hard filter: drills tagged with any of the KPIs; ranking: bm25 of the tags (weighted highest),
                # the tags' words in the name/description ("top speed") and the optional text words
                tags = list(dict.fromkeys(kpis))
                tagged = {
                    r[0]
                    for r in self._db.execute(
                        "SELECT id FROM drills_fts WHERE drills_fts MATCH ?",
                        (f"kpis : ({' OR '.join(_quote(k) for k in tags)})",),
                    )
                }
                terms = [_quote(k) for k in tags] + [_quote(k.replace("_", " ")) for k in tags if "_" in k]
                terms += [_quote(w) for w in dict.fromkeys(words)]
                rows = self._db.execute(
                    f"SELECT id FROM drills_fts WHERE drills_fts MATCH ? ORDER BY {_BM25}, id", (" OR ".join(terms),)
                ).fetchall()
                ids = [r[0] for r in rows if r[0] in tagged]
            elif words:
                rows = self._db.execute(
                    f"SELECT id FROM drills_fts WHERE drills_fts MATCH ? ORDER BY {_BM25}, id",
                    (" OR ".join(_quote(w) for w in dict.fromkeys(words)),),
                ).fetchall()
                ids = [r[0] for r in rows]
            else:
                ids = list(self._drills)
        have = None if equipment is None else set(equipment) | {"none"}
        allowed_intensity = None if intensity is None else set(intensity)
        skip = set(exclude)
        out: list[Drill] = []
        for drill_id in ids:
            d = self._drills.get(drill_id)
            if d is None or d.id in skip:
                continue
            if age_band is not None and age_band not in d.age_bands:
                continue
            if have is not None and not set(d.equipment) <= have:
                continue
            if max_minutes is not None and d.minutes > max_minutes:
                continue
            if allowed_intensity is not None and d.intensity not in allowed_intensity:
                continue
            out.append(d)
            if len(out) >= limit:
                break
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()
