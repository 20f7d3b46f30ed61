"""The grade JSON of SPEC §5 (a superset: extra fields are welcome there)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.atomic import write_atomically
from grader.results import AssignmentResult, SubmissionResult
from grader.untrusted import clean_strings


def _finite(value: Any) -> Any:
    """JSON has no NaN: details may hold them (a student's NaN output); spell them out."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_dict(result: SubmissionResult) -> dict[str, Any]:
    data = asdict(result)
    data["assignments"] = [assignment_to_dict(a) for a in result.assignments]
    data["warnings"] = list(data["warnings"])
    return _finite(data)


def write(result: SubmissionResult, path: str | Path) -> None:
    write_atomically(path, json.dumps(to_dict(result), indent=2, allow_nan=False) + "\n")


def assignment_to_dict(result: AssignmentResult) -> dict[str, Any]:
    """One assignment's part of the grade JSON (what a grading process hands back)."""
    data = asdict(result)
    for test in data["tests"]:
        test["functions"] = list(test["functions"])
    return _finite(data)


def assignment_from_dict(a: dict[str, Any]) -> AssignmentResult:
    from grader.results import TestResult

    def test(t: dict[str, Any]) -> TestResult:
        fields = {k: t[k] for k in TestResult.__dataclass_fields__ if k in t}
        fields["functions"] = tuple(fields.get("functions", ()))
        return TestResult(**fields)

    fields = {k: a[k] for k in AssignmentResult.__dataclass_fields__ if k in a and k != "tests"}
    if "notes" in fields:
        fields["notes"] = tuple(fields["notes"])
    # Data from another process or the store: it crosses the untrusted-text boundary again.
    return clean_strings(AssignmentResult(tests=tuple(test(t) for t in a.get("tests", [])), **fields))


def from_dict(data: dict[str, Any]) -> SubmissionResult:
    """Rebuild a result from its grade JSON (as stored by ``grader batch``)."""
    fields = {k: data[k] for k in SubmissionResult.__dataclass_fields__ if k in data and k != "assignments"}
    fields["warnings"] = tuple(fields.get("warnings", ()))
    return clean_strings(SubmissionResult(
        assignments=tuple(assignment_from_dict(a) for a in data.get("assignments", [])), **fields))
