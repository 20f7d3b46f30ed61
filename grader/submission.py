"""Finding a submission's files: at its top level or inside exactly one nested folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.errors import SubmissionError

_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


def submission_folder(path: Path, student_files: Iterable[str]) -> Path:
    """The folder holding the student's files: ``path`` itself, or its one nested folder
    (as zip exports add), when ``path`` has none of the files at its top level."""
    if not path.exists():
        raise SubmissionError(f"{path}: no such submission")
    if not path.is_dir():
        raise SubmissionError(f"{path}: a submission is a folder (extract archives first, or use `grader batch`)")
    names = set(student_files)
    if any((path / n).is_file() for n in names):
        return path
    subdirs = [p for p in path.iterdir() if p.is_dir() and p.name not in _IGNORED_DIRS and not p.name.startswith(".")]
    if len(subdirs) == 1:
        return subdirs[0]
    return path


def locate_files(path: Path, student_files: Iterable[str]) -> dict[str, Path | None]:
    """Each student file name to its path in the submission, or None when it is missing."""
    files = list(student_files)
    folder = submission_folder(path, files)
    found: dict[str, Path | None] = {}
    for name in files:
        candidate = folder / name
        # A symlink could point at the reference solution; only regular files are graded.
        found[name] = candidate if candidate.is_file() and not candidate.is_symlink() else None
    return found
