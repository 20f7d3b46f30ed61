"""PrairieLearn's external-grader results (``/grade/results/results.json``; "Grading results" in
https://prairielearn.readthedocs.io/en/latest/externalGrading/).

``gradable``, ``score`` in [0, 1], ``message``, ``output``, and ``tests``, each with ``name``,
``description``, ``points``, ``max_points``, ``message``, ``output``. A grader fault gives
``gradable: false``: PrairieLearn then charges no attempt and shows the message.
"""

from __future__ import annotations

from typing import Any

from grader.config import CourseConfig
from grader.formats.feedback import plain
from grader.results import SubmissionResult


def results(result: SubmissionResult, config: CourseConfig | None = None) -> dict[str, Any]:
    show_hidden = bool(config and config.show_hidden_inputs)
    tests = []
    for assignment in result.assignments:
        for test in assignment.tests:
            tests.append({
                "name": f"{assignment.id}: {test.name}",
                "description": f"{assignment.title} — calls {', '.join(test.functions)}",
                "points": test.score,
                "max_points": test.max_score,
                "message": test.message if test.status != "passed" else "",
                "output": plain(test, show_hidden_inputs=show_hidden),
            })
    fraction = result.score / result.max_score if result.max_score > 0 else 0.0
    summary = "\n".join(f"{a.id}: {a.score:g} / {a.max_score:g} ({a.status}){' — ' + a.message if a.message else ''}"
                        for a in result.assignments)
    return {
        "gradable": True,
        "score": min(1.0, max(0.0, round(fraction, 6))),
        "message": f"Score: {result.score:g} / {result.max_score:g}",
        "output": summary,
        "tests": tests,
    }


def error_results(message: str) -> dict[str, Any]:
    return {"gradable": False, "score": 0.0, "message": f"Autograder error (not your fault): {message}",
            "output": message, "tests": []}

