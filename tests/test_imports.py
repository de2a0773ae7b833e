"""The import graph of ``src/orthotune`` has no cycle — function-level imports and package
faces (``__init__``) included — so data flows one way (DESIGN.md's package map)."""

import ast
from pathlib import Path

import orthotune

ROOT = Path(orthotune.__file__).parent


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the modules of the package it imports anywhere in its body (``from pkg import
    name`` counts as pkg.name when that is a module, else as pkg)."""
    files = {_module(f, root): f for f in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                ]
            else:
                continue
            edges |= {t for t in targets if t in files and t != name}
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_function_level_cycle(tmp_path):
    pkg = tmp_path / "orthotune"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from orthotune.a._x import f\n")
    (pkg / "a" / "_x.py").write_text("def f():\n    from orthotune.a import _y\n")
    (pkg / "a" / "_y.py").write_text("from orthotune.a._x import f\n")
    assert cycles(import_graph(pkg)) == [["orthotune.a._x", "orthotune.a._y"]]


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


# The callers of the renderer: the CLI and the Python API ask for the report; compute returns.
RENDERER = "orthotune.report"
RENDERER_CALLERS = ("orthotune.cli", "orthotune._api", RENDERER)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def renderer_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(compute module, report module) for every import of the renderer outside its callers."""
    return sorted(
        (m, t)
        for m, targets in graph.items()
        if not any(_inside(m, c) for c in RENDERER_CALLERS)
        for t in targets
        if _inside(t, RENDERER)
    )


def private_imports(graph: dict[str, set[str]], root: Path = ROOT) -> list[tuple[str, str]]:
    """(module, private module) for every import of a private module (a name part starting with
    ``_``) of another package: a package is used through its ``__init__``. The root package's
    own private modules (``orthotune._rundir``, ``_errors`` …) are shared by every package."""

    def package_of(module: str) -> str:
        is_package = (root.parent / module.replace(".", "/") / "__init__.py").is_file()
        return module if is_package else module.rpartition(".")[0]

    found = []
    for m, targets in graph.items():
        for t in targets:
            parts = t.split(".")
            private = next((i for i, p in enumerate(parts) if p.startswith("_")), None)
            if private is not None and not _inside(package_of(m), ".".join(parts[:private])):
                found.append((m, t))
    return sorted(found)


def _toy(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "orthotune"
    for name, text in {"__init__.py": "", **files}.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    return pkg


def test_the_checkers_find_a_renderer_import_and_a_private_import(tmp_path):
    pkg = _toy(
        tmp_path,
        {
            "report/__init__.py": "def render_report(path): ...\n",
            "cli/__init__.py": "from orthotune.report import render_report\n",
            "fit/__init__.py": "from orthotune.fit._x import f\n",
            "fit/_x.py": "from orthotune._base import g\n\ndef f(): ...\n",
            "_base.py": "def g(): ...\n",
            "search/__init__.py": "",
            "search/_job.py": "def run():\n    from orthotune.report import render_report\n"
            "    from orthotune.fit._x import f\n    from orthotune.fit import f\n",
        },
    )
    graph = import_graph(pkg)
    assert renderer_imports(graph) == [("orthotune.search._job", "orthotune.report")]
    assert private_imports(graph, pkg) == [("orthotune.search._job", "orthotune.fit._x")]


def test_compute_never_imports_the_renderer():
    assert renderer_imports(import_graph()) == []


def test_no_package_reaches_into_another_ones_private_modules():
    assert private_imports(import_graph()) == []
