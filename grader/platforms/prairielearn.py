"""PrairieLearn's external grader: ``run_prairielearn`` grades ``/grade/student`` and writes
``/grade/results/results.json`` (https://prairielearn.readthedocs.io/en/latest/externalGrading/),
whatever happens: a grader fault gives ``gradable: false`` and its message."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from grader.assignment_pool import default_jobs
from grader.course import load_course
from grader.errors import GraderError
from grader.formats import prairielearn as prairielearn_format
from grader.grading import GradeOptions, grade_submission

DEFAULT_ROOT = Path("/grade")


def run_prairielearn(root: str | Path = DEFAULT_ROOT, *, course_dir: str | Path | None = None,
                     only: tuple[str, ...] = (), device: str = "cpu") -> dict[str, Any]:
    root = Path(root)
    try:
        course = load_course(course_dir)
        for assignment_id in only:
            course.get(assignment_id)
        result = grade_submission(root / "student", course, GradeOptions(only=only, device=device, jobs=default_jobs()))
        data = prairielearn_format.results(result, course.config)
    except BaseException as exc:  # noqa: BLE001 - PrairieLearn needs a results file whatever failed
        message = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
        data = prairielearn_format.error_results(message)
        write(root / "results" / "results.json", data)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return data
    write(root / "results" / "results.json", data)
    return data


def write(path: str | Path, data: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
