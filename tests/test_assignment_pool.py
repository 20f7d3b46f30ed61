"""One submission's assignments graded side by side give exactly what grading them in turn gives."""

from __future__ import annotations

import os

from paths import ROOT

from grader import assignment_pool
from grader.checks import driver
from grader.formats.grade_json import to_dict
from grader.grading import GradeOptions, grade_submission

FIXTURES = ROOT / "tests" / "fixtures"
ONLY = ("conv_shapes", "iou", "gan_loss")


def _submission(make_submission):
    return make_submission({
        "conv_shapes.py": (FIXTURES / "conv_shapes" / "buggy_ceil_instead_of_floor.py").read_text(),
        "iou.py": sorted((FIXTURES / "iou").glob("correct_*.py"))[0].read_text(),
        "gan_loss.py": "import ctypes\n\ndef __getattr__(name):\n    ctypes.string_at(0)\n",
    })


def _comparable(result) -> dict:
    data = to_dict(result)
    for key in ("graded_at", "elapsed_s"):
        data.pop(key)
    for a in data["assignments"]:
        a.pop("elapsed_s", None)
        for t in a["tests"]:
            t.pop("elapsed_s", None)
    return data


def grade(folder, course, jobs: int):
    driver._passing_cases.clear()  # each run searches from scratch, as a fresh process would
    return grade_submission(folder, course, GradeOptions(only=ONLY, jobs=jobs, max_examples=8))


def test_parallel_grading_equals_serial_grading(course, make_submission, monkeypatch) -> None:
    from grader import grading

    folder = _submission(make_submission)
    serial = grade(folder, course, jobs=1)
    parent, graded_here = os.getpid(), []
    real = grading.grade_assignment

    def counted(spec, *args, **kwargs):
        if os.getpid() == parent:
            graded_here.append(spec.id)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(grading, "grade_assignment", counted)
    parallel = grade(folder, course, jobs=3)
    assert graded_here == []  # all three were graded in the pool, none fell back to this process
    assert _comparable(parallel) == _comparable(serial)
    scores = {a.id: (a.score, a.max_score) for a in parallel.assignments}
    assert scores["iou"][0] == scores["iou"][1] and scores["conv_shapes"][0] < scores["conv_shapes"][1]
    assert scores["gan_loss"][0] == 0
    assert [a.id for a in parallel.assignments] == [a.id for a in serial.assignments]


def test_progress_is_reported_for_every_test(course, make_submission) -> None:
    seen: list[tuple[str, str]] = []
    result = grade_submission(_submission(make_submission), course,
                              GradeOptions(only=ONLY, jobs=2, max_examples=4),
                              progress=lambda a, t: seen.append((a, t)))
    assert sorted(seen) == sorted((a.id, t.name) for a in result.assignments for t in a.tests)


def test_an_assignment_whose_grading_process_dies_is_graded_here(course, make_submission, monkeypatch) -> None:
    folder = _submission(make_submission)
    serial = grade(folder, course, jobs=1)
    parent = os.getpid()
    real = assignment_pool._grade_one

    def dies_in_the_child(index: int):
        if os.getpid() != parent:
            os._exit(3)  # as if killed: the whole pool breaks
        return real(index)

    monkeypatch.setattr(assignment_pool, "_grade_one", dies_in_the_child)  # the forked children inherit it
    assert _comparable(grade(folder, course, jobs=3)) == _comparable(serial)


def test_jobs_fall_back_to_one_where_forking_is_not_safe(monkeypatch) -> None:
    assert assignment_pool.usable_jobs(4, 1) == 1
    monkeypatch.setattr(assignment_pool.sys, "platform", "darwin")
    assert assignment_pool.usable_jobs(4, 8) == 1
