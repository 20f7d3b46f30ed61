"""Grading on a GPU (``--device cuda``): references and correct fixtures keep every point,
device bugs are caught, a wrong-device result names both devices, a CUDA fault costs one
test, and the worker computes in exact float32. Every test here is marked ``cuda`` and is
skipped where ``torch.cuda.is_available()`` is False (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from paths import FIXTURES, ROOT
from test_fixtures import _caught_by

from grader.grading import GradeOptions, grade_submission

pytestmark = pytest.mark.cuda

ASSIGNMENTS = ("backprop", "init_variance", "conv_shapes", "lstm", "elbo", "gan_loss", "iou", "beam_search")
QUICK = 5  # examples per test: the CPU suite runs the full search; here the device is the question


def _grade(course, source: Path | str, assignment: str, tmp_path: Path, name: str = "submission"):
    spec = course.get(assignment)
    folder = tmp_path / name
    folder.mkdir()
    target = folder / spec.student_file
    if isinstance(source, Path):
        shutil.copy(source, target)
    else:
        target.write_text(source)
    result = grade_submission(folder, course, GradeOptions(only=(assignment,), device="cuda", max_examples=QUICK))
    (graded,) = result.assignments
    return graded, {t.name: t for t in graded.tests}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks_on_cuda(course, tmp_path, assignment):
    spec = course.get(assignment)
    graded, tests = _grade(course, ROOT / "reference" / assignment / spec.student_file, assignment, tmp_path)
    lost = [(t.name, t.status, t.message[:300]) for t in tests.values() if t.status != "passed"]
    assert not lost and graded.score == graded.max_score


def _ids(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*/correct_*.py")), ids=_ids)
def test_correct_fixture_scores_full_marks_on_cuda(course, tmp_path, fixture):
    graded, tests = _grade(course, fixture, fixture.parent.name, tmp_path)
    lost = [(t.name, t.status, t.message[:300]) for t in tests.values() if t.status != "passed"]
    assert not lost and graded.score == graded.max_score


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*/buggy_device_*.py")), ids=_ids)
def test_device_bug_fixture_is_caught_on_cuda(course, tmp_path, fixture):
    graded, tests = _grade(course, fixture, fixture.parent.name, tmp_path)
    assert graded.score < graded.max_score
    for name in _caught_by(fixture):
        assert tests[name].status != "passed", f"{name!r} did not catch {fixture.name} on cuda"


IOU = (ROOT / "reference" / "iou" / "iou.py").read_text()


def test_a_result_on_the_cpu_names_the_function_and_both_devices(course, tmp_path):
    source = IOU + ("\n\ndef box_area(boxes):\n"
                    "    return ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).cpu()\n")
    _, tests = _grade(course, source, "iou", tmp_path)
    t = tests["box_area is (x2 - x1) * (y2 - y1), no +1"]
    assert t.status == "failed"
    assert "box_area returned result on cpu, but its inputs are on cuda" in t.message


def test_a_cuda_fault_costs_that_test_only(course, tmp_path):
    # An out-of-bounds index on the GPU is a device-side assert: the context is poisoned.
    source = IOU + ("\n\ndef box_convert(boxes, in_fmt, out_fmt):\n"
                    "    bad = torch.full((1,), 10**9, dtype=torch.int64, device=boxes.device)\n"
                    "    return boxes[bad] + 0\n")
    _, tests = _grade(course, source, "iou", tmp_path)
    broken = tests["box_convert follows the formulas between xyxy, xywh and cxcywh"]
    assert broken.status == "error" and "CUDA" in broken.message
    # the tests after it run in a fresh worker with a fresh context, and pass
    nms = "nms matches greedy suppression (decreasing score, ties lower index first, strict >)"
    assert tests[nms].status == "passed"


def test_the_worker_computes_on_the_gpu_in_exact_float32(tmp_path):
    from grader.doctor import worker_reaches
    from grader.sandbox.process import Worker

    ok, said = worker_reaches("cuda")
    assert ok, said
    (tmp_path / "flags.py").write_text("import torch\n\ndef flags():\n"
                                       "    return str(torch.backends.cuda.matmul.fp32_precision), "
                                       "str(torch.backends.cudnn.conv.fp32_precision)\n")
    worker = Worker(str(tmp_path / "flags.py"), "flags", device="cuda", import_timeout_s=120)
    assert worker.start().kind == "value"
    try:
        reply = worker.call("flags", [], {}, 60)
    finally:
        worker.stop()
    assert reply.kind == "value" and reply.value == ("ieee", "ieee")
