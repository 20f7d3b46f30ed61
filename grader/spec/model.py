"""Frozen descriptions of what is graded: assignments and their tests."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Visibility = Literal["visible", "hidden"]


@dataclass(frozen=True)
class TestSpec:
    """One graded test: a hypothesis search over ``inputs`` feeding ``body``.

    ``body(student, **case)`` calls the student's functions through ``student`` (a proxy to
    the sandboxed worker) and raises on a wrong answer. ``points`` is a weight within the
    assignment; the assignment's total is spread over its tests in proportion.
    """

    assignment: str
    name: str
    body: Callable[..., None]
    functions: tuple[str, ...]
    points: float = 1.0
    visibility: Visibility = "visible"
    inputs: Any = None  # a hypothesis strategy of dicts, or None for a single run with no case
    examples: tuple[Mapping[str, Any], ...] = ()
    max_examples: int = 40
    timeout_s: float | None = None
    hint: str | None = None
    source: str = ""  # "file:line" of the declaration, for error messages

    @property
    def key(self) -> str:
        return f"{self.assignment}::{self.name}"


@dataclass(frozen=True)
class AssignmentSpec:
    """An assignment: the student file, its public functions and all its tests."""

    id: str
    student_file: str
    functions: tuple[str, ...]
    title: str = ""
    max_score: float = 12.5
    forbidden_calls: tuple[str, ...] = ()
    tests: tuple[TestSpec, ...] = field(default_factory=tuple)
    public_dir: str = ""  # assignments/<id>: stub, handout, helper modules the worker may import
    #: functions also run with their tensor inputs on torch's meta device when grading on the
    #: CPU, to catch device bugs without a GPU (see :mod:`grader.checks.device`)
    meta_safe: tuple[str, ...] = ()

    def test_points(self) -> dict[str, float]:
        """Each test's share of ``max_score``, in proportion to its weight.

        Shares are whole millionths of a point, apportioned by largest remainder, so that
        they add up to ``max_score`` exactly once rounded to 6 decimals (as every report does).
        """
        total = sum(t.points for t in self.tests)
        if total <= 0:
            return {t.name: 0.0 for t in self.tests}
        micro_total = round(self.max_score * 1_000_000)
        exact = [micro_total * t.points / total for t in self.tests]
        micro = [int(x) for x in exact]
        by_remainder = sorted(range(len(exact)), key=lambda i: (micro[i] - exact[i], i))
        for i in by_remainder[: micro_total - sum(micro)]:
            micro[i] += 1
        return {t.name: m / 1_000_000 for t, m in zip(self.tests, micro)}

    def only_visible(self) -> AssignmentSpec:
        return _replace_tests(self, tuple(t for t in self.tests if t.visibility == "visible"))


def _replace_tests(spec: AssignmentSpec, tests: Sequence[TestSpec]) -> AssignmentSpec:
    from dataclasses import replace

    return replace(spec, tests=tuple(tests))


def seed_for_test(course_seed: int, test: TestSpec) -> int:
    """The same seed for a test on every run and for every student."""
    return (course_seed ^ zlib.crc32(test.key.encode())) & 0xFFFFFFFF
