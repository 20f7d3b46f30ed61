"""A static backstop for forbidden calls: names in the student's source, resolved through imports.

The worker replaces each forbidden function with a tracer, but the student's code runs in
the same process and could put the original back (``importlib.reload``, a reference kept
from ``torch._C``, ...). So the grader also reads the source: every dotted name used in a
graded function, in the helpers those call (by name, transitively) and at module level
is resolved through the file's imports (``import torch.autograd as ag``, ``from torch import
autograd``) and compared with the forbidden names. A helper nobody graded calls (a student's
own gradient check) is not flagged. Also flagged: ``torch._C``/``torch._VF`` names whose
last part is a forbidden name's last part (``torch._VF.lstm``), and the autograd engine
(``_execution_engine``) where autograd is forbidden. Names built at run time (``getattr``
with strings, ``__import__``) are not seen: the tracers are the first line there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

MAX_SOURCE_BYTES = 2 << 20
MODULE_LEVEL = "module-level code"
_DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it stands for."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _scanned_nodes(tree: ast.Module, functions: tuple[str, ...]) -> list[tuple[str, ast.AST]]:
    """(where, node) pairs to scan: module-level code and the graded functions with their helpers.

    ``where`` names the graded function a helper was reached from, so that the student is told
    which of their functions led to the forbidden name, not only which helper held it.
    """
    defs = {n.name: n for n in tree.body if isinstance(n, _DEF_TYPES)}
    scanned: list[tuple[str, ast.AST]] = [(MODULE_LEVEL, n) for n in tree.body if not isinstance(n, _DEF_TYPES)]
    seen: set[str] = set()

    def follow(start: str, via: str) -> None:
        todo = [start]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            scanned.append((name if name == via else f"{name}, called from {via}", defs[name]))
            todo.extend(n.id for n in ast.walk(defs[name])
                        if isinstance(n, ast.Name) and n.id in defs and n.id not in seen)

    for name in (functions if functions else tuple(defs)):
        if name in defs:
            follow(name, name)
    for where, node in list(scanned):  # module-level code may call helpers too (at import)
        if where == MODULE_LEVEL:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                    follow(sub.id, MODULE_LEVEL)
    return scanned


def find_forbidden_uses(source: str, forbidden: Iterable[str],
                        functions: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Forbidden dotted name -> where the graded code of ``source`` refers to it (sorted)."""
    forbidden = tuple(forbidden)
    if not forbidden:
        return {}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}  # the import will report it
    aliases = _imports(tree)
    leaves = {name.rsplit(".", 1)[-1] for name in forbidden}
    autograd_forbidden = any(name.startswith("torch.autograd") for name in forbidden)
    found: dict[str, set[str]] = {}
    for where, root in _scanned_nodes(tree, functions):
        for node in ast.walk(root):
            if isinstance(node, ast.alias) or not isinstance(node, (ast.Attribute, ast.Name)):
                continue
            name = _forbidden_name(node, aliases, forbidden, leaves, autograd_forbidden)
            if name:
                found.setdefault(name, set()).add(where)
    return {name: tuple(sorted(found[name])) for name in sorted(found)}


def _forbidden_name(node: ast.AST, aliases: dict[str, str], forbidden: tuple[str, ...], leaves: set[str],
                    autograd_forbidden: bool) -> str:
    parts = _dotted(node)
    if not parts or parts[0] not in aliases:
        if autograd_forbidden and isinstance(node, ast.Attribute) and node.attr == "_execution_engine":
            return "torch.autograd (its engine)"
        return ""
    name = ".".join([aliases[parts[0]], *parts[1:]])
    if name in forbidden:
        return name
    if name.startswith(("torch._C.", "torch._VF.")) and parts[-1] in leaves:
        return name
    if autograd_forbidden and parts[-1] == "_execution_engine":
        return "torch.autograd (its engine)"
    return ""


def find_forbidden(source: str, forbidden: Iterable[str], functions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Forbidden dotted names the graded code of ``source`` refers to (sorted, unique)."""
    return tuple(find_forbidden_uses(source, forbidden, functions))


def _calls(defs: dict[str, ast.AST]) -> dict[str, set[str]]:
    """Each top-level definition -> the other top-level definitions it names (its calls, statically)."""
    return {name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in defs and n.id != name}
            for name, node in defs.items()}


def charged_functions(source: str, forbidden: Iterable[str],
                      functions: tuple[str, ...]) -> tuple[dict[str, str], bool]:
    """Who pays for each forbidden reference: ``({graded function: why}, whole_file)``.

    A forbidden name in a function is charged to that function and to every graded function
    that calls it, directly or through helpers (a static call graph of the module's top-level
    definitions); ``why`` says which name, where, and through which call. A forbidden name in
    module-level code runs at import, so it is charged to the whole file (``whole_file``).
    """
    forbidden = tuple(forbidden)
    if not forbidden:
        return {}, False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}, False
    aliases = _imports(tree)
    leaves = {name.rsplit(".", 1)[-1] for name in forbidden}
    autograd_forbidden = any(name.startswith("torch.autograd") for name in forbidden)

    def names_in(root: ast.AST) -> set[str]:
        found = set()
        for node in ast.walk(root):
            if isinstance(node, (ast.Attribute, ast.Name)):
                name = _forbidden_name(node, aliases, forbidden, leaves, autograd_forbidden)
                if name:
                    found.add(name)
        return found

    defs = {n.name: n for n in tree.body if isinstance(n, _DEF_TYPES)}
    if any(names_in(n) for n in tree.body if not isinstance(n, _DEF_TYPES)):
        return {}, True
    direct = {name: names_in(node) for name, node in defs.items()}
    calls = _calls(defs)
    charged: dict[str, str] = {}
    for fn in functions:
        if fn not in defs:
            continue
        # Breadth first, so each offending helper is named with the shortest chain of calls.
        paths, queue = {fn: [fn]}, [fn]
        while queue:
            name = queue.pop(0)
            for callee in sorted(calls[name]):
                if callee not in paths:
                    paths[callee] = [*paths[name], callee]
                    queue.append(callee)
        reasons = []
        for name, chain in paths.items():
            for bad in sorted(direct[name]):
                via = "" if name == fn else f", which {fn} calls" + (
                    f" through {' → '.join(chain[1:-1])}" if len(chain) > 2 else "")
                reasons.append(f"{bad} (in {name}{via})")
        if reasons:
            charged[fn] = "; ".join(reasons)
    return charged, False


def describe_uses(file_name: str, uses: dict[str, tuple[str, ...]]) -> str:
    """One sentence for the student: which forbidden names, and in which of their functions."""
    parts = [f"{name} (in {'; '.join(where)})" for name, where in uses.items()]
    return f"{file_name} refers to {', '.join(parts)}"


def forbidden_references(path: str, forbidden: Iterable[str],
                         functions: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """:func:`find_forbidden_uses` for the file at ``path`` (empty when it cannot be read: the worker says why)."""
    forbidden = tuple(forbidden)
    source = _read_source(path) if forbidden else None
    return find_forbidden_uses(source, forbidden, functions) if source is not None else {}


def charged_references(path: str, forbidden: Iterable[str],
                       functions: tuple[str, ...]) -> tuple[dict[str, str], bool]:
    """:func:`charged_functions` for the file at ``path``."""
    forbidden = tuple(forbidden)
    source = _read_source(path) if forbidden else None
    return charged_functions(source, forbidden, functions) if source is not None else ({}, False)


def _read_source(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_SOURCE_BYTES:
        return None
    return data.decode("utf-8", errors="replace")
