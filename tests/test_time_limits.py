"""Per-call time limits from the reference's own time, strikes, and the import's CPU limit (issue 16).

A hang costs seconds: each call may take max(floor, factor × the reference's time on the same
arguments); a function that ran out of time gets a lower floor, then is not called again. A slow
but correct solution (20 times the reference) keeps every point.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import torch
from paths import ROOT

from grader.checks.student import AbortTest, CallLog, Student
from grader.checks.time_budget import CallBudget, TimeLimits, assignment_reference
from grader.config import parse_config, to_toml
from grader.errors import CourseError
from grader.grading import GradeOptions, grade_submission
from grader.sandbox.process import Reply

sys.path.insert(0, str(ROOT / "benchmarks"))
import hangs  # noqa: E402 - the benchmark's submissions are the ones measured

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")


class FakeReference:
    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.asked: list[str] = []

    def call_time_s(self, name, args, kwargs):
        self.asked.append(name)
        return self.seconds


class Sink:
    """Answers every call with a timeout after recording the limit it was given."""

    def __init__(self) -> None:
        self.limits: list[float] = []

    def call(self, fn, args, kwargs, timeout_s):
        self.limits.append(timeout_s)
        return Reply(kind="timeout", message=f"no answer within {timeout_s:.1f} s")


def test_the_limit_is_a_multiple_of_the_reference_with_a_floor() -> None:
    limits = TimeLimits(call_floor_s=1.0, reference_factor=100.0, after_timeout_floor_s=0.25, strikes=2)
    assert CallBudget(limits, FakeReference(0.001)).limit_s("f", (), {})[0] == 1.0
    limit, why = CallBudget(limits, FakeReference(0.05)).limit_s("f", (), {})
    assert limit == pytest.approx(5.0)
    assert "100 × the reference's 50 ms" in why


def test_a_function_that_timed_out_gets_a_lower_floor_then_is_not_called_again() -> None:
    budget = CallBudget(TimeLimits(), FakeReference(0.0001))
    sink = Sink()
    outcomes = []
    for _ in range(4):  # four tests calling the same hanging function
        student = Student(sink, ("f",), CallLog(deadline=time.monotonic() + 30), budget=budget)
        with pytest.raises(AbortTest) as raised:
            student.f(torch.zeros(2))
        outcomes.append(raised.value)
    assert sink.limits == [1.0, 0.25]  # the third and fourth tests never reach the worker
    assert all(o.status == "timeout" for o in outcomes)
    assert "max(1 s, 100 × the reference's" in outcomes[0].message
    assert "already ran out of time once" in outcomes[1].message
    assert "was not called: it ran out of time in 2 earlier tests" in outcomes[2].message


def test_without_a_reference_the_first_timeout_keeps_the_tests_clock() -> None:
    budget = CallBudget(TimeLimits(), None)
    sink = Sink()
    for _ in range(2):
        student = Student(sink, ("f",), CallLog(deadline=time.monotonic() + 30), budget=budget)
        with pytest.raises(AbortTest):
            student.f(1)
    assert sink.limits[0] > 29 and sink.limits[1] == 1.0


def test_the_reference_is_timed_on_a_copy_and_its_answer_is_cached(course) -> None:
    spec = course.get("iou")
    ref = assignment_reference(spec.public_dir, spec.id, spec.student_file)
    assert ref is not None
    boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0]], dtype=torch.float64)
    seconds = ref.call_time_s("box_area", (boxes,), {})
    assert seconds is not None and 0 < seconds < 1
    assert ref.call_time_s("box_area", (boxes,), {}) == seconds  # measured once
    hits = ref.hits
    assert ref.box_area(boxes).tolist() == [6.0]
    assert ref.hits == hits + 1  # the test body's own reference call costs nothing more
    assert boxes.tolist() == [[0.0, 0.0, 2.0, 3.0]]
    assert ref.call_time_s("no_such_function", (boxes,), {}) is None
    generator = torch.Generator().manual_seed(3)
    init = assignment_reference(course.get("init_variance").public_dir, "init_variance", "init_variance.py")
    before = generator.get_state()
    assert init.call_time_s("init_weight", ((4, 3), "xavier_normal", generator), {}) is not None
    assert torch.equal(generator.get_state(), before)  # the grader's generator is not advanced


def test_no_reference_in_a_release(tmp_path: Path) -> None:
    (tmp_path / "assignments" / "iou").mkdir(parents=True)
    assert assignment_reference(str(tmp_path / "assignments" / "iou"), "iou", "iou.py") is None


def _graded(course, case: str, tmp_path: Path, **options):
    hangs.build(case, tmp_path / case)
    started = time.monotonic()
    result = grade_submission(tmp_path / case, course, GradeOptions(only=("iou",), **options))
    return result.assignments[0], time.monotonic() - started


def test_a_solution_20_times_slower_than_the_reference_keeps_every_point(course, tmp_path: Path) -> None:
    iou, _ = _graded(course, "slow20", tmp_path, max_examples=5)
    lost = [(t.name, t.status, t.message) for t in iou.tests if t.status != "passed"]
    assert not lost
    assert iou.score == iou.max_score


def test_three_hanging_functions_cost_seconds_not_minutes(course, tmp_path: Path) -> None:
    iou, took = _graded(course, "iou3", tmp_path, max_examples=5)
    hanging = {"box_iou", "generalized_box_iou", "nms"}
    for t in iou.tests:
        assert t.status == ("timeout" if hanging & set(t.functions) else "passed"), (t.name, t.message)
        if t.status == "timeout":
            assert t.counterexample, t.name  # the call that hung is shown
    assert any(t.status == "passed" for t in iou.tests)  # box_area and box_convert alone are graded
    assert any("was not called" in t.message for t in iou.tests)
    # 17 tests, 13 of which call a hanging function: 30 s each before issue 16 (244 s in all)
    assert took < 60


def test_an_infinite_loop_at_import_stops_at_the_cpu_limit(course, tmp_path: Path) -> None:
    iou, took = _graded(course, "import_loop", tmp_path, import_timeout_s=120.0,
                        time_limits=TimeLimits(import_cpu_s=1.0))
    assert iou.status == "error" and iou.score == 0
    assert {t.status for t in iou.tests} == {"timeout"}
    assert "used more than 1 s of CPU time" in iou.message
    assert "it was running line" in iou.message  # the line of the loop
    assert took < 100  # the wall clock (120 s) is not what stopped it


def test_time_limits_in_course_toml() -> None:
    config = parse_config({"time_limits": {"call_floor_s": 2, "reference_factor": 50, "after_timeout_floor_s": 0.5,
                                           "strikes": 3, "import_cpu_s": 4}})
    assert config.time_limits == TimeLimits(call_floor_s=2.0, reference_factor=50.0, after_timeout_floor_s=0.5,
                                            strikes=3, import_cpu_s=4.0)
    assert parse_config({}).time_limits == TimeLimits()
    assert "[time_limits]" in to_toml(config)
    assert parse_config(__import__("tomllib").loads(to_toml(config))).time_limits == config.time_limits
    with pytest.raises(CourseError, match=r"\[time_limits\] strikes"):
        parse_config({"time_limits": {"strikes": 0}})
    with pytest.raises(CourseError, match="after_timeout_floor_s"):
        parse_config({"time_limits": {"call_floor_s": 1, "after_timeout_floor_s": 2}})
    with pytest.raises(CourseError, match="typo"):
        parse_config({"time_limits": {"typo": 1}})


def test_the_bundled_course_states_the_rule(course) -> None:
    assert course.config.time_limits == TimeLimits()
    readme = (ROOT / "README.md").read_text()
    assert "reference_factor" in readme and "import_cpu_s" in readme


class PatientSink:
    """Takes ``patience`` as the worker does: waits ``timeout_s``, then asks for the whole limit."""

    patient = True

    def __init__(self, answers_within_floor: bool) -> None:
        self.quick = answers_within_floor
        self.asked: list[tuple[float, float | None]] = []

    def call(self, fn, args, kwargs, timeout_s, *, op="call", patience=None):
        if self.quick:
            self.asked.append((timeout_s, None))
            return Reply(kind="value", value=1)
        self.asked.append((timeout_s, patience()))
        return Reply(kind="timeout", message="no answer")


def test_the_reference_is_timed_only_for_a_call_that_outlasts_the_floor() -> None:
    reference = FakeReference(0.05)
    quick = PatientSink(answers_within_floor=True)
    student = Student(quick, ("f",), CallLog(deadline=time.monotonic() + 30),
                      budget=CallBudget(TimeLimits(), reference))
    assert student.f(torch.zeros(2)) == 1
    assert quick.asked == [(1.0, None)] and reference.asked == []  # answered within the floor: no timing

    slow = PatientSink(answers_within_floor=False)
    student = Student(slow, ("f",), CallLog(deadline=time.monotonic() + 30),
                      budget=CallBudget(TimeLimits(), reference))
    with pytest.raises(AbortTest) as raised:
        student.f(torch.zeros(2))
    assert slow.asked[0][0] == 1.0 and slow.asked[0][1] == pytest.approx(5.0)  # then 100 x 50 ms
    assert reference.asked == ["f"]
    assert "no answer within 5 s: a call may take max(1 s, 100 × the reference's 50 ms" in raised.value.message
