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


def _scanned_nodes(tree: ast.Module, functions: tuple[str, ...]) -> list[ast.AST]:
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    roots = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    todo = [name for name in functions if name in defs] if functions else list(defs)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        roots.append(defs[name])
        for node in ast.walk(defs[name]):
            if isinstance(node, ast.Name) and node.id in defs and node.id not in seen:
                todo.append(node.id)
    for node in list(roots):  # module-level code may call helpers too (at import)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                    seen.add(sub.id)
                    roots.append(defs[sub.id])
    return roots


def find_forbidden(source: str, forbidden: Iterable[str], functions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Forbidden dotted names the graded code of ``source`` refers to (sorted, unique)."""
    forbidden = tuple(forbidden)
    if not forbidden:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()  # the import will report it
    aliases = _imports(tree)
    leaves = {name.rsplit(".", 1)[-1] for name in forbidden}
    autograd_forbidden = any(name.startswith("torch.autograd") for name in forbidden)
    found: set[str] = set()
    for root in _scanned_nodes(tree, functions):
        for node in ast.walk(root):
            if isinstance(node, ast.alias) or not isinstance(node, (ast.Attribute, ast.Name)):
                continue
            parts = _dotted(node)
            if not parts or parts[0] not in aliases:
                if autograd_forbidden and isinstance(node, ast.Attribute) and node.attr == "_execution_engine":
                    found.add("torch.autograd (its engine)")
                continue
            name = ".".join([aliases[parts[0]], *parts[1:]])
            if name in forbidden:
                found.add(name)
            elif name.startswith(("torch._C.", "torch._VF.")) and parts[-1] in leaves:
                found.add(name)
            elif autograd_forbidden and parts[-1] == "_execution_engine":
                found.add("torch.autograd (its engine)")
    return tuple(sorted(found))


def forbidden_references(path: str, forbidden: Iterable[str], functions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """:func:`find_forbidden` for the file at ``path`` ("" when it cannot be read: the worker says why)."""
    forbidden = tuple(forbidden)
    if not forbidden:
        return ()
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        return ()
    if len(data) > MAX_SOURCE_BYTES:
        return ()
    return find_forbidden(data.decode("utf-8", errors="replace"), forbidden, functions)
