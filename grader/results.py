"""Frozen results of grading: per test, per assignment, per submission (plain data only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEST_STATUSES = ("passed", "failed", "error", "timeout", "violation")
ASSIGNMENT_STATUSES = ("graded", "missing", "error")


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
