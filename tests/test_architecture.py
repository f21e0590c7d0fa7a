"""The house rules of docs/ARCHITECTURE.md, checked on the code as it is.

- no product module over 700 lines;
- no import circle between the product's modules (a package's own __init__ counts as a module);
- every "ARCHITECTURE §N" in the code points at a section that exists;
- no test module imports another test module (shared helpers live in conftest.py or helpers modules).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

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
    def resolve(dotted: str | None) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    deps = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            deps.update(filter(None, (resolve(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                # `from pkg import submodule` depends on the submodule, `from pkg import name` on pkg.
                sub = f"{module}.{alias.name}"
                deps.add(sub if sub in known else resolve(module))
    deps.discard(None)
    deps.discard(name)
    return deps


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
    too_long = {str(p.relative_to(ROOT)): n for p in _modules(PRODUCT).values()
                if (n := len(p.read_text().splitlines())) > MAX_LINES}
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
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if isinstance(node, ast.ImportFrom) and node.level:
                names = [a.name for a in node.names] + [node.module or ""]
            if any(re.search(r"(^|\.)test_\w+$", n) for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"move the shared helpers to conftest.py or a helpers module: {sorted(set(offenders))}"
