"""A progress bar for long grading, fed by the ``(assignment_id, test_name)`` callback.

Usage (``grade``, ``check`` and ``batch`` alike)::

    with grading_progress(console, total_tests=n) as progress:
        result = grade_submission(path, course, options, progress=progress)

rich draws nothing when the console is not a terminal, so logs and pipes stay clean, and
it honours ``NO_COLOR``. ``total_tests`` is the number of tests expected; a test that is
never run (a missing file) just leaves the bar short of the end, which ``close`` hides.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressCallback:
    """Call it after each test; it advances the bar and names what just ran."""

    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress = progress
        self._task_id = task_id

    def __call__(self, assignment_id: str, test_name: str) -> None:
        short = test_name if len(test_name) <= 48 else test_name[:47] + "…"
        self._progress.update(self._task_id, advance=1, description=f"{assignment_id}: {short}")


@contextmanager
def grading_progress(console: Console | None = None, *, total_tests: int | None = None,
                     label: str = "grading") -> Iterator[ProgressCallback]:
    """A transient bar (gone when done) on ``console``; yields the callback to pass on."""
    console = console or Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True,
                        disable=not console.is_terminal)
    with progress:
        task_id = progress.add_task(label, total=total_tests)
        yield ProgressCallback(progress, task_id)
