"""A notebook's self-check, from inside the notebook: ``check_here()`` in its last cell.

The check grades the notebook's saved file, as ``grader check`` would (visible tests, in the
sandbox): only the code cells as they are on disk count, so save first. The result renders
itself in Jupyter as the HTML report. Which file is "here": the path given (the release writes
the notebook's own name into its check cell), else the one the Jupyter server or VS Code names,
else the only notebook in the working folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from grader.errors import GraderError
from grader.results import SubmissionResult


def running_notebook() -> Path | None:
    """The notebook this kernel runs, where the front end says (None when it does not)."""
    named = os.environ.get("JPY_SESSION_NAME", "")  # Jupyter Server >= 2 gives each kernel its notebook
    if named.endswith(".ipynb") and Path(named).is_file():
        return Path(named)
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    vscode = shell.user_ns.get("__vsc_ipynb_file__") if shell is not None else None
    if isinstance(vscode, str) and Path(vscode).is_file():
        return Path(vscode)
    return None


def find_notebook(path: str | os.PathLike[str] | None = None) -> Path:
    """The notebook to check: ``path`` (relative to the working folder, as Jupyter sets it to
    the notebook's), else the running one, else the working folder's only notebook."""
    if path is not None:
        found = Path(path).expanduser()
        if not found.is_file():
            raise GraderError(f"{found}: no such notebook (the check grades the saved file: is this its name, "
                              f"in {Path.cwd()}?)")
        return found.resolve()
    running = running_notebook()
    if running is not None:
        return running.resolve()
    here = sorted(p for p in Path.cwd().glob("*.ipynb") if p.is_file())
    if len(here) == 1:
        return here[0].resolve()
    raise GraderError(f"cannot tell which notebook this is ({len(here)} in {Path.cwd()}): "
                      f"pass its file name, check_here(\"name.ipynb\")")


def _course_root(notebook: Path, course: str | os.PathLike[str] | None) -> str | os.PathLike[str] | None:
    if course is not None or os.environ.get("GRADER_COURSE"):
        return course
    for folder in notebook.parents:
        if (folder / "assignments").is_dir():
            return folder
    return None  # the course next to the installed grader, as `grader check` finds it


def _assignments_in(notebook: Path, course) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The assignments the notebook holds: ``<id>.ipynb``'s one, the course's mapping, or
    those whose functions it defines (what grading a folder holding only it would find)."""
    from grader.notebooks.extraction import extract
    from grader.notebooks.reading import NotebookError, read_notebook

    settings = course.config.notebooks
    by_stem = {Path(a.student_file).stem: a.id for a in course.offered or course.assignments}
    if notebook.stem in by_stem:
        return (by_stem[notebook.stem],)
    mapped = dict(settings.files)
    if notebook.name in mapped:
        return tuple(mapped[notebook.name])
    try:
        names = extract(read_notebook(notebook, max_mb=settings.max_mb), skip_tag=settings.skip_tag).defined_names()
    except NotebookError:
        return tuple(a.id for a in course.assignments)  # grading says what is wrong with it
    defined = tuple(a.id for a in course.assignments if names is None or set(a.functions) & names)
    return defined or tuple(a.id for a in course.assignments)


def check_notebook(path: str | os.PathLike[str] | None = None, *, course: str | os.PathLike[str] | None = None,
                   only: tuple[str, ...] = (), jobs: int = 1) -> SubmissionResult:
    """Self-check a notebook with the visible tests; the result shows as the report in Jupyter.

    ``path``: the notebook (default: the one running, see :func:`find_notebook`); ``course``:
    the course folder (default: the nearest one up from the notebook, as the release lays it
    out); ``only``: assignment ids (default: those the notebook holds).
    """
    from grader.course import load_course
    from grader.grading import GradeOptions, grade_submission

    notebook = find_notebook(path)
    loaded = load_course(_course_root(notebook, course), include_hidden=False)
    ids = tuple(only) or _assignments_in(notebook, loaded)
    # Graded alone, in a folder of its own: beside it, the release's .py stub would win.
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        copy = Path(tmp) / notebook.name
        shutil.copyfile(notebook, copy)
        result = grade_submission(Path(tmp), loaded, GradeOptions(only=ids, visible_only=True, jobs=jobs),
                                  submission_id=notebook.name)
    return replace(result, assignments=tuple(
        replace(a, file=str(notebook)) if a.file == str(copy) else a for a in result.assignments))
