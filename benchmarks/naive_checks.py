"""The naive grader many courses use, for the benchmark: one fresh Python process per
submission, pytest running the *same* checks with the student's code imported in-process.

No sandbox, no fork server, no reference cache: each process pays for ``import torch``,
loading the course, and the reference on every input. A per-test SIGALRM stands in for the
usual pytest-timeout plugin, so an infinite loop costs the same time budget as in the grader.

    python -m pytest -q benchmarks/naive_checks.py --submission DIR
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path

import pytest

from grader.checks.driver import run_test
from grader.checks.student import CallLog, Student
from grader.course import load_course
from grader.grading import seed_for_test
from grader.sandbox.process import Reply, StudentError

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT)
TEST_TIMEOUT_S = 30


class InProcess:
    """Calls the student's module directly (what in-process graders do)."""

    def __init__(self, module) -> None:
        self.module = module

    def call(self, fn, args, kwargs, timeout_s):
        from grader.checks.built import BuildSpec

        args = [a.build() if isinstance(a, BuildSpec) else a for a in args]
        try:
            return Reply(kind="value", value=getattr(self.module, fn)(*args, **kwargs))
        except Exception as exc:
            names = tuple(c.__name__ for c in type(exc).__mro__)
            error = StudentError(type(exc).__name__, names, f"{type(exc).__name__}: {exc}", "")
            return Reply(kind="raised", error=error)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def pytest_generate_tests(metafunc):
    cases = [(a, t) for a in COURSE.assignments for t in a.tests]
    metafunc.parametrize("case", cases, ids=[f"{a.id}::{t.name}" for a, t in cases])


_modules: dict = {}


def test_check(case, submission):
    assignment, test = case
    path = Path(submission) / assignment.student_file
    if not path.is_file():
        pytest.fail("missing")
    def alarm(*_):
        raise TimeoutError("test took too long")

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TEST_TIMEOUT_S)  # armed before the import too: an import can loop forever
    try:
        if assignment.id not in _modules:
            try:
                _modules[assignment.id] = _load(path)
            except BaseException as exc:  # imported once, as a test module's import would be
                _modules[assignment.id] = exc
        module = _modules[assignment.id]
        if isinstance(module, BaseException):
            pytest.fail(f"import failed: {module!r}")
        import time

        log = CallLog(deadline=time.monotonic() + TEST_TIMEOUT_S)
        outcome = run_test(test, Student(InProcess(module), assignment.functions, log), log,
                           module_name=path.stem, seed_value=seed_for_test(COURSE.seed, test))
    finally:
        signal.alarm(0)
    assert outcome.status == "passed", outcome.message
