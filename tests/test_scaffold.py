"""``grader new ID`` writes an assignment that grades at once: the reference full marks, the
stub 0 without traceback noise, its buggy fixture caught, its correct fixture full marks."""

from __future__ import annotations

import shutil

import pytest
from platform_samples import copy_course

from grader.cli import main
from grader.course import load_course
from grader.errors import CourseError
from grader.grading import GradeOptions, grade_submission
from grader.scaffold import scaffold


def _grade(course, folder, assignment_id):
    return grade_submission(folder, course, GradeOptions(only=(assignment_id,), max_examples=5)).assignments[0]


def test_a_scaffolded_assignment_grades_at_once(tmp_path, capsys):
    assert main(["new", "my_topic", "--course", str(tmp_path)]) == 0
    assert "grader grade reference/my_topic --only my_topic" in capsys.readouterr().out
    course = load_course(tmp_path)
    spec = course.get("my_topic")
    assert len(spec.tests) == 2 and {t.visibility for t in spec.tests} == {"visible", "hidden"}
    reference = _grade(course, tmp_path / "reference" / "my_topic", "my_topic")
    assert reference.score == reference.max_score > 0
    stub = _grade(course, tmp_path / "assignments" / "my_topic", "my_topic")
    assert stub.score == 0
    assert all(t.message == "scale is not implemented yet" and not t.traceback for t in stub.tests)
    fixtures = tmp_path / "tests" / "fixtures" / "my_topic"
    for fixture, full in (("buggy_forgets_factor.py", False), ("correct_float64.py", True)):
        folder = tmp_path / fixture.removesuffix(".py")
        folder.mkdir()
        shutil.copy(fixtures / fixture, folder / "my_topic.py")
        result = _grade(course, folder, "my_topic")
        assert (result.score == result.max_score) is full, (fixture, result.message)
    buggy = _grade(course, tmp_path / "buggy_forgets_factor", "my_topic")
    assert {t.name: t.status for t in buggy.tests}["scale multiplies every element by the factor"] == "failed"


def test_scaffolding_beside_a_selection_offers_it_and_overwrites_nothing(tmp_path):
    copy_course(tmp_path, ("iou",), '[course]\nassignments = ["iou"]\n')
    scaffold(tmp_path, "extra")
    course = load_course(tmp_path)
    assert [a.id for a in course.assignments] == ["iou"]  # selected only once the course says so
    assert _grade(course, tmp_path / "reference" / "extra", "extra").score > 0  # --only picks it
    before = (tmp_path / "assignments" / "extra" / "suite.py").read_text()
    with pytest.raises(CourseError, match="already exists"):
        scaffold(tmp_path, "extra")
    assert (tmp_path / "assignments" / "extra" / "suite.py").read_text() == before
    for bad in ("Extra", "1x", "class", "a-b", ""):
        with pytest.raises(CourseError, match="not a usable assignment id"):
            scaffold(tmp_path, bad)
