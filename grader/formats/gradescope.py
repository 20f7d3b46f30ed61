"""Gradescope's ``results.json`` (the autograder specification, "Output format":
https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format).

Top level: ``score`` (overrides the sum of the tests: it carries the late penalty),
``execution_time`` (s), ``output`` and ``output_format`` ("md"), ``stdout_visibility``, and
``tests``, each with ``name``, ``score``, ``max_score``, ``status`` (passed/failed),
``visibility`` (visible, hidden, after_due_date, after_published), ``output`` and
``output_format``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.config import CourseConfig
from grader.formats.feedback import fence, markdown
from grader.results import SubmissionResult


@dataclass(frozen=True)
class Lateness:
    """One assignment's late penalty: how late, against which due date, and the percent lost."""

    penalty_percent: float
    late_s: float
    due: str


def results(result: SubmissionResult, config: CourseConfig, *, execution_time_s: float,
            lateness: Mapping[str, Lateness] | None = None) -> dict[str, Any]:
    lateness = lateness or {}
    tests = []
    for assignment in result.assignments:
        for test in assignment.tests:
            tests.append({
                "name": f"{assignment.id}: {test.name}",
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.status == "passed" else "failed",
                "visibility": config.visibility(assignment.id, test.name, test.visibility),
                "output": markdown(test, show_hidden_inputs=config.show_hidden_inputs),
                "output_format": "md",
                "tags": [assignment.id],
            })
    score = 0.0
    lines = ["| assignment | score | late penalty | status |", "|---|---|---|---|"]
    for assignment in result.assignments:
        late = lateness.get(assignment.id)
        penalty = late.penalty_percent if late else 0.0
        earned = round(assignment.score * (1.0 - penalty / 100.0), 6)
        score += earned
        late_text = f"−{penalty:g}% ({late.late_s / 3600:.1f} h after {late.due})" if late and penalty else "—"
        lines.append(f"| {assignment.id} | {earned:g} / {assignment.max_score:g} | {late_text} | {assignment.status} |")
    notes = [f"- **{a.id}**: {a.message}" for a in result.assignments if a.status != "graded" and a.message]
    output = "\n".join(lines)
    if notes:
        output += "\n\n" + "\n".join(notes)
    return {
        "score": round(score, 6),
        "execution_time": round(execution_time_s, 3),
        "output": output,
        "output_format": "md",
        "test_output_format": "md",
        "stdout_visibility": config.stdout_visibility,
        "tests": tests,
    }


def error_results(message: str, *, execution_time_s: float, details: str = "") -> dict[str, Any]:
    """The results of a run where the autograder itself failed: score 0, said plainly."""
    output = ("**Autograder error** — this is a fault of the autograder, not of your submission. "
              "Your score is 0 until your instructors fix it and re-run the autograder.\n\n" + fence(message))
    if details:
        output += "\n\n" + fence(details)
    return {
        "score": 0.0,
        "execution_time": round(execution_time_s, 3),
        "output": output,
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"autograder_error": True},
    }
