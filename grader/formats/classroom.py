"""GitHub Classroom's runner result (what ``classroom-resources/autograding-python-grader``
prints base64-encoded as its ``result`` output; ``autograding-grading-reporter`` reads it from
``<RUNNER>_RESULTS``, sums the tests' ``score`` against ``max_score`` and fails the check when
``status`` is ``fail`` or ``error``; see github.com/education/autograding-grading-reporter).

``version`` (1), ``status`` (pass/fail/error), ``max_score``, ``tests``: each ``name``,
``status``, ``score``, ``max_score``, ``message``, ``output``, ``test_code``, ``filename``,
``line_no``, ``duration`` (ms).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.formats.feedback import plain
from grader.results import SubmissionResult

_ERRORS = ("error", "timeout")


def results(result: SubmissionResult) -> dict[str, Any]:
    tests = []
    for assignment in result.assignments:
        for test in assignment.tests:
            status = "pass" if test.status == "passed" else "error" if test.status in _ERRORS else "fail"
            tests.append({
                "name": f"{assignment.id}: {test.name}",
                "status": status,
                "score": test.score,
                "max_score": test.max_score,
                "message": test.message if status != "pass" else "",
                "output": plain(test),
                "test_code": f"grader check --only {assignment.id}",
                "filename": assignment.file or f"{assignment.id}",
                "line_no": 0,
                "duration": int(round(test.elapsed_s * 1000)),
            })
    statuses = {t["status"] for t in tests}
    status = "pass" if statuses <= {"pass"} else "error" if statuses == {"error"} else "fail"
    return {"version": 1, "status": status, "max_score": result.max_score, "tests": tests}


def error_results(message: str) -> dict[str, Any]:
    return {"version": 1, "status": "error", "max_score": 0, "message": message, "tests": []}


def encoded(data: dict[str, Any]) -> str:
    """The base64 text a workflow step puts in its ``result`` output."""
    return base64.b64encode(json.dumps(data).encode()).decode()
