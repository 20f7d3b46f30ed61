"""``grader batch ROOT --out DIR``: the command, with its progress bar and summary line.

Exit status: 0 when every entry was graded (whatever the scores); 3 when the grader itself
failed on some entries (status ``grader-error``, listed on the dashboard's "Needs a look"),
after every output was written; 2 for a course or usage error.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from grader.batch.run import BatchOptions, run_batch
from grader.course import load_course
from grader.grading import GradeOptions
from grader.sandbox.cuda import parse_device


def _device(value: str) -> str:
    try:
        return parse_device(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None

NEEDS_A_LOOK_EXIT = 3


@click.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
@click.option("--jobs", type=click.IntRange(1, 512), default=None, help="Grading processes (default: CPU count).")
@click.option("--only", multiple=True, metavar="ID", help="Grade only this assignment (repeatable).")
@click.option("--regrade", is_flag=True, help="Grade every assignment again, even where file and suite are unchanged.")
@click.option("--dry-run", is_flag=True, help="Say what would be graded and why; grade and write nothing.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler (with --executor dask).")
@click.option("--course", "course_dir", type=click.Path(file_okay=False), default=None, help="Course folder.")
@click.option("--device", default="cpu", show_default=True, metavar="cpu|cuda[:N]",
              callback=lambda ctx, param, value: _device(value))
@click.option("--similarity", "with_similarity", is_flag=True,
              help="Also compare the entries' code (DIR/similarity.html, linked from the dashboard).")
@click.option("--no-corpus", is_flag=True,
              help="Draw every test's cases afresh: read and write no case corpus (the grades are the same).")
def batch(root: str, out_dir: str, jobs: int | None, only: tuple[str, ...], regrade: bool, dry_run: bool, executor: str,
          scheduler: str | None, course_dir: str | None, device: str, with_similarity: bool = False,
          no_corpus: bool = False) -> None:
    """Grade every entry of ROOT (a folder or .zip each) into DIR: JSON, HTML, gradebook, dashboard."""
    course = load_course(course_dir)
    for assignment_id in only:
        course.get(assignment_id)
    console = Console(stderr=True, highlight=False)
    options = BatchOptions(jobs=jobs or 0, regrade=regrade, dry_run=dry_run, executor=executor, scheduler=scheduler,
                           grade=GradeOptions(only=only, device=device, corpus=not no_corpus))
    similarity = None
    if with_similarity and not dry_run:  # first, so the dashboard written at the end links to it
        from grader.similarity.command import similarity_with_progress

        similarity = similarity_with_progress(root, out_dir, course, only=only, jobs=jobs)
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task("batch", total=None, rate="")

        def progress(event: str, done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:.2f}/s" if elapsed > 0 and done else ""
            bar.update(task, total=total, completed=done, rate=rate)

        summary = run_batch(root, out_dir, course, options, progress=progress)
    out = Console(highlight=False, soft_wrap=True)
    out.print(escape(summary.line()))
    if summary.dry_run:
        for entry, assignment, reason in summary.planned:
            out.print(escape(f"would grade {entry} {assignment}: {reason}"))
        return
    for failure in summary.failed:
        out.print(escape(f"needs a look (grader-error): {failure}"))
    out.print(escape(f"dashboard: {summary.out_dir}/index.html"))
    if similarity is not None:
        from grader.similarity.command import summary_lines

        for line in summary_lines(similarity, out_dir):
            out.print(escape(line))
    if summary.failed:
        # After every output exists: the batch ran, but the grader failed on some entries.
        raise click.exceptions.Exit(NEEDS_A_LOOK_EXIT)
