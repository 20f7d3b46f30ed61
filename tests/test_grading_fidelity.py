"""What a student is told does not change when the grader gets faster (issue 16).

Every fixture of ``tests/fixtures`` and every hostile file of ``tests/hostile`` whose outcome
does not depend on the machine is graded and compared with the snapshot recorded before the
speed work (``data/grading_golden.json.gz``, made by ``grading_snapshot.py``): grades,
statuses, messages, counterexamples, details and output, apart from timings and the message of
a timeout (it now states the per-call limit). An assignment whose suites changed since is
skipped (its grades were meant to change). The snapshot was drawn by particular hypothesis
and torch versions; with others the examples differ, and the comparison is skipped.

A student's float32 result may differ in its last bits from one CPU to another (torch picks
its kernels by the instruction set: AVX2, AVX-512), and so may the numbers a message quotes
from it. Those are compared within a few float32 rounding steps; every other character, every
integer, status and grade must be equal.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import pytest
from grading_snapshot import fixture_cases, grade_case, hostile_cases, load, normalise, suite_digests, versions
from paths import ROOT

GOLDEN = ROOT / "tests" / "data" / "grading_golden.json.gz"
RECORDED = load(GOLDEN)
CASES = fixture_cases() + hostile_cases()

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")


def test_every_recorded_submission_is_still_graded() -> None:
    assert set(RECORDED["results"]) <= {key for key, _ in CASES}
    assert len(CASES) >= 200


@pytest.mark.parametrize("key,path", CASES, ids=[key for key, _ in CASES])
def test_grading_matches_the_recorded_snapshot(key, path, course) -> None:
    if RECORDED["versions"] != versions():
        pytest.skip(f"snapshot drawn with {RECORDED['versions']}, this is {versions()}")
    if key not in RECORDED["results"]:
        pytest.skip(f"{key} is newer than the snapshot")
    assert course.seed == RECORDED["seed"]
    now_digests = suite_digests()
    for assignment in ("iou", "conv_shapes") if key.startswith("hostile/") else (key.split("/")[0],):
        if RECORDED["suites"].get(assignment) != now_digests.get(assignment):
            pytest.skip(f"the {assignment} suites changed since the snapshot: record it anew (grading_snapshot.py)")
    now, old = normalise(grade_case(course, key, path)), normalise(RECORDED["results"][key])
    if not _same(now, old):
        assert now == old


_DECIMAL = re.compile(r"-?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")
_EXACT = {"score", "max_score", "status"}  # a grade is never compared with a tolerance
_REL = 1e-5  # about 80 float32 rounding steps: kernels differ by a few, a real change by far more


def _close(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=_REL, abs_tol=1e-9)


def _same_text(a: str, b: str) -> bool:
    if a == b:
        return True
    if _DECIMAL.split(a) != _DECIMAL.split(b):
        return False
    xs, ys = _DECIMAL.findall(a), _DECIMAL.findall(b)
    return len(xs) == len(ys) and all(_close(float(x), float(y)) for x, y in zip(xs, ys))


def _same(a: Any, b: Any) -> bool:
    """Equal, but for decimals (in numbers and in text) within the tolerance above."""
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, (int, float)) or isinstance(b, float) and isinstance(a, int):
        return _close(float(a), float(b))
    if isinstance(a, str) and isinstance(b, str):
        return _same_text(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(a[k] == b[k] if k in _EXACT else _same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_the_comparison_forgives_rounding_only():
    """The tolerance of the comparison above: last bits, never a digit that matters."""
    got = {"message": "worst absolute error 0.01722344569861889 at [1, 2] (got -0.03444688767194748)",
           "score": 6.521739, "details": {"got": [[-0.009553108364343643]]}}
    kernel = {"message": "worst absolute error 0.017223449423909187 at [1, 2] (got -0.03444689139723778)",
              "score": 6.521739, "details": {"got": [[-0.009553108364343643]]}}
    assert _same(got, kernel)
    assert not _same(got, dict(kernel, message=kernel["message"].replace("[1, 2]", "[1, 3]")))
    assert not _same(got, dict(kernel, message=kernel["message"].replace("0.0172234", "0.0172334")))
    assert not _same(got, dict(kernel, score=6.52174))
    assert not _same(got, dict(kernel, details={"got": [[-0.00956]]}))
    assert not _same({"status": "passed"}, {"status": "failed"})
    assert not _same([1.0], [1.0, 2.0])
