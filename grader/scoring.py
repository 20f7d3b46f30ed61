"""Pure scoring: test outcomes and the assignment's spec become scored results.

A test earns its full share of the assignment when it passes and nothing otherwise (partial
credit is spread across tests by their weights). Scores are rounded to 6 decimals so the
sum of the parts equals the reported totals in JSON, CSV and the platforms' formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grader.checks.driver import TestOutcome
from grader.results import AssignmentResult, TestResult
from grader.spec.model import AssignmentSpec, TestSpec


def _round(x: float) -> float:
    return round(float(x), 6)


def score_test(test: TestSpec, outcome: TestOutcome, max_score: float, elapsed_s: float = 0.0) -> TestResult:
    status = "failed" if outcome.status == "not_implemented" else outcome.status
    return TestResult(
        name=test.name,
        functions=test.functions,
        score=_round(max_score) if status == "passed" else 0.0,
        max_score=_round(max_score),
        status=status,
        visibility=test.visibility,
        message=outcome.message,
        counterexample=outcome.counterexample,
        details=dict(outcome.details),
        traceback=outcome.traceback,
        stdout=outcome.stdout,
        hint=(test.hint or "") if status != "passed" else "",
        is_implemented=outcome.status != "not_implemented",
        elapsed_s=round(elapsed_s, 4),
    )


def score_assignment(spec: AssignmentSpec, outcomes: Mapping[str, TestOutcome], *, status: str = "graded",
                     message: str = "", file: str = "", elapsed: Mapping[str, float] | None = None,
                     elapsed_s: float = 0.0) -> AssignmentResult:
    points = spec.test_points()
    elapsed = elapsed or {}
    tests = tuple(score_test(t, outcomes[t.name], points[t.name], elapsed.get(t.name, 0.0)) for t in spec.tests)
    return assemble(spec, tests, status=status, message=message, file=file, elapsed_s=elapsed_s)


def assemble(spec: AssignmentSpec, tests: Sequence[TestResult], *, status: str, message: str = "",
             file: str = "", elapsed_s: float = 0.0) -> AssignmentResult:
    return AssignmentResult(
        id=spec.id,
        title=spec.title,
        status=status,
        score=_round(sum(t.score for t in tests)),
        max_score=_round(sum(t.max_score for t in tests)),
        tests=tuple(tests),
        message=message,
        file=file,
        elapsed_s=round(elapsed_s, 4),
    )


def not_graded(spec: AssignmentSpec, *, status: str, message: str, test_status: str,
               file: str = "") -> AssignmentResult:
    """Every test at 0 with one status and message (a missing file, an import that failed)."""
    points = spec.test_points()
    tests = tuple(
        TestResult(name=t.name, functions=t.functions, score=0.0, max_score=_round(points[t.name]),
                   status=test_status, visibility=t.visibility, message=message)
        for t in spec.tests
    )
    return assemble(spec, tests, status=status, message=message, file=file)
