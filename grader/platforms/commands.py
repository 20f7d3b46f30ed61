"""The platform commands (``gradescope``, ``gradescope-bundle``, ``prairielearn``, ``release``)
and the platform output options of ``grade`` and ``check`` (``--junit``, ``--prairielearn``,
``--classroom``). Thin: parse, call one library function."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from grader.course import Course, find_course_root
from grader.results import SubmissionResult

_only = click.option("--only", multiple=True, metavar="ID", help="Grade only this assignment (repeatable).")
_course = click.option("--course", "course_dir", type=click.Path(file_okay=False), default=None,
                       help="Course folder (with assignments/ and reference/). Default: found from here.")
_device = click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
                       help="Device the student's functions are run on.")


def platform_output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``--junit``, ``--prairielearn`` and ``--classroom`` (each a FILE) to a command."""
    for name, what in (("classroom", "GitHub Classroom's runner result (JSON)"),
                       ("prairielearn", "PrairieLearn's external-grader results (JSON)"),
                       ("junit", "JUnit XML, one testsuite per assignment")):
        command = click.option(f"--{name}", f"{name}_path", type=click.Path(dir_okay=False), default=None,
                               help=f"Write {what} here.")(command)
    return command


def write_platform_outputs(result: SubmissionResult, course: Course, *, junit_path: str | None = None,
                           prairielearn_path: str | None = None, classroom_path: str | None = None) -> None:
    from grader.formats import classroom, junit, prairielearn

    if junit_path:
        junit.write(result, junit_path)
    if prairielearn_path:
        _write_json(prairielearn_path, prairielearn.results(result, course.config))
    if classroom_path:
        _write_json(classroom_path, classroom.results(result))


def _write_json(path: str, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


@click.command("gradescope")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Gradescope's tree: submission/, submission_metadata.json, results/ "
                   "(default: $AUTOGRADER_ROOT, else /autograder).")
@_only
@_course
@_device
def gradescope_command(root: str | None, only: tuple[str, ...], course_dir: str | None, device: str) -> None:
    """The body of Gradescope's run_autograder: grade ROOT/submission, write ROOT/results/results.json.

    Always writes a valid results.json (a grader fault gives score 0 and says so)."""
    from grader.platforms.gradescope import DEFAULT_ROOT, ROOT_ENV, results_path, run_gradescope

    where = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    data = run_gradescope(where, course_dir=course_dir, only=only, device=device)
    click.echo(f"score {data['score']:g}; wrote {results_path(where)}")


@click.command("gradescope-bundle")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default="autograder.zip", show_default=True,
              help="The zip to upload to Gradescope.")
@_only
@_course
def gradescope_bundle_command(out_path: str, only: tuple[str, ...], course_dir: str | None) -> None:
    """Build the Gradescope autograder zip (setup.sh, run_autograder, engine, course)."""
    from grader.platforms.gradescope import build_bundle

    path = build_bundle(find_course_root(course_dir), out_path, only=only)
    click.echo(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")


@click.command("prairielearn")
@click.option("--root", type=click.Path(file_okay=False), default="/grade", show_default=True,
              help="PrairieLearn's tree: student/ and results/.")
@_only
@_course
@_device
def prairielearn_command(root: str, only: tuple[str, ...], course_dir: str | None, device: str) -> None:
    """PrairieLearn's external grader: grade ROOT/student, write ROOT/results/results.json (always)."""
    from grader.platforms.prairielearn import run_prairielearn

    data = run_prairielearn(root, course_dir=course_dir, only=only, device=device)
    click.echo(f"score {data['score']:g}; wrote {Path(root) / 'results' / 'results.json'}")


@click.command("release")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="A new (or empty) folder for the release.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=0.0, show_default=True, metavar="PERCENT",
              help="The --fail-under of the GitHub Classroom workflow it includes.")
@click.option("--format", "release_format", type=click.Choice(["py", "notebook", "both"]), default="py",
              show_default=True, help="The stubs as <id>.py files, as Jupyter notebooks <id>.ipynb (handout, "
                                      "stubs and a self-check cell), or both.")
@click.option("--install", "install_spec", default=None, metavar="PIP-SPEC",
              help="What a notebook's first (install) cell installs the grader from, e.g. a git URL of the "
                   "release. Default: the release folder itself (../.. from the notebook).")
@_course
def release_command(out_dir: str, fail_under: float, release_format: str, install_spec: str | None,
                    course_dir: str | None) -> None:
    """Build what students receive: stubs, handouts, visible tests, the engine; no reference."""
    from grader.release import build_release

    path = build_release(find_course_root(course_dir), out_dir, fail_under=fail_under, format=release_format,
                         install_spec=install_spec)
    what = {"py": "", "notebook": ", stubs as notebooks", "both": ", stubs as .py files and notebooks"}[release_format]
    click.echo(f"wrote the student release to {path}{what} (checked: no reference code, no hidden tests)")


def register(cli: click.Group) -> None:
    for command in (gradescope_command, gradescope_bundle_command, prairielearn_command, release_command):
        cli.add_command(command)
