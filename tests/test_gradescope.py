"""Gradescope: results.json against the documented schema, the late policy, the error path, and
the whole bundle run end to end in an /autograder-like tree."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from platform_samples import ROOT, copy_course, pick_assignment, sample_result

from grader.config import CourseConfig, LatePolicy, parse_config
from grader.formats import gradescope as gradescope_format
from grader.platforms.gradescope import build_bundle, lateness, run_gradescope

# The schema of results.json, written down from Gradescope's autograder specification
# (https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format): score (optional
# when tests carry scores; overrides their sum), execution_time (s), output, output_format
# (text, html, simple_format, md, ansi), stdout_visibility, visibility, extra_data, and tests,
# each with score, max_score, status (passed/failed), name, number, output, output_format,
# tags, visibility (visible, hidden, after_due_date, after_published), extra_data.
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def assert_gradescope_schema(data: dict) -> None:
    json.dumps(data, allow_nan=False)
    assert set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert _number(data["score"]) and data["score"] >= 0
    assert _number(data["execution_time"]) and data["execution_time"] >= 0
    assert isinstance(data["output"], str)
    assert data["output_format"] in FORMATS
    assert data.get("stdout_visibility", "hidden") in VISIBILITIES
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        assert _number(test["score"]) and _number(test["max_score"]) and 0 <= test["score"] <= test["max_score"]
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITIES
        assert isinstance(test["output"], str)
        assert test["output_format"] in FORMATS


def test_results_follow_the_schema_and_show_hidden_tests_without_their_inputs():
    config = parse_config({"visibility": {"hidden_tests": "after_published"},
                           "assignments": {"iou": {"tests": {"no autograd": {"visibility": "after_due_date"}}}}})
    data = gradescope_format.results(sample_result(), config, execution_time_s=3.2)
    assert_gradescope_schema(data)
    tests = {t["name"]: t for t in data["tests"]}
    assert data["score"] == 2.5 and data["output_format"] == "md"
    assert tests["iou: box_area is width times height"]["status"] == "passed"
    assert tests["iou: box_convert raises"]["status"] == "failed"          # every non-pass is a failure there
    assert tests["iou: nms keeps the highest score (hidden)"]["visibility"] == "after_published"
    assert tests["iou: no autograd"]["visibility"] == "after_due_date"
    assert tests["iou: box_iou matches torchvision"]["visibility"] == "visible"
    shown = tests["iou: box_iou matches torchvision"]["output"]
    assert "got 0.5, expected 0.25" in shown and "````python\nboxes1 = tensor" in shown  # fence outgrows ```
    assert "Hint: Clamp at 0." in shown
    hidden = tests["iou: nms keeps the highest score (hidden)"]["output"]
    assert "kept [1, 0], expected [0]" in hidden and "SECRET_INPUT" not in hidden
    assert "elbo.py was not submitted" in data["output"]


def test_error_results_follow_the_schema_and_say_autograder_error():
    data = gradescope_format.error_results("course.toml: broken", execution_time_s=0.5)
    assert_gradescope_schema(data)
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith("**Autograder error**") and "course.toml: broken" in data["output"]


META = {"id": 1, "created_at": "2026-12-03T11:00:00.000000+01:00",
        "assignment": {"due_date": "2026-12-01T23:59:00.000000+01:00", "late_due_date": None, "title": "HW"},
        "users": [{"email": "s@example.edu", "id": 5, "name": "S"}]}


def test_lateness_uses_created_at_and_the_due_dates_never_the_clock():
    config = CourseConfig(late_policy=LatePolicy(penalty_per_day=10, grace_period_minutes=15, max_penalty=50))
    late = lateness(config, ["iou"], META)["iou"]                       # 35 h 1 min late: 2 started days
    assert late.penalty_percent == 20 and abs(late.late_s - (35 * 3600 + 60)) < 1e-6
    on_time = dict(META, created_at="2026-12-02T00:10:00+01:00")      # 11 minutes: within the grace period
    assert lateness(config, ["iou"], on_time)["iou"].penalty_percent == 0
    extended = dict(META, users=[{"id": 5, "assignment": {"due_date": "2026-12-05T23:59:00+01:00"}}])
    assert lateness(config, ["iou"], extended)["iou"].penalty_percent == 0   # the student's extension
    own_due = parse_config({"late_policy": {"penalty_per_day": 10},
                            "assignments": {"iou": {"due": META_DUE_EARLY}}})
    assert lateness(own_due, ["iou", "elbo"], META)["iou"].penalty_percent == 30   # its own due date wins
    assert lateness(own_due, ["iou", "elbo"], META)["elbo"].penalty_percent == 20
    assert lateness(config, ["iou"], None) == {}                        # no metadata: no penalty


META_DUE_EARLY = _dt.datetime(2026, 11, 30, 23, 59, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))


def test_the_penalty_applies_to_the_top_level_score_only():
    late = {"iou": gradescope_format.Lateness(20.0, 3600.0, "2026-12-01T23:59:00+01:00")}
    data = gradescope_format.results(sample_result(), CourseConfig(), execution_time_s=1, lateness=late)
    assert_gradescope_schema(data)
    assert data["score"] == 2.0                                   # 2.5 less 20 %
    assert sum(t["score"] for t in data["tests"]) == 2.5          # the tests keep what they earned
    assert "−20%" in data["output"]


def test_a_corrupt_course_still_gives_a_valid_results_json(tmp_path):
    course = tmp_path / "course"
    (course / "assignments" / "toy").mkdir(parents=True)
    (course / "assignments" / "toy" / "suite.py").write_text("raise RuntimeError('broken suite')\n")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    data = run_gradescope(root, course_dir=course)
    on_disk = json.loads((root / "results" / "results.json").read_text())
    assert on_disk == data
    assert_gradescope_schema(on_disk)
    assert on_disk["score"] == 0 and "Autograder error" in on_disk["output"] and "broken suite" in on_disk["output"]


def test_corrupt_metadata_still_gives_a_valid_results_json(tmp_path):
    assignment_id, _ = pick_assignment()
    course = copy_course(tmp_path / "course", (assignment_id,), "")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission_metadata.json").write_text('{"created_at": ')
    data = run_gradescope(root, course_dir=course, only=(assignment_id,))
    assert_gradescope_schema(data)
    assert data["score"] == 0 and "submission_metadata.json: not valid JSON" in data["output"]


@pytest.fixture(scope="module")
def autograder_tree(tmp_path_factory):
    """The bundle of a one-assignment course (small example budget), unzipped like Gradescope does."""
    tmp = tmp_path_factory.mktemp("gradescope")
    assignment_id, student_file = pick_assignment()
    course = copy_course(tmp / "course", (assignment_id,),
                         "[course]\nmax_examples = 3\n[late_policy]\npenalty_per_day = 10\n"
                         "grace_period_minutes = 15\nmax_penalty = 50\n")
    bundle = build_bundle(course, tmp / "autograder.zip", only=(assignment_id,))
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        root = tmp / "autograder"
        zf.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return {"root": root, "names": names, "modes": modes, "id": assignment_id, "file": student_file}


def test_the_bundle_holds_what_gradescope_needs(autograder_tree):
    names, assignment_id = autograder_tree["names"], autograder_tree["id"]
    for required in ("setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "course.toml",
                     "grader/cli.py", "grader/platforms/templates/run_autograder",
                     f"assignments/{assignment_id}/suite.py", f"reference/{assignment_id}/suite.py",
                     f"reference/{assignment_id}/{autograder_tree['file']}"):
        assert required in names, required
    assert autograder_tree["modes"]["setup.sh"] & 0o111 and autograder_tree["modes"]["run_autograder"] & 0o111
    assert not any("__pycache__" in n for n in names)
    source = autograder_tree["root"] / "source"
    requirements = (source / "requirements.txt").read_text()
    assert "torch==" in requirements and "hypothesis==" in requirements
    assert "download.pytorch.org/whl/cpu" in (source / "setup.sh").read_text()
    assert f"--only {assignment_id}" in (source / "run_autograder").read_text()
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(source / script)], check=True)


def _run_autograder(root: Path, created_at: str, submission_from: Path | None) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    if submission_from is not None:
        shutil.copy(submission_from, root / "submission" / submission_from.name)
    meta = dict(META, created_at=created_at)
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_COURSE")}
    env.update(AUTOGRADER_ROOT=str(root), GRADER_PYTHON=sys.executable)
    done = subprocess.run([str(root / "run_autograder")], env=env, cwd="/", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_schema(data)
    return data


def test_run_autograder_end_to_end_on_time_and_late(autograder_tree):
    root, assignment_id = autograder_tree["root"], autograder_tree["id"]
    solution = ROOT / "reference" / assignment_id / autograder_tree["file"]
    on_time = _run_autograder(root, "2026-12-01T20:00:00+01:00", solution)
    assert on_time["score"] == pytest.approx(12.5)
    assert on_time["tests"] and all(t["status"] == "passed" for t in on_time["tests"])
    assert {t["visibility"] for t in on_time["tests"]} == {"visible", "hidden"}
    # 2 days and 1 minute late: three started days at 10 %.
    late = _run_autograder(root, "2026-12-04T00:00:00+01:00", solution)
    assert late["score"] == pytest.approx(12.5 * 0.7)
    assert sum(t["score"] for t in late["tests"]) == pytest.approx(12.5)
    assert "−30%" in late["output"]


def test_an_empty_submission_scores_zero_without_an_autograder_error(autograder_tree, tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission_metadata.json").write_text(json.dumps(META))
    data = run_gradescope(root, course_dir=autograder_tree["root"] / "source", only=(autograder_tree["id"],))
    assert_gradescope_schema(data)
    assert data["score"] == 0 and "was not submitted" in data["output"]
    assert "Autograder error" not in data["output"]


def test_run_autograder_when_the_grader_cannot_start(autograder_tree, tmp_path):
    root = autograder_tree["root"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), GRADER_PYTHON=str(tmp_path / "no-python-here"))
    shutil.rmtree(root / "results", ignore_errors=True)
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == [] and "Autograder error" in data["output"]
    assert data["extra_data"] == {"autograder_error": True}
