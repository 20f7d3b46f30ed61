"""PrairieLearn: the external-grader results against the documented schema, and the error path."""

from __future__ import annotations

import json
import math

from platform_samples import sample_result

from grader.config import parse_config
from grader.formats import prairielearn as prairielearn_format
from grader.platforms.prairielearn import run_prairielearn

# Written down from PrairieLearn's "External Grading" documentation, "Grading results"
# (https://prairielearn.readthedocs.io/en/latest/externalGrading/): gradable (bool; false means the
# submission could not be graded and costs no attempt), score (a number in [0, 1]), message,
# output, images (optional), tests: each name, description, points, max_points, message, output.
TOP_KEYS = {"gradable", "score", "message", "output", "images", "tests", "partial_scores", "format_errors"}
TEST_KEYS = {"name", "description", "points", "max_points", "message", "output", "images"}


def assert_prairielearn_schema(data: dict) -> None:
    json.dumps(data, allow_nan=False)
    assert set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert isinstance(data["gradable"], bool)
    assert isinstance(data["score"], (int, float)) and math.isfinite(data["score"]) and 0 <= data["score"] <= 1
    assert isinstance(data["message"], str) and isinstance(data["output"], str)
    for test in data["tests"]:
        assert set(test) == TEST_KEYS - {"images"}, set(test) ^ (TEST_KEYS - {"images"})
        assert all(isinstance(test[k], str) for k in ("name", "description", "message", "output"))
        assert 0 <= test["points"] <= test["max_points"]


def test_results_follow_the_schema():
    data = prairielearn_format.results(sample_result())
    assert_prairielearn_schema(data)
    assert data["gradable"] is True
    assert data["score"] == 0.1                        # 2.5 of 25
    tests = {t["name"]: t for t in data["tests"]}
    assert sum(t["points"] for t in data["tests"]) == 2.5
    assert sum(t["max_points"] for t in data["tests"]) == 25.0
    failing = tests["iou: box_iou matches torchvision"]
    assert failing["message"] == "iou: values differ at [0, 1]: got 0.5, expected 0.25"
    assert "boxes1 = tensor" in failing["output"]
    assert "SECRET_INPUT" not in tests["iou: nms keeps the highest score (hidden)"]["output"]
    shown = prairielearn_format.results(sample_result(), parse_config({"visibility": {"show_hidden_inputs": True}}))
    assert "SECRET_INPUT" in {t["name"]: t for t in shown["tests"]}["iou: nms keeps the highest score (hidden)"][
        "output"]


def test_error_results_are_not_gradable():
    data = prairielearn_format.error_results("the course is broken")
    assert_prairielearn_schema(data)
    assert data["gradable"] is False and data["score"] == 0 and "the course is broken" in data["message"]


def test_runner_writes_results_even_when_the_course_is_broken(tmp_path):
    course = tmp_path / "course"
    (course / "assignments" / "toy").mkdir(parents=True)
    (course / "assignments" / "toy" / "suite.py").write_text("import no_such_module_here\n")
    (tmp_path / "grade" / "student").mkdir(parents=True)
    returned = run_prairielearn(tmp_path / "grade", course_dir=course)
    data = json.loads((tmp_path / "grade" / "results" / "results.json").read_text())
    assert data == returned
    assert_prairielearn_schema(data)
    assert data["gradable"] is False and "no_such_module_here" in data["message"]
