"""The engine end to end on a tiny course: statuses, containment, determinism, counterexamples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.course import load_course
from grader.formats.grade_json import to_dict
from grader.grading import GradeOptions, grade_submission

COURSE_DIR = Path(__file__).parent / "engine_course"
REFERENCE = (COURSE_DIR / "reference" / "toy" / "toy.py").read_text()
FAST = GradeOptions(test_timeout_s=3.0, import_timeout_s=5.0)


@pytest.fixture(scope="module")
def toy_course():
    return load_course(COURSE_DIR)


def grade_source(course, make_submission, source: str, options: GradeOptions = FAST):
    folder = make_submission({"toy.py": source})
    result = grade_submission(folder, course, options)
    (assignment,) = result.assignments
    return assignment, {t.name: t for t in assignment.tests}


def with_function(body: str) -> str:
    """The reference with one function replaced (the last definition wins)."""
    return REFERENCE + "\n\n" + body + "\n"


def test_reference_scores_full_marks(toy_course, make_submission):
    assignment, tests = grade_source(toy_course, make_submission, REFERENCE)
    assert assignment.status == "graded"
    assert assignment.score == assignment.max_score == 12.5
    assert all(t.status == "passed" for t in tests.values())
    assert {t.visibility for t in tests.values()} == {"visible", "hidden"}


def test_stub_scores_zero_quietly(toy_course, make_submission):
    stub = (COURSE_DIR / "assignments" / "toy" / "toy.py").read_text()
    assignment, tests = grade_source(toy_course, make_submission, stub)
    assert assignment.score == 0
    for t in tests.values():
        assert t.status == "failed" and not t.is_implemented
        assert t.message.endswith("is not implemented yet")
        assert t.counterexample == "" and t.traceback == ""


def test_bug_is_reported_with_shrunk_runnable_counterexample(toy_course, make_submission):
    buggy = with_function("def relu_backward(dout, z):\n    return dout * (z >= 0).to(dout.dtype)")
    assignment, tests = grade_source(toy_course, make_submission, buggy)
    t = tests["relu_backward: ReLU'(0) = 0"]
    assert t.status == "failed" and t.score == 0
    assert "1 of 1 elements differ" in t.message and "got 1.0, expected 0.0" in t.message
    assert "z = torch.tensor([[0.0]], dtype=torch.float64)" in t.counterexample
    assert t.hint == "ReLU'(0) is 0 by convention."
    assert t.details["worst_abs"]["index"] == [0, 0]
    # The snippet runs against the buggy file and reproduces the wrong value.
    scope: dict = {}
    folder = Path(assignment.file).parent
    exec_globals = {"__name__": "snippet"}
    import sys

    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop("toy", None)
        code = t.counterexample.replace("relu_backward(arg0, z)", "out = relu_backward(arg0, z)")
        exec(code, exec_globals, scope)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("toy", None)
    assert scope["out"].tolist() == [[1.0]]
    # Other tests still pass.
    assert tests["scale doubles"].status == "passed"


def test_counterexample_of_a_raise_is_an_error_with_trimmed_traceback(toy_course, make_submission):
    buggy = with_function("def scale(x):\n    if x.numel() > 2:\n        raise IndexError('too long')\n"
                          "    return 2 * x")
    _, tests = grade_source(toy_course, make_submission, buggy)
    t = tests["scale doubles"]
    assert t.status == "error"
    assert "IndexError: too long" in t.message
    assert "toy.py" in t.traceback and "grader" not in t.traceback
    assert "torch.tensor([0.0, 0.0, 0.0]" in t.counterexample  # shrunk to the smallest failing size


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("def scale(x):\n    while True:\n        pass", "timeout", "did not return in time"),
        ("def scale(x):\n    import ctypes\n    ctypes.string_at(0)", "error", "SIGSEGV"),
        ("def scale(x):\n    import os\n    os._exit(7)", "error", "exited with status 7"),
        ("def scale(x):\n    return bytearray(50 * 2**30)", "error", "MemoryError"),
        ("def scale(x):\n    import sys\n    sys.exit(0)", "error", "SystemExit"),
        ("def scale(x):\n    raise KeyboardInterrupt", "error", "KeyboardInterrupt"),
        ("def scale(x):\n    return scale(x)", "error", "RecursionError"),
        ("def scale(x):\n    import torch\n    z = torch.ones(1, requires_grad=True)\n    (z * 2).sum().backward()\n"
         "    return 2 * x", "violation", "torch.Tensor.backward"),
    ],
    ids=["infinite-loop", "segfault", "os-exit", "memory-bomb", "sys-exit", "keyboard-interrupt", "recursion",
         "autograd"],
)
def test_a_crash_costs_only_its_test(toy_course, make_submission, body, status, words):
    assignment, tests = grade_source(toy_course, make_submission, with_function(body))
    t = tests["scale doubles"]
    assert t.status == status and t.score == 0
    assert words in t.message
    others = [x for name, x in tests.items() if name != "scale doubles"]
    assert all(x.status == "passed" for x in others), [(x.name, x.status, x.message) for x in others]
    assert assignment.score == pytest.approx(assignment.max_score - t.max_score)


@pytest.mark.parametrize(
    ("source", "status", "test_status", "words"),
    [
        ("import nosuchmodule\n", "error", "error", "ModuleNotFoundError: No module named 'nosuchmodule'"),
        ("def f(:\n", "error", "error", "SyntaxError"),
        ("while True:\n    pass\n", "error", "timeout", "took longer than"),
        ("import os\nos._exit(1)\n", "error", "error", "exited with status 1"),
    ],
    ids=["import-error", "syntax-error", "import-hangs", "import-exits"],
)
def test_a_broken_import_is_a_graded_error(toy_course, make_submission, source, status, test_status, words):
    assignment, tests = grade_source(toy_course, make_submission, source, GradeOptions(import_timeout_s=2.0))
    assert assignment.status == status and assignment.score == 0
    assert words in assignment.message
    assert all(t.status == test_status and t.message == assignment.message for t in tests.values())


def test_missing_file_and_nested_folder(toy_course, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (assignment,) = grade_submission(empty, toy_course, FAST).assignments
    assert assignment.status == "missing" and assignment.score == 0
    assert "toy.py was not submitted" in assignment.message
    nested = tmp_path / "zip-export" / "student-folder"
    nested.mkdir(parents=True)
    (nested / "toy.py").write_text(REFERENCE)
    (assignment,) = grade_submission(tmp_path / "zip-export", toy_course, FAST).assignments
    assert assignment.status == "graded" and assignment.score == assignment.max_score


def test_output_is_captured_and_truncated(toy_course, make_submission):
    noisy = with_function("def scale(x):\n    print('x' * 100000)\n    return 3 * x")
    _, tests = grade_source(toy_course, make_submission, noisy)
    t = tests["scale doubles"]
    assert t.status == "failed"
    assert 0 < len(t.stdout) <= 9000 and "more output dropped" in t.stdout


def test_results_are_identical_across_three_runs(toy_course, make_submission):
    buggy = with_function("def relu_backward(dout, z):\n    return dout * (z > 0.5).to(dout.dtype)")
    folder = make_submission({"toy.py": buggy})
    runs = []
    for _ in range(3):
        # The default (generous) time budget: a budget that runs out mid-shrink on a loaded
        # machine would make the counterexample depend on speed.
        data = to_dict(grade_submission(folder, toy_course, GradeOptions()))
        for a in data["assignments"]:
            a.pop("elapsed_s")
            for t in a["tests"]:
                t.pop("elapsed_s")
        for key in ("graded_at", "elapsed_s"):
            data.pop(key)
        runs.append(json.dumps(data, sort_keys=True))
    assert runs[0] == runs[1] == runs[2]


def test_visible_only_runs_no_hidden_test(toy_course, make_submission):
    folder = make_submission({"toy.py": REFERENCE})
    result = grade_submission(folder, toy_course, GradeOptions(visible_only=True))
    (assignment,) = result.assignments
    assert result.mode == "check"
    assert {t.visibility for t in assignment.tests} == {"visible"}
    assert assignment.score == assignment.max_score == 12.5


def test_replayed_cases_give_the_same_results_as_a_fresh_search(toy_course, make_submission):
    """The second submission of a process replays the first's passing cases; a failure found
    on replay is re-searched from scratch, so grades and counterexamples do not depend on order."""
    from grader.checks import driver

    buggy_source = with_function("def relu_backward(dout, z):\n    return dout * (z > 0.5).to(dout.dtype)")
    driver._passing_cases.clear()
    _, fresh_buggy = grade_source(toy_course, make_submission, buggy_source)
    assert driver._passing_cases  # the tests the buggy file passed were remembered
    _, reference_after = grade_source(toy_course, make_submission, REFERENCE)
    _, buggy_after = grade_source(toy_course, make_submission, buggy_source)
    driver._passing_cases.clear()
    _, reference_fresh = grade_source(toy_course, make_submission, REFERENCE)
    for name, t in fresh_buggy.items():
        assert (buggy_after[name].status, buggy_after[name].message, buggy_after[name].counterexample) == \
            (t.status, t.message, t.counterexample)
    assert all(reference_after[n].status == reference_fresh[n].status == "passed" for n in reference_fresh)
    assert fresh_buggy["relu_backward: ReLU'(0) = 0"].status == "failed"


@pytest.mark.parametrize(
    "body",
    ["def scale(x):\n    while True:\n        pass",
     "def scale(x):\n    import ctypes\n    ctypes.string_at(0)",
     "def scale(x):\n    import os\n    os._exit(7)",
     "def scale(x):\n    import torch\n    z = torch.ones(1, requires_grad=True)\n    (z * 2).sum().backward()\n"
     "    return 2 * x",
     "def scale(x):\n    raise NotImplementedError"],
    ids=["infinite-loop", "segfault", "os-exit", "autograd", "not-implemented"],
)
def test_an_outcome_that_ends_a_test_is_the_same_on_replay(toy_course, make_submission, body):
    """A crash, timeout, violation or stub met while replaying another submission's passing
    cases gives what a fresh search gives: same status, message and counterexample."""
    import re

    from grader.checks import driver

    def seen(tests):  # the time left in a timeout message varies from run to run
        return {n: (t.status, re.sub(r"[\d.]+ s\b", "N s", t.message), t.counterexample, t.score)
                for n, t in tests.items()}

    source = with_function(body)
    driver._passing_cases.clear()
    _, fresh = grade_source(toy_course, make_submission, source)
    grade_source(toy_course, make_submission, REFERENCE)  # every test's cases remembered
    assert driver._passing_cases
    _, replayed = grade_source(toy_course, make_submission, source)
    assert seen(replayed) == seen(fresh)
    assert fresh["scale doubles"].status != "passed"
