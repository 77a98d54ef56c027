"""The project's own import graph (stdlib ast): no cycles, and no function-level import that only
dodges one.

Definitions (the same as ../shared/tools/import_cycles.py):
- a module is every .py file under PACKAGES; `from a.b import c` is an edge to `a.b.c` when that
  is a module, else to `a.b`; relative imports are resolved; a package importing its own
  submodules (`mobile_api` -> `mobile_api.routes`) is assembly, not an edge;
- a *cycle* is a strongly connected group of two or more modules over all imports, wherever in
  the file they are written;
- a *dodging import* is an import inside a function (or lambda) of module A naming a project module
  B such that B already reaches A: written at the top of A, it would close a cycle. Such an import
  hides a cycle instead of removing it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backend", "mobile_api", "dispatch", "geo", "contracts")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, packages=PACKAGES) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, function-level edges) between the project's own modules."""
    files = {module_name(p, root): p for pkg in packages if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py")}
    top: dict[str, set[str]] = {name: set() for name in files}
    inner: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, in_function in _imports(tree):
            for target in _targets(node, package, files.keys()):
                if target != name and not target.startswith(name + "."):
                    (inner if in_function else top)[name].add(target)
    return top, inner


def _imports(tree: ast.AST, in_function=False):
    """(import node, whether it sits inside a function) for every import of the file."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _imports(child, nested)


def _targets(node, package: str, known) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*up, base] if base else up)
        names = [f"{base}.{alias.name}" for alias in node.names]  # a name, not a module: `base`
    found = set()
    for target in names:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected groups of two or more modules (mutual reachability; the graph is small)."""
    reach = {name: reachable(graph, name) for name in graph}
    groups = {frozenset({n, *(m for m in reach[n] if n in reach[m])}) for n in graph}
    return sorted((g for g in groups if len(g) > 1), key=sorted)


def reachable(graph: dict[str, set[str]], source: str) -> set[str]:
    seen, todo = set(), [source]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def dodging_imports(top: dict[str, set[str]], inner: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Function-level imports A -> B where B reaches A through the module-level imports."""
    return sorted((a, b) for a, targets in inner.items() for b in targets if b not in top[a] and a in reachable(top, b))


def _everything(top, inner):
    return {name: top[name] | inner[name] for name in top}


@pytest.fixture(scope="module")
def project():
    return import_graph(ROOT)


def test_no_import_cycles(project):
    found = [sorted(c) for c in cycles(_everything(*project))]
    assert found == [], "import cycles: arrows must point one way (routes -> services -> models)"


def test_no_function_level_import_dodges_a_cycle(project):
    dodges = [(a, b) for a, b in dodging_imports(*project)]
    assert dodges == [], "these imports inside functions would close a cycle if written at the top"


def test_realtime_does_not_import_the_mobile_api(project):
    top, inner = project
    assert not {m for m in top["backend.realtime"] | inner["backend.realtime"] if m.startswith("mobile_api")}


def test_the_checker_finds_a_cycle_and_the_import_that_hides_it(tmp_path):
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("from app import routes\n")  # assembly: not an edge
    (package / "routes.py").write_text("from app.service import run\n")
    (package / "service.py").write_text("from . import models\n\ndef run():\n    from app.routes import x\n")
    (package / "models.py").write_text("import json\n\ndef load():\n    import app.util\n")
    (package / "util.py").write_text("")
    top, inner = import_graph(tmp_path, ("app",))
    assert top["app"] == set() and top["app.service"] == {"app.models"}
    assert cycles(_everything(top, inner)) == [frozenset({"app.routes", "app.service"})]
    assert dodging_imports(top, inner) == [("app.service", "app.routes")]  # models -> util hides nothing
