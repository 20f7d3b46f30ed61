"""Finding a submission's files (SPEC §1).

Each assignment's file is looked for at the submission's top level, or inside exactly one
nested folder (zip exports add one), and in either, where the student release puts it
(``assignments/<id>/<file>``). Beside each ``<id>.py`` place, ``<id>.ipynb`` is accepted; a
notebook the course maps to assignments (``[notebooks] files``) holds them; and a submission's
one other notebook holds every assignment whose functions it defines. A ``.py`` file wins over
a notebook for the same assignment.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

from grader.errors import SubmissionError
from grader.untrusted import clean_name

_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}
NOTEBOOK_SUFFIX = ".ipynb"


def _is_file(path: Path) -> bool:
    # A symlink could point at the reference solution; only regular files are graded.
    return path.is_file() and not path.is_symlink()


def _has_submission_files(folder: Path, names: set[str]) -> bool:
    stems = {Path(n).stem for n in names}
    if any(_is_file(folder / n) or _is_file(folder / f"{Path(n).stem}{NOTEBOOK_SUFFIX}") for n in names):
        return True
    if any((folder / "assignments" / s).is_dir() for s in stems):
        return True
    return any(p.suffix == NOTEBOOK_SUFFIX and _is_file(p) for p in folder.iterdir())


def submission_folder(path: Path, student_files: Iterable[str]) -> Path:
    """The folder holding the student's files: ``path`` itself, or its one nested folder
    (as zip exports add), when ``path`` has none of the files at its top level."""
    if not path.exists():
        raise SubmissionError(f"{path}: no such submission")
    if not path.is_dir():
        raise SubmissionError(f"{path}: a submission is a folder (extract archives first, or use `grader batch`)")
    names = set(student_files)
    if _has_submission_files(path, names):
        return path
    subdirs = [p for p in path.iterdir() if p.is_dir() and p.name not in _IGNORED_DIRS and not p.name.startswith(".")]
    if len(subdirs) == 1:
        return subdirs[0]
    return path


def _own_file(folder: Path, name: str) -> Path | None:
    stem = Path(name).stem
    for candidate in (folder / name, folder / "assignments" / stem / name,
                      folder / f"{stem}{NOTEBOOK_SUFFIX}", folder / "assignments" / stem / f"{stem}{NOTEBOOK_SUFFIX}"):
        if _is_file(candidate):
            return candidate
    return None


def _defines_any(notebook: Path, functions: Iterable[str], max_mb: float) -> bool | None:
    """Whether the notebook defines one of ``functions``; None when it cannot be read or parsed."""
    from grader.notebooks import NotebookError, extract, read_notebook

    try:
        names = extract(read_notebook(notebook, max_mb=max_mb)).defined_names()
    except NotebookError:
        return None
    return None if names is None else bool(names & set(functions))


def locate_files(path: Path, student_files: Iterable[str], *,
                 functions: Mapping[str, Iterable[str]] | None = None,
                 notebook_files: Mapping[str, Iterable[str]] | None = None,
                 max_notebook_mb: float = 5.0) -> dict[str, Path | None]:
    """Each student file name to the file in the submission that holds it (a ``.py`` file
    or a notebook), or None when it is missing.

    ``functions`` (file name -> the functions it must define) lets a submission's other
    notebooks hold just the assignments they define (the one notebook that defines an
    assignment's functions holds it; a lone unreadable one is taken, so that grading says what
    is wrong with it); without it, a submission's one other notebook is taken for every
    assignment not found otherwise. ``notebook_files`` maps a notebook's name to the
    assignment ids (file stems) it holds.
    """
    files = list(student_files)
    folder = submission_folder(path, files)
    found: dict[str, Path | None] = {name: _own_file(folder, name) for name in files}
    own_notebooks = {f"{Path(n).stem}{NOTEBOOK_SUFFIX}" for n in files}
    mapped = dict(notebook_files or {})
    for notebook, ids in mapped.items():
        candidate = folder / notebook
        if not _is_file(candidate):
            continue
        for name in files:
            if found[name] is None and Path(name).stem in set(ids):
                found[name] = candidate
    general = sorted(p for p in folder.iterdir()
                     if p.suffix == NOTEBOOK_SUFFIX and _is_file(p) and p.name not in own_notebooks
                     and p.name not in mapped)
    for name in files:
        if found[name] is not None or not general:
            continue
        if functions is None:
            found[name] = general[0] if len(general) == 1 else None
            continue
        verdicts = {notebook: _defines_any(notebook, functions.get(name, ()), max_notebook_mb) for notebook in general}
        defining = [notebook for notebook, defines in verdicts.items() if defines]
        if len(defining) == 1:
            found[name] = defining[0]
        elif not defining and len(general) == 1 and verdicts[general[0]] is None:
            found[name] = general[0]  # unreadable: grading says what is wrong with it, rather than "missing"
    return found


def similar_files(path: Path, student_file: str, *, limit: int = 5) -> list[str]:
    """Files elsewhere in the submission whose names look like ``student_file`` (for the
    message of a missing assignment), as paths relative to the submission."""
    stem = Path(student_file).stem.lower()
    if not path.is_dir():
        return []
    out: list[tuple[float, str]] = []
    for index, file in enumerate(path.rglob("*")):
        if index > 5000:
            break
        if not file.is_file() or any(part in _IGNORED_DIRS for part in file.parts):
            continue
        name = file.stem.lower()
        ratio = difflib.SequenceMatcher(None, stem, name).ratio()
        if ratio >= 0.6 or stem in name:
            out.append((-ratio, clean_name(str(file.relative_to(path)))))
    return [name for _, name in sorted(out)[:limit]]


def missing_message(path: Path, student_file: str) -> str:
    """What a missing assignment's result says: the file, and look-alikes found elsewhere."""
    stem = Path(student_file).stem
    message = (f"{student_file} was not submitted (looked for {student_file} or {stem}{NOTEBOOK_SUFFIX} "
               f"at the top, in one nested folder, or in assignments/{stem}/)")
    try:
        alike = similar_files(path, student_file)
    except OSError:
        alike = []
    if alike:
        message += "; found files of a similar name: " + ", ".join(alike)
    return message
