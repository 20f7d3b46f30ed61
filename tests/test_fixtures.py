"""The grader's promise on every fixture: buggy ones lose points in the test meant to catch
them, correct ones (written differently from the reference) keep every point.

Fixtures are single student files under ``tests/fixtures/<assignment>/``: ``buggy_*.py``
with ``Caught by: <test name>`` lines in their docstring, and ``correct_*.py``.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from paths import FIXTURES

from grader.grading import GradeOptions, grade_submission


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.py") if p.name.startswith(("buggy_", "correct_")))


def _caught_by(path: Path) -> list[str]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return [line.split(":", 1)[1].strip() for line in doc.splitlines() if line.strip().lower().startswith("caught by:")]


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_scores_as_intended(fixture: Path, course, tmp_path: Path) -> None:
    spec = course.get(fixture.parent.name)
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(fixture, submission / spec.student_file)
    result = grade_submission(submission, course, GradeOptions(only=(spec.id,)))
    (assignment,) = result.assignments
    by_name = {t.name: t for t in assignment.tests}
    if fixture.name.startswith("correct_"):
        lost = [(t.name, t.status, t.message) for t in assignment.tests if t.status != "passed"]
        assert not lost, f"a correct submission lost points: {lost}"
        assert assignment.score == assignment.max_score
    else:
        assert assignment.score < assignment.max_score
        named = _caught_by(fixture)
        assert named, f"{fixture.name} names no 'Caught by:' test"
        for name in named:
            assert name in by_name, f"{fixture.name}: no test named {name!r}"
            assert by_name[name].status != "passed", f"{name!r} did not catch {fixture.name}"
