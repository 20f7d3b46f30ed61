"""An assignment's code in a submission, as text: the one place similarity reads submissions.

A submission is found as grading finds it (:func:`grader.submission.locate_files`): its
student file (``iou.py``), else a notebook of the same name (``iou.ipynb``) read for its
code cells. Nothing is imported or run; a file too large for a student's answer is read up
to :data:`MAX_BYTES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

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


def notebook_code(path: Path) -> str | None:
    """The code grading would import from the notebook at ``path`` (:mod:`grader.notebooks`:
    validated, magics and shell lines dropped, ``skip-grading`` cells left out); None when it
    is not a notebook the grader can read (grading gives it an ``error``, so it has no code)."""
    from grader.notebooks import NotebookError, extract, read_notebook

    try:
        return extract(read_notebook(path)).code
    except NotebookError:
        return None


def submission_code(path: str | Path, spec: _HasStudentFile,
                    functions: tuple[str, ...] | None = None) -> str | None:
    """The code of ``spec``'s assignment in the submission at ``path``, or None when it has none.

    Found as grading finds it: the ``.py`` file, else ``<id>.ipynb``, else the submission's one
    general notebook when it defines one of ``functions`` (all of that notebook's code is then
    compared, as all of it is imported)."""
    student_file = spec.student_file
    try:
        found = locate_files(Path(path), [student_file],
                             functions=None if functions is None else {student_file: functions})
    except (SubmissionError, OSError):
        return None
    where = found.get(student_file)
    if where is None:
        return None
    try:
        if where.suffix == ".ipynb":
            return notebook_code(where)
        return _read(where)
    except OSError:
        return None
