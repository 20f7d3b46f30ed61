"""The ``grader`` command line: parse, call one library function, map errors to exit codes.

Exit codes: 0 when grading ran (whatever the score), 1 for ``check --fail-under`` below the
threshold, 2 for a grader or course error (the message names what is wrong), 3 for a batch
that ran and wrote every output but whose grader failed on some entries (``grader-error``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from grader import __version__
from grader.assignment_pool import default_jobs
from grader.course import load_course
from grader.errors import GraderError
from grader.formats import grade_json
from grader.grading import GradeOptions, grade_submission
from grader.platforms.commands import platform_output_options, register, write_platform_outputs
from grader.report.terminal import print_summary
from grader.sandbox.cuda import parse_device
from grader.sandbox.fork_server import warm as warm_fork_server


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


course_option = click.option("--course", "course_dir", type=click.Path(file_okay=False), default=None,
                             help="Course folder (with assignments/ and reference/). Default: found from here.")
only_option = click.option("--only", multiple=True, metavar="ID", help="Grade only this assignment (repeatable).")
jobs_option = click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                           help="Assignments graded at once, one process each. Default: the machine's cores.")


def _device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return parse_device(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


no_corpus_option = click.option(
    "--no-corpus", is_flag=True,
    help="Draw every test's cases afresh: read and write no case corpus (the grades are the same).")
device_option = click.option("--device", default="cpu", show_default=True, metavar="cpu|cuda[:N]", callback=_device,
                             help="Device the student's functions, their cases and the oracles run on.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade deep-learning assignments with property-based tests, in a sandbox."""


@cli.command()
@click.argument("submission", type=click.Path())
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the grade JSON here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@only_option
@course_option
@device_option
@jobs_option
@no_corpus_option
@click.option("--quiet", is_flag=True, help="No terminal summary.")
@platform_output_options
def grade(submission: str, json_path: str | None, html_path: str | None, only: tuple[str, ...],
          course_dir: str | None, device: str, jobs: int | None, quiet: bool, no_corpus: bool = False,
          **platform_paths: str | None) -> None:
    """Grade SUBMISSION with every test, visible and hidden."""
    warm_fork_server()
    course = load_course(course_dir)
    if not course.has_reference:
        raise GraderError(f"{course.root}: no reference/ folder, so hidden tests cannot run; use `grader check`")
    _validate_only(course, only)
    options = GradeOptions(only=only, device=device, jobs=jobs or default_jobs(), corpus=not no_corpus)
    result = _grade_with_progress(submission, course, options)
    _write_outputs(result, json_path, html_path)
    write_platform_outputs(result, course, **platform_paths)
    if not quiet:
        print_summary(result, _console())


@cli.command()
@click.argument("submission", type=click.Path(), default=".")
@only_option
@course_option
@device_option
@jobs_option
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Exit with status 1 when the score is below PERCENT of the visible points.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default="grader-check.html",
              show_default=True, help="Write the HTML report here.")
@click.option("--no-html", is_flag=True, help="Write no HTML report.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the grade JSON here.")
@no_corpus_option
@platform_output_options
def check(submission: str, only: tuple[str, ...], course_dir: str | None, device: str, jobs: int | None,
          fail_under: float | None, html_path: str | None, no_html: bool, json_path: str | None,
          no_corpus: bool = False, **platform_paths: str | None) -> None:
    """Self-check SUBMISSION (default: this folder) with the visible tests; writes an HTML report."""
    warm_fork_server()
    course = load_course(course_dir, include_hidden=False)
    _validate_only(course, only)
    result = _grade_with_progress(submission, course,
                                  GradeOptions(only=only, device=device, visible_only=True,
                                               jobs=jobs or default_jobs(), corpus=not no_corpus))
    _write_outputs(result, json_path, None if no_html else html_path)
    write_platform_outputs(result, course, **platform_paths)
    print_summary(result, _console())
    if not no_html and html_path:
        _console().print(f"report: {Path(html_path).resolve()}", soft_wrap=True)
    if fail_under is not None:
        percent = 100.0 * result.score / result.max_score if result.max_score else 100.0
        if percent + 1e-9 < fail_under:
            message = f"score {percent:.1f}% is below --fail-under {fail_under:g}%"
            _console(stderr=True).print(message, soft_wrap=True)
            sys.exit(1)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="grader-demo", show_default=True,
              help="Where the reports go.")
@course_option
def demo(out_dir: str, course_dir: str | None) -> None:
    """Grade the bundled example submissions and say where the reports are."""
    from grader.demo import run_demo

    run_demo(Path(out_dir), course_dir, _console())


@cli.group()
def corpus() -> None:
    """The case corpus: every test's cases drawn once, replayed by grading (grader.corpus)."""


@corpus.command("build")
@course_option
@click.option("--only", multiple=True, metavar="ID", help="Build only this assignment's corpus (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where the files go. Default: the course's corpus/ folder, which bundles and releases ship.")
@click.option("--visible-only", is_flag=True,
              help="The visible tests' cases only, no reference answer (what a student release may hold).")
@device_option
def corpus_build(course_dir: str | None, only: tuple[str, ...], out_dir: str | None, visible_only: bool,
                 device: str) -> None:
    """Draw every test's cases by grading the reference solutions, and write them."""
    from grader.corpus.build import build_corpus
    from grader.corpus.fingerprint import FULL, VISIBLE
    from grader.corpus.use import SHIPPED

    course = load_course(course_dir)
    _validate_only(course, only)
    out = Path(out_dir) if out_dir else course.root / SHIPPED
    for built in build_corpus(course, out, only=only, scope=VISIBLE if visible_only else FULL, device=device):
        _console().print(Text(built.line()))


@cli.command("new")
@click.argument("assignment_id", metavar="ID")
@click.option("--course", "course_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Course folder to write into (assignments/ and reference/ are made there).")
def new(assignment_id: str, course_dir: str) -> None:
    """Scaffold assignments/ID/ and reference/ID/ (stub, handout, suites, fixtures), graded at once."""
    from grader.scaffold import scaffold

    root = Path(course_dir).resolve()
    written = scaffold(root, assignment_id)
    console = _console()
    for path in written:
        console.print(Text(f"wrote {path.relative_to(root)}"))
    console.print(Text(
        f"\nNext: grader grade reference/{assignment_id} --only {assignment_id}   (full marks)\n"
        f"      grader grade assignments/{assignment_id} --only {assignment_id}   (the stub: 0)\n"
        f"Then write the functions, the handout and the suites (docs/authoring.md); where course.toml "
        f"lists [course] assignments, add {assignment_id!r} there to grade it with the others."))


def _grade_with_progress(submission: str, course, options: GradeOptions):  # type: ignore[no-untyped-def]
    """Grade, with a transient progress bar on stderr when it is a terminal."""
    from grader.report.progress import grading_progress

    specs = list(course.pick(options.only))
    total = sum(len(a.only_visible().tests if options.visible_only else a.tests) for a in specs)
    with grading_progress(_console(stderr=True), total_tests=total) as progress:
        return grade_submission(submission, course, options, progress=progress)


def _validate_only(course, only: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    for assignment_id in only:
        course.get(assignment_id)


def _write_outputs(result, json_path: str | None, html_path: str | None) -> None:  # type: ignore[no-untyped-def]
    if json_path:
        grade_json.write(result, json_path)
    if html_path:
        from grader.report.html import write_report

        write_report(result, html_path)


def main(argv: list[str] | None = None) -> int:
    try:
        # Without standalone mode, click hands back the code of a command that ends with Exit(n).
        code = cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except GraderError as exc:
        _console(stderr=True).print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    return code if isinstance(code, int) else 0


register(cli)  # gradescope, gradescope-bundle, prairielearn, release (grader/platforms/commands.py)

from grader.doctor import doctor, warn_once  # noqa: E402

cli.add_command(doctor)
cli.result_callback()(warn_once)  # one stderr line, once, when grading ran with protections missing

from grader.batch.command import batch  # noqa: E402

cli.add_command(batch)

from grader.similarity.command import similarity  # noqa: E402

cli.add_command(similarity)
