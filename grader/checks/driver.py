"""Runs one test: hypothesis draws cases, the body checks the student, failures are captured.

Hypothesis is configured explicitly (examples, seed, no database, no deadline: the sandbox
keeps time). The driver records the calls of every failing example itself; after shrinking,
hypothesis replays the minimal failing example last, so the last record is the shrunk
counterexample. Outcomes where shrinking teaches nothing (timeout, dead worker, violation,
not implemented) end the test at once through :class:`AbortTest`.
"""

from __future__ import annotations

import builtins
import inspect
import time
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings
from hypothesis.errors import Flaky, HypothesisDeprecationWarning, HypothesisException, UnsatisfiedAssumption
from hypothesis.reporting import with_reporter

from grader.checks import reference_cache
from grader.checks.compare import Mismatch
from grader.checks.copying import fresh, to_device
from grader.checks.render import render_calls
from grader.checks.student import AbortTest, CallFrame, CallLog, RecordedCall, Student, StudentRaised, call_frames
from grader.spec.model import TestSpec


def _freeze_local_constants() -> None:
    """Make generation independent of which modules happen to be imported.

    Hypothesis mixes into generation constants harvested from every loaded module outside
    site-packages (the course's suites, an editable install of the grader, ...), so the same
    seed would draw different examples depending on what was imported before. Every student
    must face the same examples on every run, so the pool stays empty.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a hypothesis without the feature
        return
    if not hasattr(providers, "_get_local_constants"):
        return
    empty = providers.Constants() if hasattr(providers, "Constants") else None
    if empty is None:
        return
    providers._get_local_constants = lambda: empty
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None and hasattr(cache, "cache"):
        cache.cache.clear()


_freeze_local_constants()


@dataclass(frozen=True)
class TestOutcome:
    """What a test run found, before scoring. ``status`` is one of the SPEC's test statuses
    or ``not_implemented`` (scored as ``failed``)."""

    status: str
    message: str = ""
    counterexample: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    traceback: str = ""
    stdout: str = ""
    examples_run: int = 0


@dataclass
class _Failure:
    exc: BaseException
    calls: list[RecordedCall]
    case: Mapping[str, Any]


def _wants_device(body: Any) -> bool:
    try:
        return "device" in inspect.signature(body).parameters
    except (TypeError, ValueError):
        return False


# Cases a test drew in a run where every case passed, per grading process. With a fixed seed
# and no database, hypothesis draws exactly this sequence for any student who passes each
# case, so the next submission replays it without generating; at the first failing case the
# test runs through hypothesis from scratch, which reaches the same case and shrinks it.
# A case the body rejected with ``assume`` (a condition on the inputs alone, e.g. ReLU gates
# clear of 0) stays in the sequence: the replay rejects it again and goes on, as hypothesis did.
# Draws that depend on the student's answers (``st.data()`` inside a body) cannot be replayed:
# the drawn object is dead after its run, the replay fails on it and the search runs as today
# (and such a case is never written to the persisted corpus, whose encoder refuses it).
# :mod:`grader.corpus` persists this memo across processes.
MemoKey = tuple[str, int, int, str]  # (test key, seed, example budget, device)
_passing_cases: dict[MemoKey, list[dict[str, Any]]] = {}
# Keys of the reference answers each of those runs asked for (grader.checks.reference_cache).
_passing_answers: dict[MemoKey, set[bytes]] = {}
# The student calls those runs made, in order, as request frames (encoded once, when the
# calls were made): a replay sends them to the worker at once before the body runs
# (Student.prefetch), instead of one round trip each. None: a call the wire cannot carry.
_passing_calls: dict[MemoKey, list[CallFrame]] = {}


class _Made:
    """The frames of the calls a run makes, case by case; None once one cannot be encoded."""

    def __init__(self) -> None:
        self.frames: list[CallFrame] | None = []

    def add(self, calls: list[RecordedCall]) -> None:
        if self.frames is not None:
            more = call_frames(calls)
            if more is None:
                self.frames = None
            else:
                self.frames.extend(more)


def remembered_calls(key: MemoKey) -> list[CallFrame] | None:
    return _passing_calls.get(key)


def remembered_cases(assignment: str) -> dict[MemoKey, list[dict[str, Any]]]:
    """The passing sequences this process knows for ``assignment``'s tests (not copies)."""
    prefix = f"{assignment}::"
    return {k: v for k, v in _passing_cases.items() if k[0].startswith(prefix)}


def remember_cases(key: MemoKey, cases: list[dict[str, Any]], *, answers: set[bytes] = frozenset(),
                   calls: list[CallFrame] | None = None) -> None:
    """Add a passing sequence learned elsewhere (the corpus), the reference answers it needs
    and the calls it makes; one drawn here is kept."""
    if key not in _passing_cases:
        _passing_cases[key] = cases
        _passing_answers[key] = set(answers)
        if calls is not None:
            _passing_calls[key] = calls


def answer_keys(keys: list[MemoKey]) -> set[bytes]:
    """The reference answers the passing runs of ``keys`` asked for."""
    return set().union(*(_passing_answers.get(k, set()) for k in keys))


def forget_cases() -> None:
    """Empty the memo (a fresh grading process; tests comparing paths)."""
    _passing_cases.clear()
    _passing_answers.clear()
    _passing_calls.clear()


def _replay(test: TestSpec, student: Student, log: CallLog, cases: list[dict[str, Any]], device: str,
            pass_device: bool, module_name: str, memo_key: MemoKey) -> TestOutcome | None:
    """Run the remembered cases in order and say what came of them.

    All pass: ``passed``. An outcome that ends a test at once (timeout, crash, violation, not
    implemented) is final: hypothesis, run from scratch, would reach this same case first and
    stop there, so the outcome is built as the driver below builds it, with the case's calls
    as the counterexample. Any other failure needs shrinking: ``None``, run hypothesis.

    The calls the cases made when they last passed go to the worker first, in one pipelined
    round; the replies the body then asks for are answered from there (Student.prefetch).
    """
    known_calls = _passing_calls.get(memo_key)
    if known_calls is not None:
        student.prefetch(known_calls)
    try:
        return _replay_cases(test, student, log, cases, device, pass_device, module_name, memo_key,
                             record=known_calls is None)
    finally:
        student.settle()  # the worker is free again, for the search or the next test


def _replay_cases(test: TestSpec, student: Student, log: CallLog, cases: list[dict[str, Any]], device: str,
                  pass_device: bool, module_name: str, memo_key: MemoKey, *, record: bool) -> TestOutcome | None:
    made = _Made()
    for index, case in enumerate(cases):
        log.calls = []
        moved = to_device(fresh(case), device)
        kwargs = dict(moved, device=device) if pass_device else moved
        try:
            with warnings.catch_warnings():
                # ``assume`` outside hypothesis' own run is deprecated: it still rejects the case.
                warnings.simplefilter("ignore", HypothesisDeprecationWarning)
                test.body(student, **kwargs)
        except UnsatisfiedAssumption:
            continue  # rejected by the test's own condition on its inputs, as in the search
        except Exception:
            return None
        except AbortTest as abort:
            return _aborted(abort, _Failure(abort, list(log.calls), moved), module_name, log, index + 1)
        finally:
            if record:
                made.add(log.calls)
    if record and made.frames is not None:
        _passing_calls[memo_key] = made.frames
    return TestOutcome(status="passed", stdout="".join(log.stdout), examples_run=len(cases))


def run_test(test: TestSpec, student: Student, log: CallLog, *, module_name: str, seed_value: int,
             device: str = "cpu", max_examples: int | None = None) -> TestOutcome:
    """Run ``test`` against the student behind ``student``; never raises for a student fault."""
    pass_device = _wants_device(test.body)
    budget = max_examples or test.max_examples
    memo_key = (test.key, seed_value, budget, device)
    remembered = _passing_cases.get(memo_key)
    if remembered is not None:
        time_left = log.remaining_s()
        replayed = _replay(test, student, log, remembered, device, pass_device, module_name, memo_key)
        if replayed is not None:
            return replayed
        # The search from scratch gets the whole time budget, as it would without the replay:
        # a grade must not depend on which submission the grading process saw before.
        log.deadline = time.monotonic() + time_left
    log.stdout, log.stdout_chars, log.stdout_truncated = [], 0, False
    drawn: list[dict[str, Any]] = []
    made = _Made()
    failures: list[_Failure] = []
    counter = {"examples": 0}

    def one_case(case: Mapping[str, Any]) -> None:
        counter["examples"] += 1
        log.calls = []
        drawn.append(fresh(dict(case)))
        case = to_device(dict(case), device)
        kwargs = dict(case, device=device) if pass_device else case
        try:
            test.body(student, **kwargs)
        except UnsatisfiedAssumption:
            made.add(log.calls)
            raise  # hypothesis discards the case: not a failure, and the sequence still replays
        except Exception as exc:
            failures.append(_Failure(exc, list(log.calls), case))
            raise
        except AbortTest:
            failures.append(_Failure(AbortTest("", ""), list(log.calls), case))
            raise
        if not failures:
            made.add(log.calls)

    reference_cache.start_recording()
    try:
        if test.inputs is None:
            one_case({})
        else:
            runner = given(test.inputs)(one_case)
            for case in reversed(test.examples):
                runner = example(case)(runner)
            runner = settings(
                max_examples=budget,
                database=None,
                deadline=None,
                derandomize=False,
                print_blob=False,
                report_multiple_bugs=False,
                verbosity=Verbosity.quiet,
                suppress_health_check=list(HealthCheck),
                phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            )(runner)
            runner = seed(seed_value)(runner)
            with with_reporter(lambda *_: None):
                runner()
    except AbortTest as abort:
        return _aborted(abort, failures[-1] if failures else None, module_name, log, counter["examples"])
    except (Flaky, HypothesisException, Exception) as exc:
        return _failure_outcome(exc, failures, module_name, log, counter["examples"])
    finally:
        answers = reference_cache.stop_recording()
    if not failures:
        _passing_cases[memo_key] = drawn
        _passing_answers[memo_key] = answers
        if made.frames is not None:
            _passing_calls[memo_key] = made.frames
    return TestOutcome(status="passed", stdout="".join(log.stdout), examples_run=counter["examples"])


def _aborted(abort: AbortTest, last: _Failure | None, module_name: str, log: CallLog, examples: int) -> TestOutcome:
    """The outcome of a test ended at once; ``last`` is the case that ended it, with its calls."""
    return TestOutcome(
        status=abort.status,
        message=abort.message,
        counterexample="" if abort.status == "not_implemented" or last is None
        else render_calls(last.calls, module_name, last.case),
        traceback=abort.traceback,
        stdout="".join(log.stdout),
        examples_run=examples,
    )


# Hypothesis may raise an exception group (Python 3.11+) when a failure is flaky.
_EXCEPTION_GROUPS = tuple(g for g in (getattr(builtins, "BaseExceptionGroup", None),) if g is not None)


def _failure_outcome(exc: BaseException, failures: list[_Failure], module_name: str, log: CallLog,
                     examples: int) -> TestOutcome:
    if not failures:
        # Not raised by the body: the strategy or the suite itself is broken. Fail loudly.
        raise exc
    last = failures[-1]
    if isinstance(exc, (Flaky, HypothesisException, *_EXCEPTION_GROUPS)):
        note = " (the result changed when the same example was run again: is the code deterministic?)"
        exc_used, last = last.exc, failures[0]
    else:
        note, exc_used = "", exc
    counterexample = render_calls(last.calls, module_name, last.case)
    if isinstance(exc_used, StudentRaised):
        return TestOutcome("error", f"{exc_used.fn} raised {exc_used.message}{note}", counterexample,
                           traceback=exc_used.traceback, stdout="".join(log.stdout), examples_run=examples)
    if isinstance(exc_used, Mismatch):
        return TestOutcome("failed", exc_used.message + note, counterexample, details=exc_used.details,
                           stdout="".join(log.stdout), examples_run=examples)
    if isinstance(exc_used, AssertionError):
        message = str(exc_used) or "an assertion about the result failed"
        return TestOutcome("failed", message + note, counterexample, stdout="".join(log.stdout),
                           examples_run=examples)
    # Any other exception in the body: the student's result broke the check (e.g. a wrong type
    # indexed by the oracle). Report it as a failure with the grader-side line for context.
    where = traceback.extract_tb(exc_used.__traceback__)[-1:]
    context = f" (in the check at line {where[0].lineno})" if where else ""
    return TestOutcome("failed", f"the result could not be checked: {type(exc_used).__name__}: {exc_used}"
                       f"{context}{note}", counterexample, stdout="".join(log.stdout), examples_run=examples)
