"""What a class's results say as a whole: distributions, pass rates, common failures, flags.

Pure aggregation over :class:`SubmissionResult` objects; the dashboard lays it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from grader.results import SubmissionResult

TROUBLE_STATUSES = ("timeout", "error", "violation")


@dataclass(frozen=True)
class TestPassRate:
    assignment_id: str
    test_name: str
    visibility: str
    passed: int
    attempted: int  # submissions in which the assignment was graded (missing and import errors excluded)

    @property
    def rate(self) -> float:
        return self.passed / self.attempted if self.attempted else 0.0


@dataclass(frozen=True)
class CommonFailure:
    assignment_id: str
    test_name: str
    status: str
    message: str
    counterexample: str
    students: int


@dataclass(frozen=True)
class Flag:
    """A submission the instructor should look at, and why."""

    submission: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AssignmentSummary:
    id: str
    title: str
    max_score: float
    scores: tuple[float, ...]
    statuses: dict[str, int]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


@dataclass(frozen=True)
class ClassSummary:
    submissions: int
    max_score: float
    totals: tuple[float, ...]
    assignments: tuple[AssignmentSummary, ...]
    pass_rates: tuple[TestPassRate, ...]
    common_failures: tuple[CommonFailure, ...]
    flags: tuple[Flag, ...]

    @property
    def mean_total(self) -> float:
        return sum(self.totals) / len(self.totals) if self.totals else 0.0


def trouble_reasons(result: SubmissionResult) -> tuple[str, ...]:
    """Why a submission needs a human: timeouts, crashes, rule violations, files that would not import."""
    reasons: list[str] = [f"grader-error: {why}" for why in result.grader_errors]
    for a in result.assignments:
        if a.grader_error:
            continue
        if a.status == "error":
            reasons.append(f"{a.id}: import failed ({a.message})")
            continue
        for status in TROUBLE_STATUSES:
            n = sum(1 for t in a.tests if t.status == status and t.is_implemented)
            if n:
                reasons.append(f"{a.id}: {n} {status}")
    return tuple(reasons)


def summarize(results: Sequence[SubmissionResult], *, top_failures: int = 12) -> ClassSummary:
    order: dict[str, tuple[str, float]] = {}
    for r in results:
        for a in r.assignments:
            order.setdefault(a.id, (a.title or a.id, a.max_score))
    assignments = []
    for aid, (title, max_score) in order.items():
        scores, statuses = [], Counter()
        for r in results:
            for a in r.assignments:
                if a.id == aid:
                    scores.append(a.score)
                    statuses[a.status] += 1
        assignments.append(AssignmentSummary(aid, title, max_score, tuple(scores), dict(statuses)))

    passed: Counter[tuple[str, str]] = Counter()
    attempted: Counter[tuple[str, str]] = Counter()
    visibility: dict[tuple[str, str], str] = {}
    failures: Counter[tuple[str, str, str, str]] = Counter()
    messages: dict[tuple[str, str, str, str], str] = {}
    for r in results:
        seen: set[tuple[str, str, str, str]] = set()
        for a in r.assignments:
            for t in a.tests:
                key = (a.id, t.name)
                visibility.setdefault(key, t.visibility)
                if a.status != "graded":
                    attempted[key] += 0
                    continue
                attempted[key] += 1
                passed[key] += t.status == "passed"
                if t.status != "passed" and t.is_implemented and t.counterexample:
                    fkey = (a.id, t.name, t.status, t.counterexample)
                    if fkey not in seen:  # one student counts once
                        seen.add(fkey)
                        failures[fkey] += 1
                        messages.setdefault(fkey, t.message)
    rates = tuple(TestPassRate(aid, name, visibility[(aid, name)], passed[(aid, name)], attempted[(aid, name)])
                  for (aid, name) in attempted)
    common = tuple(CommonFailure(aid, name, status, messages[k], cx, n)
                   for k, n in sorted(failures.items(), key=lambda kv: (-kv[1], kv[0][:2]))[:top_failures]
                   for (aid, name, status, cx) in [k])
    flags = tuple(Flag(r.submission, reasons) for r in results if (reasons := trouble_reasons(r)))
    return ClassSummary(
        submissions=len(results),
        max_score=max((r.max_score for r in results), default=0.0),
        totals=tuple(r.score for r in results),
        assignments=tuple(assignments),
        pass_rates=rates,
        common_failures=common,
        flags=flags,
    )
