"""GitHub Classroom: the runner result the grading reporter reads, and the workflow template."""

from __future__ import annotations

import base64
import json

from platform_samples import ROOT, sample_result

from grader.course import load_course
from grader.formats import classroom
from grader.release import classroom_workflow

# Written down from GitHub Classroom's runners (education/autograding-python-grader and
# autograding-command-grader emit it base64-encoded as their `result` output) and its reporter
# (education/autograding-grading-reporter: reads <RUNNER>_RESULTS, sums tests[].score against
# max_score, fails the check when status is "fail" or "error"): version (1), status
# (pass/fail/error), max_score (number), tests: name, status (pass/fail/error), score, max_score,
# message, test_code, filename, line_no, duration (ms); output where the runner has one.
STATUSES = {"pass", "fail", "error"}
TEST_KEYS = {"name", "status", "score", "max_score", "message", "output", "test_code", "filename", "line_no",
             "duration"}


def assert_classroom_schema(data: dict) -> None:
    json.dumps(data, allow_nan=False)
    assert data["version"] == 1
    assert data["status"] in STATUSES
    assert isinstance(data["max_score"], (int, float)) and data["max_score"] >= 0
    for test in data["tests"]:
        assert set(test) == TEST_KEYS, set(test) ^ TEST_KEYS
        assert test["status"] in STATUSES
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["line_no"], int) and isinstance(test["duration"], int)


def test_results_follow_the_schema_and_the_reporter_sums_them():
    data = classroom.results(sample_result())
    assert_classroom_schema(data)
    assert data["status"] == "fail" and data["max_score"] == 25.0
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["iou: box_area is width times height"]["status"] == "pass"
    assert by_name["iou: box_convert raises"]["status"] == "error"
    assert by_name["iou: giou is slow"]["status"] == "error"
    assert by_name["iou: no autograd"]["status"] == "fail"
    decoded = json.loads(base64.b64decode(classroom.encoded(data)))
    assert sum(t["score"] for t in decoded["tests"]) == 2.5     # what the reporter adds up


def test_error_results_follow_the_schema():
    data = classroom.error_results("no course")
    assert_classroom_schema(data)
    assert data["status"] == "error"


def test_workflow_runs_grader_check_fail_under_per_assignment_and_reports_every_runner():
    course = load_course(ROOT, include_hidden=False)
    text = classroom_workflow(course, fail_under=60)
    assert "name: Autograding Tests" in text and 'FAIL_UNDER: "60"' in text
    assert "classroom-resources/autograding-grading-reporter@v1" in text
    ids = [a.id for a in course.assignments]
    for assignment_id in ids:
        assert (f"grader check assignments/{assignment_id} --only {assignment_id} --fail-under \"$FAIL_UNDER\" "
                f"--classroom {assignment_id}-result.json") in text
        assert f"{assignment_id.upper()}_RESULTS: \"${{{{ steps.{assignment_id}.outputs.result }}}}\"" in text
    assert f"runners: {','.join(ids)}" in text
    assert "\t" not in text and "{%" not in text and "{{ a." not in text   # rendered YAML, spaces only
