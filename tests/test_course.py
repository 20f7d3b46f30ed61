"""The bundled course keeps the grader's promise: the reference scores full marks on every
test, the untouched stubs score 0 on every test, quietly."""

from __future__ import annotations

import shutil

import pytest
from paths import ROOT

from grader.grading import GradeOptions, grade_submission

SPEC_ASSIGNMENTS = ["backprop", "init_variance", "conv_shapes", "lstm", "elbo", "gan_loss", "iou", "beam_search"]


def test_the_course_has_the_eight_assignments_of_the_spec(course):
    assert [a.id for a in course.assignments] == sorted(SPEC_ASSIGNMENTS)
    for a in course.assignments:
        visible = [t for t in a.tests if t.visibility == "visible"]
        hidden = [t for t in a.tests if t.visibility == "hidden"]
        assert len(a.tests) >= 10, a.id
        assert visible and hidden, a.id
        assert a.max_score == 12.5


@pytest.mark.parametrize("assignment_id", sorted(SPEC_ASSIGNMENTS))
def test_reference_scores_full_marks(course, assignment_id):
    result = grade_submission(ROOT / "reference" / assignment_id, course, GradeOptions(only=(assignment_id,)))
    (assignment,) = result.assignments
    lost = [(t.name, t.status, t.message) for t in assignment.tests if t.status != "passed"]
    assert not lost
    assert assignment.score == assignment.max_score == 12.5


def test_stubs_score_zero_quietly(course, tmp_path):
    # A submission holds the files at its top level (SPEC §1), so gather the stubs into one.
    for a in course.assignments:
        shutil.copy(ROOT / "assignments" / a.id / a.student_file, tmp_path / a.student_file)
    result = grade_submission(tmp_path, course, GradeOptions())
    assert result.score == 0 and result.max_score == 100.0
    for assignment in result.assignments:
        assert assignment.status == "graded", (assignment.id, assignment.message)
        for t in assignment.tests:
            assert t.status == "failed" and not t.is_implemented, (assignment.id, t.name, t.message)
            assert t.counterexample == "" and t.traceback == ""


def test_a_hidden_suite_reuses_its_visible_suite_without_counting_its_tests_twice(tmp_path):
    from grader.course import load_course

    for folder in ("assignments", "reference"):
        shutil.copytree(ROOT / folder / "lstm", tmp_path / folder / "lstm")
    hidden = tmp_path / "reference" / "lstm" / "suite.py"
    hidden.write_text(hidden.read_text().replace(
        'suite = Suite("lstm")',
        'suite = Suite("lstm")\nfrom grader.spec import visible_suite_of\nvisible = visible_suite_of(__file__)\n'
        'assert visible.suite is not suite and visible.suite.id == "lstm"\n'))
    plain = load_course(ROOT).get("lstm")
    for _ in range(2):  # loading the course again reloads both, once each
        spec = load_course(tmp_path).get("lstm")
        assert [t.name for t in spec.tests] == [t.name for t in plain.tests]
