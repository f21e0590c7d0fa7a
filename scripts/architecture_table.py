"""Writes docs/ARCHITECTURE.md §2's table of rooms from docs/layers.toml (the one place the layering is stated).

    python scripts/architecture_table.py          # rewrite the table between the layers markers
    python scripts/architecture_table.py --check  # exit 1 if the doc differs from what would be written

tests/test_architecture.py runs the check and checks the code's imports against the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "docs" / "layers.toml"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
BEGIN, END = "<!-- layers:begin -->", "<!-- layers:end -->"


def table(layers: dict) -> str:
    lines = ["| room | owns | may import |", "|---|---|---|"]
    for room in layers["rooms"].values():
        may = (
            room.get("may_import_text")
            or "; ".join(filter(None, [", ".join(room.get("may_import", [])), room.get("libs", "")]))
            or "–"
        )
        lines.append(f"| {room['label']} | {room['owns']} | {may} |")
    return "\n".join(lines)


def render(doc: str, layers: dict) -> str:
    head, begin, rest = doc.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        raise SystemExit(f"{DOC.relative_to(ROOT)} lacks the {BEGIN} ... {END} markers")
    return f"{head}{BEGIN}\n{table(layers)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    layers = tomllib.loads(LAYERS.read_text())
    doc = DOC.read_text()
    new = render(doc, layers)
    if "--check" in argv:
        return 0 if new == doc else 1
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
