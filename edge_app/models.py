"""The model manifest (models/manifest.toml): where model files are and what they must hash to."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import tomllib

from edge_app.errors import AxolotlError


def models_dir() -> Path:
    """`AXOLOTL_EDGE_MODELS` if set, else the repo's `models/` (files are committed there)."""
    env = os.environ.get("AXOLOTL_EDGE_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    file: str
    sha256: str
    format: str
    task: str
    input_size: int
    classes: tuple[str, ...]
    license: str
    source: str

    @property
    def path(self) -> Path:
        return models_dir() / self.file


def load_manifest() -> dict[str, ModelEntry]:
    path = models_dir() / "manifest.toml"
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise AxolotlError(
            f"model manifest not found at {path}; set AXOLOTL_EDGE_MODELS to the models folder"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise AxolotlError(f"model manifest {path} is not valid TOML ({exc}); restore it from git") from None
    entries = {}
    for m in raw.get("model", []):
        entries[m["name"]] = ModelEntry(
            name=m["name"],
            file=m["file"],
            sha256=m["sha256"],
            format=m["format"],
            task=m["task"],
            input_size=int(m["input_size"]),
            classes=tuple(m.get("classes", ())),
            license=m.get("license", "unknown"),
            source=m.get("source", ""),
        )
    return entries


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_file(entry: ModelEntry) -> str:
    """'ok', 'missing' or 'hash mismatch'."""
    if not entry.path.exists():
        return "missing"
    return "ok" if sha256_of(entry.path) == entry.sha256 else "hash mismatch"


def resolve_model(name_or_path: str, *, verify: bool = True) -> tuple[Path, ModelEntry | None]:
    """A manifest name (hash-checked) or a path to any model file (not checked)."""
    manifest = load_manifest()
    entry = manifest.get(name_or_path)
    if entry is None:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            known = ", ".join(sorted(manifest)) or "none"
            raise AxolotlError(
                f"model '{name_or_path}' is neither a file nor a manifest name (known: {known}); pass a path to an .onnx file"
            )
        return path, None
    if verify:
        state = check_file(entry)
        if state == "missing":
            raise AxolotlError(
                f"model file {entry.path} is missing; restore it with `git checkout models/` or re-export with scripts/export_onnx.py"
            )
        if state != "ok":
            raise AxolotlError(
                f"model file {entry.path} does not match its sha256 in models/manifest.toml (corrupt or replaced); restore it with `git checkout models/` or re-export with scripts/export_onnx.py"
            )
    return entry.path, entry
