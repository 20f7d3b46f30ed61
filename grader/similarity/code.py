"""An assignment's code in a submission, as text: the one place similarity reads submissions.

A submission is found as grading finds it (:func:`grader.submission.locate_files`): its
student file (``iou.py``), else a notebook of the same name (``iou.ipynb``) read for its
code cells. Nothing is imported or run; a file too large for a student's answer is read up
to :data:`MAX_BYTES`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from grader.errors import SubmissionError
from grader.submission import locate_files

__all__ = ["MAX_BYTES", "notebook_code", "submission_code"]

MAX_BYTES = 1_000_000


class _HasStudentFile(Protocol):
    student_file: str


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES)
    return data.decode("utf-8", errors="replace")


def _extractor():  # type: ignore[no-untyped-def]
    """The notebook reader of :mod:`grader.notebooks` (issue 15), where it is installed."""
    try:
        from grader import notebooks  # type: ignore[attr-defined]
    except ImportError:
        return None
    for name in ("notebook_code", "extract_code", "code_of"):
        function = getattr(notebooks, name, None)
        if callable(function):
            return function
    return None


def notebook_code(path: Path) -> str | None:
    """The code cells of the notebook at ``path``, joined in order; None if it is not one.

    Lines of IPython magics and shell escapes (``%time``, ``!pip``) are left out: they are
    not Python and would stop the tokenizer."""
    extract = _extractor()
    if extract is not None:
        try:
            code = extract(path)
        except Exception:  # noqa: BLE001 - a broken notebook is a submission without this code
            return None
        return code if isinstance(code, str) else None
    try:
        document: Any = json.loads(_read(path))
    except ValueError:
        return None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return None
    parts = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def submission_code(path: str | Path, spec: _HasStudentFile) -> str | None:
    """The code of ``spec``'s assignment in the submission at ``path``, or None when it has none."""
    student_file = spec.student_file
    notebook = str(Path(student_file).with_suffix(".ipynb"))
    try:
        found = locate_files(Path(path), [student_file, notebook])
    except SubmissionError:
        return None
    try:
        if found.get(student_file) is not None:
            return _read(found[student_file])  # type: ignore[arg-type]
        if found.get(notebook) is not None:
            return notebook_code(found[notebook])  # type: ignore[arg-type]
    except OSError:
        return None
    return None
