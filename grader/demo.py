"""``grader demo``: grade the bundled example submissions and write every report.

The examples live in ``examples/submissions/<name>/`` beside the course (a fully correct
submission assembled from the correct fixtures, a partly buggy one, one that crashes, one
with files missing, and one made of Jupyter notebooks: ``backprop.ipynb`` for one assignment
and ``homework.ipynb`` holding two, with a magic and a ``skip-grading`` training loop the
grader leaves out); the untouched stubs are gathered from the course's ``assignments/`` at
run time, so they never drift. Written under ``out_dir``:

    <name>.json, <name>.html     each submission's grade JSON and report (instructor's copy)
    index.html                   the class dashboard
    gradebook.csv, gradebook_points_possible.csv, canvas.csv

To stay quick (well under a minute on two cores) the demo caps each test's examples and
time: see ``DEMO_OPTIONS``; the scores are those of a real grade with fewer drawn cases.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from grader.assignment_pool import default_jobs
from grader.config import tomllib
from grader.course import Course, load_course
from grader.errors import CourseError
from grader.formats import grade_json
from grader.formats.gradebook import write_canvas_gradebook, write_gradebook
from grader.grading import GradeOptions, grade_submission
from grader.report.dashboard import write_dashboard
from grader.report.html import write_report
from grader.results import SubmissionResult

DEMO_MAX_EXAMPLES = 6
DEMO_TEST_TIMEOUT_S = 10.0
DEMO_SUBMISSION_TIMEOUT_S = 120.0


def demo_options() -> GradeOptions:
    return GradeOptions(max_examples=DEMO_MAX_EXAMPLES, test_timeout_s=DEMO_TEST_TIMEOUT_S,
                        import_timeout_s=10.0, submission_timeout_s=DEMO_SUBMISSION_TIMEOUT_S,
                        jobs=default_jobs())


def _beside(course: Course, *parts: str) -> Path:
    """``parts`` beside the course, else in this source tree (a course without examples)."""
    for base in (course.root, Path(__file__).resolve().parent.parent):
        if base.joinpath(*parts).exists():
            return base.joinpath(*parts)
    return course.root.joinpath(*parts)


def examples_root(course: Course) -> Path:
    """``examples/submissions`` beside the course, else the one in this source tree."""
    return _beside(course, "examples", "submissions")


def assemble_examples(course: Course, into: Path) -> list[tuple[str, Path]]:
    """Each example submission as a folder under ``into``: its own files, then the fixtures
    ``examples/submissions.toml`` names for it."""
    manifest_path = _beside(course, "examples", "submissions.toml")
    fixtures = _beside(course, "tests", "fixtures")
    root = examples_root(course)
    try:
        manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CourseError(f"{manifest_path}: not a readable TOML file ({exc})") from exc
    names = sorted(set(manifest) | ({p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()))
    out = []
    for name in names:
        folder = into / name
        if (root / name).is_dir():
            shutil.copytree(root / name, folder, ignore=shutil.ignore_patterns("__pycache__"))
        folder.mkdir(parents=True, exist_ok=True)
        files = manifest.get(name, {})
        if not isinstance(files, dict):
            raise CourseError(f"{manifest_path}: [{name}]: expected a table of \"<student file>\" = "
                              f"\"<assignment>/<fixture>\", got {files!r}")
        for student_file, fixture in files.items():
            source = fixtures / f"{fixture}.py" if isinstance(fixture, str) else None
            if source is None or not source.is_file():
                raise CourseError(f"{manifest_path}: [{name}] {student_file!r}: expected the name of a fixture "
                                  f"under {fixtures} (like \"iou/correct_unbind\"), got {fixture!r}")
            shutil.copyfile(source, folder / student_file)
        out.append((name, folder))
    return out


def gather_stubs(course: Course, into: Path) -> Path:
    """A submission made of the course's own stubs, as a student receives them."""
    into.mkdir(parents=True, exist_ok=True)
    for spec in course.assignments:
        stub = course.root / "assignments" / spec.id / spec.student_file
        if stub.is_file():
            shutil.copyfile(stub, into / spec.student_file)
    return into


def grade_examples(course: Course, work_dir: Path, *, options: GradeOptions | None = None,
                   on_submission: Callable[[str, SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    options = options or demo_options()
    submissions = assemble_examples(course, work_dir / "examples")
    submissions.append(("stubs", gather_stubs(course, work_dir / "stubs")))
    results = []
    for name, path in submissions:
        result = grade_submission(path, course, options, submission_id=name)
        results.append(result)
        if on_submission is not None:
            on_submission(name, result)
    return results


def run_demo(out_dir: Path, course_dir: str | None, console: Console) -> None:
    course = load_course(course_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def written(name: str, result: SubmissionResult) -> None:
        grade_json.write(result, out_dir / f"{name}.json")
        write_report(result, out_dir / f"{name}.html", show_hidden_inputs=True)
        console.print(f"graded [bold]{name}[/]: {result.score:.2f} / {result.max_score:.2f}")

    with console.status("grading the example submissions…"), tempfile.TemporaryDirectory() as tmp:
        results = grade_examples(course, Path(tmp), on_submission=written)
    report_paths = {r.submission: f"{r.submission}.html" for r in results}
    index = write_dashboard(results, out_dir, report_paths=report_paths)
    write_gradebook(results, out_dir / "gradebook.csv")
    write_canvas_gradebook(results, out_dir / "canvas.csv")
    console.print(f"graded {len(results)} example submissions in {time.monotonic() - started:.0f} s "
                  f"(demo settings: at most {DEMO_MAX_EXAMPLES} examples and {DEMO_TEST_TIMEOUT_S:g} s per test)")
    console.print(f"dashboard: {index.resolve()}", soft_wrap=True, highlight=False)
