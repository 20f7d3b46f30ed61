"""No two engine modules import each other (function-level imports count too): a module that
needs what its importer does takes it as an argument (``grade_in_parallel(..., grade_one)``)."""

from __future__ import annotations

import ast

from paths import ROOT


def _import_graph() -> dict[str, set[str]]:
    files = {}
    for path in (ROOT / "grader").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        files[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text())
        # imports for type annotations only (under `if TYPE_CHECKING:`) never run
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
                       for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in files)
    return graph


def _related(a: str, b: str) -> bool:
    """A package and its own submodules may import each other (``__init__`` re-exports)."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_two_engine_modules_import_each_other() -> None:
    graph = _import_graph()
    assert "grader.formats.grade_json" in graph["grader.assignment_pool"]  # imports inside functions are seen
    assert "grader.assignment_pool" in graph["grader.grading"]
    circles = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph[b] and not _related(a, b))
    assert circles == []
