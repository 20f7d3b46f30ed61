"""Pipelined calls (Worker.pipeline, Student.prefetch): many calls sent at once, each reply read
with its own limit, so a crash or a hang in the middle is attributed to its call, and a replay
gives the grade that calling one by one gives."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest
from paths import ROOT

from grader.checks import driver
from grader.corpus import use
from grader.grading import GradeOptions, grade_submission
from grader.sandbox.process import Worker, request_frame

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")

STUDENT = '''
import ctypes
def f(x):
    print(f"called with {x}")
    if x == 3:
        ctypes.string_at(0)  # a real segmentation fault (a worker is PID 1: it ignores kill())
    if x == 5:
        while True:
            pass
    return x * 2
'''


@pytest.fixture
def worker(tmp_path: Path):
    path = tmp_path / "pipe.py"
    path.write_text(STUDENT)
    w = Worker(student_path=str(path), module_name="pipe", functions=("f",))
    assert w.start().kind == "value"
    yield w
    w.stop()


def _frames(values):
    return [request_frame("call", "f", [v], {}) for v in values]


def _limit(seconds):
    return lambda index: (seconds, lambda: seconds)


def test_every_reply_comes_back_in_order_with_its_own_output(worker):
    replies = worker.pipeline(_frames([0, 1, 2, 4, 6]), _limit(5.0))
    assert [r.value for r in replies] == [0, 2, 4, 8, 12]
    assert [r.stdout for r in replies] == [f"called with {v}\n" for v in (0, 1, 2, 4, 6)]
    assert worker.alive


def test_a_crash_in_the_middle_is_the_reply_of_the_call_that_crashed(worker):
    replies = worker.pipeline(_frames([0, 1, 2, 3, 4, 6]), _limit(5.0))
    assert [r.kind for r in replies] == ["value", "value", "value", "crashed"]
    assert "SIGSEGV" in replies[3].message
    assert not worker.alive  # stopped: the next test gets a fresh worker


def test_a_hang_in_the_middle_times_out_that_call_only(worker):
    started = time.monotonic()
    replies = worker.pipeline(_frames([0, 1, 5, 2]), _limit(0.5))
    assert time.monotonic() - started < 4.0
    assert [r.kind for r in replies] == ["value", "value", "timeout"]
    assert replies[0].value == 0 and replies[1].value == 2


def test_the_whole_limit_is_asked_for_only_when_the_first_wait_runs_out(worker):
    asked = []

    def timeout_for(index):
        return 0.3, lambda: asked.append(index) or 1.0

    started = time.monotonic()
    replies = worker.pipeline(_frames([0, 1, 5]), timeout_for)
    assert [r.kind for r in replies] == ["value", "value", "timeout"]
    assert asked == [2]  # the two quick calls never cost a reference timing
    assert 0.9 <= time.monotonic() - started < 4.0  # the hang got its whole second, not 0.3 s


def test_large_calls_and_answers_do_not_block_the_pipe(tmp_path):
    path = tmp_path / "echo.py"
    path.write_text("def f(x):\n    return x + 1\n")
    w = Worker(student_path=str(path), module_name="echo", functions=("f",))
    assert w.start().kind == "value"
    try:
        import torch

        big = torch.zeros(200_000)  # 800 kB each way, far beyond a pipe's buffer
        replies = w.pipeline(_frames([big] * 8), _limit(20.0))
        assert [r.kind for r in replies] == ["value"] * 8
        assert all(float(r.value.sum()) == 200_000.0 for r in replies)
    finally:
        w.stop()


def _student(worker, limit_s=5.0):
    from grader.checks.student import CallLog, Student

    return Student(worker, ("f",), CallLog(deadline=time.monotonic() + 30.0))


def test_replies_are_read_as_the_body_asks_for_them(worker):
    """The body's work on one reply overlaps the worker's on the next: nothing is read
    before it is asked for, and what is left is read when the body is done."""
    from grader.checks.student import RecordedCall, call_frames

    student = _student(worker)
    assert student.prefetch(call_frames([RecordedCall("f", (v,), {}) for v in (0, 1, 2, 4, 6, 8)]))  # 3, 5 crash
    pipeline = student._sink._pipeline
    assert student.f(0) == 0 and student.f(1) == 2
    assert pipeline.position == 2 and not pipeline.ended
    student.settle()
    assert pipeline.position == 6 and pipeline.ended
    assert worker.call("f", [21], {}, 5.0).value == 42  # the worker is free: no reply left over


def test_a_call_not_sent_ahead_waits_for_the_replies_before_it(worker):
    """A call the recording did not hold (the body took another path) goes to the worker live,
    after the replies on their way, so no reply is ever taken for another call's."""
    from grader.checks.student import RecordedCall, call_frames

    student = _student(worker)
    assert student.prefetch(call_frames([RecordedCall("f", (v,), {}) for v in (0, 1, 2)]))
    assert student.f(7) == 14
    assert student._sink._pipeline.ended
    assert [student.f(v) for v in (2, 1, 0)] == [4, 2, 0]  # answered from the replies read


def test_a_slow_body_does_not_cost_a_quick_call_its_limit(worker):
    """A call's clock starts when the reply before it was read: the grader's own time between
    two replies is never counted against the student."""
    from grader.checks.student import RecordedCall, call_frames

    frames = call_frames([RecordedCall("f", (v,), {}) for v in (0, 1, 2)])
    pipeline = worker.start_pipeline([frame for _, frame in frames], _limit(0.3))
    values = []
    for _ in range(3):
        time.sleep(0.5)  # longer than each call's limit
        values.append(pipeline.next().value)
    assert values == [0, 2, 4] and pipeline.next() is None


def _as_json(result) -> str:
    data = dataclasses.asdict(result)
    for key in ("graded_at", "elapsed_s"):
        data.pop(key)
    for a in data["assignments"]:
        a.pop("elapsed_s", None)
        for t in a["tests"]:
            t.pop("elapsed_s")
    return json.dumps(data, sort_keys=True, default=str)


def test_a_replayed_crash_gives_the_counterexample_of_a_search(course, tmp_path, monkeypatch):
    """A box_area that crashes on three boxes: replayed (pipelined) and searched from scratch,
    the same test errs with the same counterexample."""
    monkeypatch.setenv(use.CACHE_ENV, str(tmp_path / "cache"))
    source = (ROOT / "reference" / "iou" / "iou.py").read_text()
    crashing = source.replace("def box_area(boxes", "def _area(boxes", 1) + (
        "\n\ndef box_area(boxes):\n"
        "    if boxes.shape[0] == 3:\n"
        "        import ctypes\n"
        "        ctypes.string_at(0)\n"
        "    return _area(boxes)\n")
    submission = tmp_path / "crash"
    submission.mkdir()
    (submission / "iou.py").write_text(crashing)
    options = GradeOptions(only=("iou",), jobs=1, corpus=False)

    driver.forget_cases()
    searched = grade_submission(submission, course, options)
    crashed = [t for t in searched.assignments[0].tests if "crashed" in t.message]
    assert crashed and "boxes" in crashed[0].counterexample

    driver.forget_cases()
    grade_submission(ROOT / "reference" / "iou", course, options)  # the passing runs, with their calls
    assert any(driver.remembered_calls(k) for k in driver.remembered_cases("iou"))
    prefetched = []
    original = Worker.start_pipeline
    monkeypatch.setattr(Worker, "start_pipeline", lambda self, *a: prefetched.append(1) or original(self, *a))
    replayed = grade_submission(submission, course, options)
    assert prefetched
    assert _as_json(replayed) == _as_json(searched)
