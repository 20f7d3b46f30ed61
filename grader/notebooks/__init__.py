"""Notebook submissions: read with nbformat, code cells extracted into the module the
sandboxed worker imports, errors translated back to cells. Jupyter never runs a notebook here.

Errors: :class:`NotebookError` (an unreadable or non-parsing notebook; grading makes it a
graded ``error``).
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

__all__ = [
    "DEFAULT_MAX_MB",
    "DEFAULT_SKIP_TAG",
    "CellLine",
    "Extraction",
    "NotebookError",
    "NotebookSettings",
    "PreparedNotebook",
    "describe",
    "extract",
    "grade_notebook",
    "prepare_notebook",
    "read_notebook",
    "translate_result",
]
