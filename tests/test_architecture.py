"""The house rules of docs/ARCHITECTURE.md, checked on the code as it is.

- every import of every product module (lazy ones too) is one its room may make (docs/layers.toml), and
  §2's table is the one scripts/architecture_table.py writes from that file;
- no product module over 700 lines;
- no import circle between the product's modules (a package's own __init__ counts as a module);
- every "ARCHITECTURE §N" in the code points at a section that exists;
- no test module imports another test module (shared helpers live in conftest.py or helpers modules).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("edge_app", "sync", "ui", "cloud_ingest", "cli")
MAX_LINES = 700


def _modules(packages, root: Path = ROOT) -> dict[str, Path]:
    mods = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = path
    return mods


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Product modules that `name` imports anywhere in its body (lazy imports count too)."""
    return {dep for dep, _ in _import_lines(name, path, known)}


def _import_lines(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(product module, line) for every import in `name`'s body, lazy ones included."""

    def resolve(dotted: str | None) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    deps = []
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            deps += [(d, node.lineno) for d in (resolve(a.name) for a in node.names) if d]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                # `from pkg import submodule` depends on the submodule, `from pkg import name` on pkg.
                sub = f"{module}.{alias.name}"
                dep = sub if sub in known else resolve(module)
                if dep:
                    deps.append((dep, node.lineno))
    return [(dep, line) for dep, line in deps if dep != name]


def import_cycles(packages=PRODUCT, root: Path = ROOT) -> list[list[str]]:
    mods = _modules(packages, root)
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    # Tarjan's strongly connected components, iteratively.
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]

    def visit(root_node):
        work = [(root_node, iter(sorted(graph[root_node])))]
        index[root_node] = low[root_node] = counter[0]
        counter[0] += 1
        stack.append(root_node)
        on_stack.add(root_node)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return cycles


def test_no_product_module_is_over_700_lines():
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(PRODUCT).values()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules by job: {too_long}"


def test_no_import_circle_between_product_modules():
    assert import_cycles() == []


def test_the_cycle_check_finds_a_circle(tmp_path):
    pkg = tmp_path / "edge_app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from edge_app.a import A\n")
    (pkg / "a.py").write_text("A = 1\ndef f():\n    from edge_app import b\n")
    (pkg / "b.py").write_text("from . import a\n")
    (pkg / "c.py").write_text("from edge_app import A\n")
    assert import_cycles(("edge_app",), tmp_path) == [["edge_app.a", "edge_app.b"]]
    (pkg / "a.py").write_text("from edge_app import c\n")  # c imports the package face, which imports a
    assert import_cycles(("edge_app",), tmp_path) == [["edge_app", "edge_app.a", "edge_app.c"]]


def test_every_architecture_reference_points_at_a_section():
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    sections = set(re.findall(r"^## (\d+)\.", doc, flags=re.M))
    assert sections, "docs/ARCHITECTURE.md has no numbered sections"
    refs = {}
    for folder in (*PRODUCT, "tests", "benchmarks", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                continue  # a virtualenv inside the tree (benchmarks/.venv-peers: the peers' packages, not ours)
            for n in re.findall(r"ARCHITECTURE(?:\.md)? §(\d+)", path.read_text()):
                refs.setdefault(n, []).append(str(path.relative_to(ROOT)))
    assert refs, "no module cites the architecture document"
    dangling = {n: files for n, files in refs.items() if n not in sections}
    assert not dangling, f"references to sections that docs/ARCHITECTURE.md lacks: {dangling}"


def test_no_test_module_imports_another_test_module():
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
            )
            if isinstance(node, ast.ImportFrom) and node.level:
                names = [a.name for a in node.names] + [node.module or ""]
            if any(re.search(r"(^|\.)test_\w+$", n) for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"move the shared helpers to conftest.py or a helpers module: {sorted(set(offenders))}"


# -- the layers: docs/layers.toml ----------------------------------------------------------------

LAYERS = ROOT / "docs" / "layers.toml"


def layer_violations(root: Path = ROOT, layers_file: Path = LAYERS) -> list[str]:
    """Every import from one room into another that the room's `may_import` leaves out, as readable lines."""
    rooms = {name: room for name, room in tomllib.loads(layers_file.read_text())["rooms"].items() if room.get("paths")}
    problems = [
        f"room {name} may import an unknown room {other}"
        for name, room in rooms.items()
        for other in room["may_import"]
        if other not in rooms
    ]
    paths = {p: name for name, room in rooms.items() for p in room["paths"]}

    def room_of(rel: str) -> str | None:
        owners = [p for p in paths if rel == p or rel.startswith(p + "/")]
        return paths[max(owners, key=len)] if owners else None

    mods = _modules(sorted({p.split("/")[0] for p in paths}), root)
    for name, path in mods.items():
        rel = path.relative_to(root).as_posix()
        here = room_of(rel)
        if here is None:
            problems.append(f"{rel} is in no room of {layers_file.name}")
            continue
        for dep, line in sorted(_import_lines(name, path, mods), key=lambda d: d[1]):
            there = room_of(mods[dep].relative_to(root).as_posix())
            if there not in (here, None) and there not in rooms[here]["may_import"]:
                problems.append(f"room {here} imports room {there} ({rel}:{line}: {dep}) but may not")
    return problems


def test_every_import_is_one_its_room_may_make():
    problems = layer_violations()
    assert not problems, "imports that docs/layers.toml does not allow:\n" + "\n".join(problems)


def test_the_core_imports_neither_the_border_nor_the_kiosk_nor_the_command_line():
    """ARCHITECTURE §1: nothing in edge_app/ imports sync/, cloud_ingest/, ui/ (or cli/, which starts them)."""
    rooms = tomllib.loads(LAYERS.read_text())["rooms"]
    core = {
        name: room["may_import"]
        for name, room in rooms.items()
        if room.get("paths") and all(p.startswith("edge_app/") for p in room["paths"])
    }
    assert core and not {
        name: sorted(set(may) & {"sync", "cloud_ingest", "ui", "cli"})
        for name, may in core.items()
        if set(may) & {"sync", "cloud_ingest", "ui", "cli"}
    }


def test_the_layer_check_finds_a_forbidden_import(tmp_path):
    (tmp_path / "core" / "low").mkdir(parents=True)
    (tmp_path / "border").mkdir()
    for pkg in ("core", "core/low", "border"):
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "core" / "low" / "a.py").write_text("import json\nfrom core import base\n")
    (tmp_path / "core" / "base.py").write_text("X = 1\n")
    (tmp_path / "border" / "api.py").write_text("from core.low import a\n")
    layers = tmp_path / "layers.toml"
    layers.write_text(
        '[rooms.low]\npaths = ["core/low"]\nmay_import = ["base"]\n'
        '[rooms.base]\npaths = ["core/__init__.py", "core/base.py"]\nmay_import = []\n'
        '[rooms.border]\npaths = ["border"]\nmay_import = ["low", "base"]\n'
    )
    assert layer_violations(tmp_path, layers) == []
    (tmp_path / "core" / "base.py").write_text("X = 1\n\ndef f():\n    from border.api import a  # lazy: counts too\n")
    assert layer_violations(tmp_path, layers) == [
        "room base imports room border (core/base.py:4: border.api) but may not"
    ]
    (tmp_path / "core" / "stray.py").write_text("")
    assert "core/stray.py is in no room of layers.toml" in layer_violations(tmp_path, layers)


def test_the_doc_table_of_rooms_is_the_one_the_layers_file_writes():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "architecture_table.py"), "--check"])
    assert check.returncode == 0, (
        "docs/ARCHITECTURE.md §2 differs from docs/layers.toml: "
        "run `python scripts/architecture_table.py` and commit both"
    )
