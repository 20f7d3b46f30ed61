"""Frozen results of grading: per test, per assignment, per submission (plain data only).

In Jupyter a submission's or an assignment's result shows as the HTML report: ``_repr_html_``
only hands the result to :mod:`grader.report.html`, which owns the rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEST_STATUSES = ("passed", "failed", "error", "timeout", "violation")
ASSIGNMENT_STATUSES = ("graded", "missing", "error")
# Not a SPEC status: what a gradebook or dashboard shows for a result whose ``grader_error`` is
# set (the grader, not the submission, failed; its SPEC status stays ``error``).
GRADER_ERROR = "grader-error"


@dataclass(frozen=True)
class TestResult:
    name: str
    functions: tuple[str, ...]
    score: float
    max_score: float
    status: str
    visibility: str
    message: str = ""
    counterexample: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    traceback: str = ""
    stdout: str = ""
    hint: str = ""
    is_implemented: bool = True
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class AssignmentResult:
    id: str
    title: str
    status: str
    score: float
    max_score: float
    tests: tuple[TestResult, ...]
    message: str = ""
    file: str = ""
    elapsed_s: float = 0.0
    # Set when grading this assignment failed inside the grader (a broken suite, a grader bug):
    # the submission is not at fault, and an instructor needs to look.
    grader_error: str = ""
    # What the grader did to the file before grading it (a notebook's dropped magics and
    # skipped cells), for the report.
    notes: tuple[str, ...] = ()

    @property
    def shown_status(self) -> str:
        return GRADER_ERROR if self.grader_error else self.status

    def _repr_html_(self) -> str:
        """Jupyter's view: the report of a submission holding just this assignment."""
        from pathlib import PurePath

        alone = SubmissionResult(submission=PurePath(self.file).name or self.id, score=self.score,
                                 max_score=self.max_score, assignments=(self,))
        return alone._repr_html_()


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    score: float
    max_score: float
    assignments: tuple[AssignmentResult, ...]
    grader_version: str = ""
    seed: int = 0
    device: str = "cpu"
    mode: str = "grade"  # "grade" (all tests) or "check" (visible tests only)
    graded_at: str = ""
    elapsed_s: float = 0.0
    warnings: tuple[str, ...] = ()
    # Set when the grader failed on the whole submission (its grading process died, storing it
    # failed); per assignment, see AssignmentResult.grader_error.
    grader_error: str = ""

    @property
    def grader_errors(self) -> tuple[str, ...]:
        """Every grader fault in this result, the submission's own first, each with where it was."""
        found = [self.grader_error] if self.grader_error else []
        return tuple(found + [f"{a.id}: {a.grader_error}" for a in self.assignments if a.grader_error])

    def _repr_html_(self) -> str:
        """Jupyter's view: the HTML report, the same page as ``grader grade --html`` writes."""
        from grader.report.html import inline_report

        return inline_report(self)
