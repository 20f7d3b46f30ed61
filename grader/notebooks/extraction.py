"""From a notebook's code cells to one Python module, and a map back to the cells.

Code cells go into the module in order. IPython magics and shell lines (``%``, ``!``, a
``%%`` cell magic) are dropped, never run, with a note for the report; a cell tagged with the
course's skip tag (``skip-grading``) is left out whole, so plots and training loops stay in
the notebook without running at grading time. Each generated line remembers its cell and
its line in that cell, so errors can point at what the student sees.
"""

from __future__ import annotations

import ast
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


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return clean_text(line.strip(), limit=40)
    return ""


def _is_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def extract(notebook: Any, *, skip_tag: str = DEFAULT_SKIP_TAG) -> Extraction:
    """The module built from ``notebook``'s code cells (see the module's docstring)."""
    code: list[str] = []
    where: list[CellLine | None] = []
    notes: list[str] = []
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
        if lines and lines[0].lstrip().startswith("%%"):
            notes.append(f"cell {number} (`{first}`) is a cell magic: not run")
            continue
        for index, line in enumerate(lines, start=1):
            if _is_magic(line):
                indent = line[: len(line) - len(line.lstrip())]
                notes.append(f"cell {number}, line {index}: `{clean_text(line.strip(), limit=60)}` "
                             f"(IPython magic or shell line) dropped, not run")
                line = f"{indent}pass  # dropped: magic or shell line"
            code.append(line)
            where.append(CellLine(number, first, index))
        code.append("")
        where.append(None)
    return Extraction("\n".join(code) + "\n", tuple(where), tuple(notes))
