"""Hand-built results for the platform-format tests (no grading needed), and course helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.course import load_course
from grader.results import AssignmentResult, SubmissionResult, TestResult

ROOT = Path(__file__).resolve().parents[1]
PREFERRED = ("gan_loss", "elbo", "iou", "lstm", "conv_shapes", "beam_search", "init_variance", "backprop")


def sample_result() -> SubmissionResult:
    """Every test status, a hidden test with a counterexample, a missing assignment."""
    tests = (
        TestResult("box_area is width times height", ("box_area",), 2.5, 2.5, "passed", "visible"),
        TestResult("box_iou matches torchvision", ("box_iou",), 0.0, 2.5, "failed", "visible",
                   message="iou: values differ at [0, 1]: got 0.5, expected 0.25",
                   counterexample="boxes1 = tensor([[0., 0., 1., 1.]])\nprint('```')", hint="Clamp at 0."),
        TestResult("nms keeps the highest score (hidden)", ("nms",), 0.0, 2.5, "failed", "hidden",
                   message="kept [1, 0], expected [0]", counterexample="SECRET_INPUT = tensor([7.0])"),
        TestResult("box_convert raises", ("box_convert",), 0.0, 2.5, "error", "visible",
                   message="TypeError: bad\x01 operand"),
        TestResult("giou is slow", ("generalized_box_iou",), 0.0, 1.25, "timeout", "hidden", message="took 30 s"),
        TestResult("no autograd", ("box_area",), 0.0, 1.25, "violation", "visible", message="called backward"),
    )
    iou = AssignmentResult("iou", "Boxes", "graded", 2.5, 12.5, tests, file="sub/iou.py", elapsed_s=1.5)
    missing_tests = (TestResult("elbo test", ("elbo",), 0.0, 12.5, "failed", "visible",
                                message="elbo.py was not submitted"),)
    elbo = AssignmentResult("elbo", "ELBO", "missing", 0.0, 12.5, missing_tests, message="elbo.py was not submitted")
    return SubmissionResult("sub", 2.5, 25.0, (iou, elbo), graded_at="2026-11-23T10:00:00+00:00", elapsed_s=2.0)


def pick_assignment() -> tuple[str, str]:
    """(id, student file) of an assignment with a visible suite, hidden suite and reference."""
    course = load_course(ROOT)
    by_id = {a.id: a for a in course.assignments}
    for assignment_id in PREFERRED:
        spec = by_id.get(assignment_id)
        if spec and (ROOT / "reference" / assignment_id / spec.student_file).is_file() \
                and any(t.visibility == "hidden" for t in spec.tests):
            return assignment_id, spec.student_file
    raise AssertionError("no complete assignment in the course")


def copy_course(dest: Path, assignment_ids: tuple[str, ...], course_toml: str) -> Path:
    """A small course: the given assignments (visible and hidden) and this course.toml."""
    for folder in ("assignments", "reference"):
        for assignment_id in assignment_ids:
            shutil.copytree(ROOT / folder / assignment_id, dest / folder / assignment_id,
                            ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "course.toml").write_text(course_toml)
    return dest
