"""From a notebook's code cells to one Python module, and a map back to the cells.

Code cells go into the module in order. IPython magics and shell lines (``%``, ``!``, a
``%%`` cell magic) are dropped, never run, with a note for the report (the body of ``%%time``,
``%%timeit`` and ``%%capture``, Python that Jupyter runs, is kept); a cell tagged with the
course's skip tag (``skip-grading``) is left out whole, so plots and training loops stay in
the notebook without running at grading time. Each generated line remembers its cell and
its line in that cell, so errors can point at what the student sees.

Two things Jupyter allows and a module does not are mended: ``from __future__`` imports (a
cell may start with one; a module only at its top) are gathered into the module's first line,
and ``display(...)``, which IPython provides, is given a do-nothing stand-in when the notebook
calls it without defining it. Help lines (``torch.matmul?``) are dropped like magics.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from grader.untrusted import clean_text

DEFAULT_SKIP_TAG = "skip-grading"


@dataclass(frozen=True)
class CellLine:
    """Where a line of the generated module came from."""

    cell: int  # 1-based, counting every cell of the notebook (Markdown too), as Jupyter shows them
    first_line: str  # the cell's first non-blank line, cleaned, for messages
    line: int  # 1-based line in that cell


@dataclass(frozen=True)
class Extraction:
    code: str
    lines: tuple[CellLine | None, ...]  # per generated line (index 0 = line 1); None for separators
    notes: tuple[str, ...]

    def where(self, lineno: int) -> CellLine | None:
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return None

    def definitions(self) -> dict[str, CellLine]:
        """Each top-level function and class to where it is defined (empty when the code does not parse)."""
        try:
            tree = ast.parse(self.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {}
        out: dict[str, CellLine] = {}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                where = self.where(node.lineno)
                if where is not None:
                    out[node.name] = where  # a later definition wins, as it does when the cells run
        return out

    def defined_names(self) -> frozenset[str] | None:
        """Top-level functions, classes and assigned names (None when the code does not parse)."""
        try:
            tree = ast.parse(self.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        names: set[str] = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        return frozenset(names)


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _short(line: str, limit: int) -> str:
    """``line`` cleaned (untrusted text) and cut to ``limit`` characters with an ellipsis."""
    line = line.strip()
    return clean_text(line if len(line) <= limit else line[: limit - 1] + "…", limit=limit + 20)


def _first_line(text: str, *, limit: int = 40) -> str:
    for line in text.splitlines():
        if line.strip():
            return _short(line, limit)
    return ""


_FUTURE = re.compile(r"^from\s+__future__\s+import\s+\(?\s*([\w\s,]+?)\s*\)?\s*(?:#.*)?$")
_HELP = re.compile(r"^\s*(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")
# Cell magics whose body is Python that Jupyter runs (timed or with its output captured): the
# magic line is dropped and the body kept. Any other (%%bash, %%writefile, %%html) is left out.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture"})
_DISPLAY_STAND_IN = "def display(*objects, **options): return None  # IPython's display(), absent when graded"


def _cell_magic(lines: list[str]) -> str:
    """The name of the cell magic the cell starts with (``%%bash`` -> ``bash``), or ""."""
    first = next((line.strip() for line in lines if line.strip()), "")
    return first[2:].split(maxsplit=1)[0] if first.startswith("%%") and len(first) > 2 else ""


def _is_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!")) or bool(_HELP.match(line))


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _calls_display_undefined(code: str) -> bool:
    if "display" not in code:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    used = defined = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "display":
            used = used or isinstance(node.ctx, ast.Load)
            defined = defined or isinstance(node.ctx, ast.Store)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "display":
            defined = True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined = defined or any((alias.asname or alias.name) == "display" for alias in node.names)
    return used and not defined


def extract(notebook: Any, *, skip_tag: str = DEFAULT_SKIP_TAG) -> Extraction:
    """The module built from ``notebook``'s code cells (see the module's docstring)."""
    code: list[str] = []
    where: list[CellLine | None] = []
    notes: list[str] = []
    features: list[str] = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        text = _source(cell)
        first = _first_line(text)
        tags = cell.get("metadata", {}).get("tags", []) or []
        if skip_tag and skip_tag in tags:
            notes.append(f"cell {number} (`{first}`) is tagged {clean_text(skip_tag, limit=40)}: not run")
            continue
        lines = text.splitlines()
        cell_magic = _cell_magic(lines)
        if cell_magic and cell_magic not in _PYTHON_CELL_MAGICS:
            notes.append(f"cell {number} (`{first}`) is a cell magic: not run")
            continue
        # A cell that parses as Python has no magic (a line starting with % continues an
        # expression, a ? ends a line of a string); IPython reads one only where Python cannot.
        has_magics = not _parses(text)
        for index, line in enumerate(lines, start=1):
            if has_magics and _is_magic(line):
                indent = line[: len(line) - len(line.lstrip())]
                notes.append(f"cell {number}, line {index}: `{_short(line, 60)}` "
                             f"(IPython magic or shell line) dropped, not run")
                line = f"{indent}pass  # dropped: magic or shell line"
            future = _FUTURE.match(line)
            if future:
                features += [f.strip() for f in future.group(1).split(",") if f.strip() not in ("", *features)]
                line = "pass  # from __future__ import: moved to the module's first line"
            code.append(line)
            where.append(CellLine(number, first, index))
        code.append("")
        where.append(None)
    head: list[str] = []
    if features:
        head.append(f"from __future__ import {', '.join(features)}")
    if _calls_display_undefined("\n".join(code)):
        head.append(_DISPLAY_STAND_IN)
    return Extraction("\n".join(head + code) + "\n", (None,) * len(head) + tuple(where), tuple(notes))
