"""The ``grader similarity`` command, and the summary lines it and ``batch --similarity`` print."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from grader.course import Course, load_course
from grader.similarity.compare import SimilarityResult
from grader.similarity.run import run_similarity

__all__ = ["similarity", "similarity_with_progress", "summary_lines"]


def summary_lines(result: SimilarityResult, out_dir: str | Path) -> list[str]:
    """What the terminal says after a comparison."""
    per = ", ".join(f"{a} {sum(p.assignment == a for p in result.pairs)}" for a in result.compared)
    return [f"similarity: {result.entries} entries, {len(result.pairs)} pairs at or above "
            f"{result.settings.threshold:g} ({per}); {result.elapsed_s:.1f} s",
            f"similarity report: {Path(out_dir) / 'similarity.html'}"]


def similarity_with_progress(root: str, out_dir: str, course: Course, *, only: tuple[str, ...] = (),
                             jobs: int | None = None, threshold: float | None = None) -> SimilarityResult:
    """:func:`run_similarity` with a progress bar on stderr (when it is a terminal)."""
    from dataclasses import replace

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = course.config.similarity
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    console = Console(stderr=True, highlight=False)
    columns = (TextColumn("fingerprinting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("similarity", total=None)
        return run_similarity(root, out_dir, course, only=only, settings=settings, jobs=jobs,
                              progress=lambda done, total: bar.update(task, total=total, completed=done))


@click.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
@click.option("--only", multiple=True, metavar="ID", help="Compare only this assignment (repeatable).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Flag pairs from this score (default: course.toml's [similarity] threshold).")
@click.option("--jobs", type=click.IntRange(1, 512), default=None, help="Processes (default: CPU count).")
@click.option("--course", "course_dir", type=click.Path(file_okay=False), default=None, help="Course folder.")
def similarity(root: str, out_dir: str, only: tuple[str, ...], threshold: float | None, jobs: int | None,
               course_dir: str | None) -> None:
    """Find pairs of entries of ROOT whose code is alike, per assignment: DIR/similarity.csv and .html.

    Entries are read as `grader batch` reads them (folders, zips, a Gradescope export); nothing
    is run. The handout's code never counts; names, literals, comments and layout are ignored.
    """
    course = load_course(course_dir, include_hidden=False)
    for assignment_id in only:
        course.get(assignment_id)
    result = similarity_with_progress(root, out_dir, course, only=only, jobs=jobs, threshold=threshold)
    out = Console(highlight=False, soft_wrap=True)
    for line in summary_lines(result, out_dir):
        out.print(line)
