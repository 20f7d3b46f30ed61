"""What a batch must grade: per entry, the assignments whose file or suite changed.

An assignment's grade depends on the student's file and on everything of the course's that
decides a verdict: its suite folders (visible and hidden, with their helper modules), its
points, weights, budgets and visibility as the course configuration applies them, the course
seed, the grading options and the grader's own code. :func:`suite_fingerprints` digests those
per assignment, so an instructor who fixes one test mid-term regrades that assignment only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.batch.store import Graded
from grader.course import Course
from grader.digests import assignment_files_digest, engine_digest
from grader.errors import SubmissionError
from grader.grading import GradeOptions
from grader.spec.model import AssignmentSpec
from grader.submission import locate_files

_GRADE_OPTIONS = ("visible_only", "device", "max_examples", "test_timeout_s", "import_timeout_s")

# Why an assignment is (re)graded, as the dry run and the regrade report say it.
NEW, FILE_CHANGED, SUITE_CHANGED, RETRY, FORCED = (
    "new", "file changed", "suite changed", "retry after a grader error", "forced (--regrade)")


def _spec_data(spec: AssignmentSpec) -> dict[str, object]:
    """The parts of an applied spec that change a grade (test bodies are in the suite files)."""
    return {
        "id": spec.id, "student_file": spec.student_file, "functions": list(spec.functions),
        "max_score": spec.max_score, "forbidden_calls": list(spec.forbidden_calls),
        "tests": [[t.name, list(t.functions), t.points, t.visibility, t.max_examples, t.timeout_s, t.hint]
                  for t in spec.tests],
    }


def suite_fingerprints(course: Course, options: GradeOptions) -> dict[str, str]:
    """Per assignment id, a digest of everything besides the student's file that decides its grade."""
    engine = engine_digest()
    chosen = {k: v for k, v in asdict(options).items() if k in _GRADE_OPTIONS}
    out = {}
    for spec in course.offered or course.assignments:
        digest = hashlib.sha256(engine.encode())
        # course.toml tables that change a verdict besides the spec's own points and budgets
        limits = {"time_limits": getattr(course.config, "time_limits", None),
                  "notebooks": getattr(course.config, "notebooks", None)}
        digest.update(json.dumps({"seed": course.seed, "options": chosen, "spec": _spec_data(spec),
                                  "course": {k: repr(v) for k, v in limits.items()}},
                                 sort_keys=True, default=str).encode())
        digest.update(assignment_files_digest(course.root, spec.id).encode())
        out[spec.id] = digest.hexdigest()[:16]
    return out


def file_hashes(path: Path, specs: Iterable[AssignmentSpec], *,
                notebook_files: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Per assignment id, a digest of the student's file for it (``missing`` where there is none);
    ``notebook_files`` is the course's notebook mapping, as grading uses it."""
    specs = list(specs)
    try:
        found = locate_files(path, [s.student_file for s in specs], notebook_files=notebook_files)
    except SubmissionError as exc:
        return {s.id: "unreadable:" + hashlib.sha256(str(exc).encode()).hexdigest()[:16] for s in specs}
    out = {}
    for spec in specs:
        file = found.get(spec.student_file)
        blob = file.read_bytes() if file is not None else b"<missing>"
        out[spec.id] = hashlib.sha256(spec.student_file.encode() + b"\0" + blob).hexdigest()[:32]
    return out


@dataclass(frozen=True)
class Todo:
    """One assignment of one entry to grade, and why."""

    assignment: str
    source: Graded
    reason: str


def todo(current: dict[str, Graded], stored: dict[str, Graded], *, regrade: bool) -> list[Todo]:
    """The assignments (of ``current``, in its order) whose stored grade is missing or stale."""
    out = []
    for aid, now in current.items():
        before = stored.get(aid)
        if regrade:
            reason = FORCED
        elif before is None:
            reason = NEW
        elif not before.suite_version:
            reason = RETRY
        elif before.file_hash != now.file_hash:
            reason = FILE_CHANGED
        elif before.suite_version != now.suite_version:
            reason = SUITE_CHANGED
        else:
            continue
        out.append(Todo(aid, now, reason))
    return out
