"""Notebook submissions: read with nbformat, code cells extracted into the module the
sandboxed worker imports, errors translated back to cells. Jupyter never runs a notebook here.

Errors: :class:`NotebookError` (an unreadable or non-parsing notebook; grading makes it a
graded ``error``).

From inside a notebook: ``check_here()`` self-checks it (see :mod:`grader.notebooks.checking`).
Handouts as notebooks: :mod:`grader.notebooks.handouts` (``grader release --format notebook``).
"""

from __future__ import annotations

from grader.notebooks.extraction import DEFAULT_SKIP_TAG, CellLine, Extraction, extract
from grader.notebooks.preparing import (
    NotebookSettings,
    PreparedNotebook,
    describe,
    grade_notebook,
    prepare_notebook,
    translate_result,
)
from grader.notebooks.reading import DEFAULT_MAX_MB, NotebookError, read_notebook


def check_here(path=None, **options):  # type: ignore[no-untyped-def]
    """Self-check the notebook this cell runs in (visible tests); shows as the report in Jupyter.
    See :func:`grader.notebooks.checking.check_notebook` for ``path`` and the options.

    Called from anything but a notebook's cell (``__main__``), it does nothing and returns
    None: a check cell that lost its ``skip-grading`` tag is imported with the student's code
    when graded, and must not start a grading of its own there."""
    import sys

    if sys._getframe(1).f_globals.get("__name__") != "__main__":
        return None
    from grader.notebooks.checking import check_notebook

    return check_notebook(path, **options)


def check_notebook(path=None, **options):  # type: ignore[no-untyped-def]
    """Self-check the notebook at ``path`` (see :func:`grader.notebooks.checking.check_notebook`)."""
    from grader.notebooks.checking import check_notebook as check

    return check(path, **options)

__all__ = [
    "DEFAULT_MAX_MB",
    "DEFAULT_SKIP_TAG",
    "CellLine",
    "Extraction",
    "NotebookError",
    "NotebookSettings",
    "PreparedNotebook",
    "check_here",
    "check_notebook",
    "describe",
    "extract",
    "grade_notebook",
    "prepare_notebook",
    "read_notebook",
    "translate_result",
]
