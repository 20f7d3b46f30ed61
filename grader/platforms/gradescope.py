"""Gradescope: ``run_gradescope`` is the body of ``run_autograder``; ``build_bundle`` makes the
autograder zip an instructor uploads.

Layout (the autograder specification, https://gradescope-autograders.readthedocs.io/en/latest/specs/)::

    /autograder/source/                 the bundle, unzipped (setup.sh, run_autograder, course, engine)
    /autograder/submission/             the student's files
    /autograder/submission_metadata.json
    /autograder/results/results.json    what we write, always (a grader fault included)

The late policy uses the metadata's ``created_at`` and due dates, never the clock.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import time
import traceback
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from grader.assignment_pool import default_jobs
from grader.config import CourseConfig
from grader.course import load_course
from grader.errors import GraderError, SubmissionError
from grader.formats import gradescope as gradescope_format
from grader.formats.gradescope import Lateness
from grader.grading import GradeOptions, grade_submission
from grader.platforms.files import engine_files, pinned_requirements, pyproject, template, tree_files

DEFAULT_ROOT = Path("/autograder")
ROOT_ENV = "AUTOGRADER_ROOT"


def results_path(root: Path) -> Path:
    return root / "results" / "results.json"


def _parse_time(value: Any, what: str) -> _dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise SubmissionError(f"submission_metadata.json: {what}: expected an ISO 8601 date-time, got {value!r}")
    try:
        moment = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SubmissionError(f"submission_metadata.json: {what}: expected an ISO 8601 date-time, "
                              f"got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def read_metadata(path: Path) -> dict[str, Any] | None:
    """The submission's metadata, or None when there is none (a local run)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SubmissionError(f"{path}: expected a JSON object")
    return data


def submitted_at(metadata: Mapping[str, Any] | None) -> _dt.datetime | None:
    return _parse_time((metadata or {}).get("created_at"), "created_at")


def platform_due(metadata: Mapping[str, Any] | None) -> _dt.datetime | None:
    """The student's own due date (it carries an extension), else the assignment's."""
    metadata = metadata or {}
    own = []
    for user in metadata.get("users") or []:
        if isinstance(user, dict) and isinstance(user.get("assignment"), dict):
            due = _parse_time(user["assignment"].get("due_date"), "users[].assignment.due_date")
            if due is not None:
                own.append(due)
    if own:
        return max(own)
    assignment = metadata.get("assignment")
    if isinstance(assignment, dict):
        return _parse_time(assignment.get("due_date"), "assignment.due_date")
    return None


def lateness(config: CourseConfig, assignment_ids: Iterable[str],
             metadata: Mapping[str, Any] | None) -> dict[str, Lateness]:
    """Each assignment's late penalty; due date: the assignment's in course.toml, else the
    platform's, else the course-wide one."""
    at = submitted_at(metadata)
    if at is None:
        return {}
    fallback = platform_due(metadata) or config.late_policy.due
    out = {}
    for assignment_id in assignment_ids:
        due = config.due(assignment_id) or fallback
        if due is None:
            continue
        percent = config.late_policy.penalty_percent(at, due)
        out[assignment_id] = Lateness(percent, (at - due).total_seconds(), due.isoformat())
    return out


def run_gradescope(root: str | Path = DEFAULT_ROOT, *, course_dir: str | Path | None = None,
                   only: tuple[str, ...] = (), device: str = "cpu") -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``, whatever happens."""
    root = Path(root)
    started = time.monotonic()
    try:
        course = load_course(course_dir)
        for assignment_id in only:
            course.get(assignment_id)
        metadata = read_metadata(root / "submission_metadata.json")
        options = GradeOptions(only=only, device=device, jobs=default_jobs())
        result = grade_submission(root / "submission", course, options,
                                  submission_id=str((metadata or {}).get("id", root / "submission")))
        late = lateness(course.config, [a.id for a in result.assignments], metadata)
        data = gradescope_format.results(result, course.config, execution_time_s=time.monotonic() - started,
                                         lateness=late)
    except BaseException as exc:  # noqa: BLE001 - Gradescope needs a results.json whatever failed
        message = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
        details = "" if isinstance(exc, GraderError) else traceback.format_exc(limit=8)
        data = gradescope_format.error_results(message, execution_time_s=time.monotonic() - started,
                                               details=details)
        _write(results_path(root), data)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return data
    _write(results_path(root), data)
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build_bundle(course_root: str | Path, out_zip: str | Path, *, only: tuple[str, ...] = (),
                 corpus: bool = True) -> Path:
    """The autograder zip: setup.sh and run_autograder at its root, the pinned requirements, a
    pyproject, the engine, the whole course (assignments/, reference/, course.toml) and, unless
    ``corpus`` is off, the corpus of every assignment it grades, built now (Gradescope runs a
    cold process per submission: replaying the cases spares it drawing them every time)."""
    course = load_course(course_root)  # fails here, for the instructor, rather than on Gradescope
    if not course.has_reference:
        raise GraderError(f"{course.root}: no reference/ folder: the bundle needs the hidden tests")
    for assignment_id in only:
        course.get(assignment_id)
    only_args = " ".join(f"--only {a}" for a in only)
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as bundle:
        _add_text(bundle, "setup.sh", template("setup.sh"), executable=True)
        _add_text(bundle, "run_autograder", template("run_autograder").replace("@ONLY_ARGS@", only_args),
                  executable=True)
        _add_text(bundle, "requirements.txt", pinned_requirements())
        _add_text(bundle, "pyproject.toml", pyproject())
        for path, arcname in engine_files():
            bundle.write(path, arcname)
        for folder in ("assignments", "reference"):
            for path in tree_files(course.root / folder):
                bundle.write(path, (Path(folder) / path.relative_to(course.root / folder)).as_posix())
        if (course.root / "course.toml").is_file():
            bundle.write(course.root / "course.toml", "course.toml")
        if corpus:
            from grader.corpus.build import build_corpus

            with tempfile.TemporaryDirectory(prefix="grader-corpus-") as folder:
                for built in build_corpus(course, Path(folder), only=only):
                    bundle.write(built.path, f"corpus/{built.path.name}")
    return out_zip


def _add_text(bundle: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
    bundle.writestr(info, text)
