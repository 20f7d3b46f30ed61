"""Handouts as notebooks (``grader release --format notebook``), built with nbformat.

Per assignment, ``assignments/<id>/<id>.ipynb``:

1. the handout (``assignments/<id>/README.md``) as Markdown cells, one per ``##`` section;
2. an install cell for Colab or a fresh machine (tagged ``skip-grading``): it installs the
   grader only where it is missing;
3. the stub as code cells: its docstring and imports, then one cell per function;
4. a check cell (tagged ``skip-grading``): ``check_here("<id>.ipynb")`` grades the saved
   notebook with the visible tests and shows the report inline.

The cells carry fixed ids, so the same course always builds the same notebooks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from grader.notebooks.extraction import DEFAULT_SKIP_TAG

NOTEBOOK_FORMAT = "notebook"  # grader release --format notebook
# Where the install cell installs the grader from, by default: the release's root, two folders up
# from the notebook (Jupyter runs a notebook in its own folder).
DEFAULT_INSTALL_SPEC = "../.."


def code_cells(source: str) -> list[str]:
    """``source`` cut into cells: what comes before the first definition, then a cell per
    top-level function or class (its decorators and the comments above it included)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source.strip("\n")]
    lines = source.splitlines()
    starts = [0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            while first > starts[-1] and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            if first > starts[-1]:
                starts.append(first)
    bounds = [*starts, len(lines)]
    cells = ["\n".join(lines[a:b]).strip("\n") for a, b in zip(bounds, bounds[1:])]
    return [cell for cell in cells if cell.strip()]


def markdown_sections(text: str) -> list[str]:
    """Markdown cut before each ``#``/``##`` heading (not inside fenced code)."""
    sections: list[list[str]] = [[]]
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and re.match(r"#{1,2} ", line) and any(s.strip() for s in sections[-1]):
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(s).strip("\n") for s in sections if any(line.strip() for line in s)]


def install_source(install_spec: str = DEFAULT_INSTALL_SPEC) -> str:
    return (
        "# Colab or a fresh machine: run this first, it installs the grader where it is missing.\n"
        "# (Not graded. On your own machine with the course installed, it does nothing.)\n"
        "import importlib.util\n"
        "\n"
        "if importlib.util.find_spec(\"grader\") is None:\n"
        f"    %pip install -q --extra-index-url https://download.pytorch.org/whl/cpu {install_spec}\n"
    )


def check_source(notebook_name: str) -> str:
    return (
        "# Self-check with the visible tests: save the notebook first (Ctrl+S / Cmd+S), then run this cell.\n"
        "# It grades the saved file, as `grader check` does; the final grade runs hidden tests too.\n"
        "# (This cell is not graded.)\n"
        "from grader.notebooks import check_here\n"
        "\n"
        f"check_here({notebook_name!r})\n"
    )


def handout_notebook(assignment_folder: Path, assignment_id: str, student_file: str, *,
                     skip_tag: str = DEFAULT_SKIP_TAG, install_spec: str = DEFAULT_INSTALL_SPEC) -> Any:
    """The notebook of the assignment in ``assignment_folder`` (an ``nbformat.NotebookNode``)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    name = f"{Path(student_file).stem}.ipynb"
    readme = assignment_folder / "README.md"
    handout = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {assignment_id}\n"
    stub = (assignment_folder / student_file).read_text(encoding="utf-8")
    skipped = {"tags": [skip_tag]}
    cells = [new_markdown_cell(section) for section in markdown_sections(handout)]
    cells.append(new_markdown_cell(
        f"## Your code\n\nComplete the functions below (each stub raises `NotImplementedError` until you do). "
        f"Only code cells are graded, in order, as `{student_file}` would be; cells tagged `{skip_tag}` are "
        f"not (keep your plots and experiments in such cells), and IPython magics (`%`, `!`) never run. "
        f"Run the last cell to check your work with the visible tests."))
    cells.append(new_code_cell(install_source(install_spec), metadata=dict(skipped)))
    cells += [new_code_cell(code) for code in code_cells(stub)]
    cells.append(new_markdown_cell("## Self-check"))
    cells.append(new_code_cell(check_source(name), metadata=dict(skipped)))
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"{assignment_id}-{number}"[:64]
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return notebook


def write_handout_notebook(assignment_folder: Path, assignment_id: str, student_file: str, *,
                           skip_tag: str = DEFAULT_SKIP_TAG, install_spec: str = DEFAULT_INSTALL_SPEC) -> Path:
    """Write ``<id>.ipynb`` beside the stub; returns its path."""
    import nbformat

    notebook = handout_notebook(assignment_folder, assignment_id, student_file, skip_tag=skip_tag,
                                install_spec=install_spec)
    path = assignment_folder / f"{Path(student_file).stem}.ipynb"
    nbformat.write(notebook, str(path))
    return path
