"""Grading one submission: every assignment, every test, each in a sandboxed worker.

One worker per assignment imports the student's file once and serves all its tests; when a
test kills it (a crash, a timeout), a fresh one is forked for the next test, so a fault costs
that test only. Nothing a submission does raises out of here.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from grader import __version__
from grader.assignment_pool import grade_in_parallel, usable_jobs
from grader.checks.driver import TestOutcome, run_test
from grader.checks.student import CallLog, Student
from grader.checks.time_budget import CallBudget, TimeLimits, assignment_reference, import_cpu_message
from grader.corpus import use as corpus_use
from grader.course import Course
from grader.notebooks import NotebookSettings, grade_notebook
from grader.results import AssignmentResult, SubmissionResult
from grader.sandbox import cuda
from grader.sandbox.limits import Limits
from grader.sandbox.process import Reply, Worker
from grader.sandbox.protections import sandbox_warnings
from grader.scoring import not_graded, score_assignment
from grader.spec.model import AssignmentSpec, TestSpec, seed_for_test
from grader.submission import locate_files, missing_message
from grader.untrusted import clean_name, clean_strings, clean_text

ProgressFn = Callable[[str, str], None]  # (assignment id, test name) after each test


@dataclass(frozen=True)
class GradeOptions:
    """How to grade (keyword-only).

    | option                | meaning                                              | default |
    |-----------------------|------------------------------------------------------|---------|
    | only                  | assignment ids to grade (empty: all)                 | ()      |
    | visible_only          | visible tests only (``grader check``)                 | False   |
    | device                | ``cpu`` or ``cuda``                                  | cpu     |
    | test_timeout_s        | wall clock for one test, all its examples            | 30      |
    | import_timeout_s      | wall clock to import a student file                  | 20      |
    | submission_timeout_s  | wall clock for the whole submission                  | 900     |
    | limits                | per-worker resource limits                           | Limits()|
    | max_examples          | examples per test (None: each test's own)            | None    |
    | jobs                  | assignments graded at once, one process each         | 1       |
    | time_limits           | per-call and import limits (None: course.toml's)     | None    |
    | corpus                | replay persisted cases (``grader.corpus``)           | True    |
    """

    only: tuple[str, ...] = ()
    visible_only: bool = False
    device: str = "cpu"
    test_timeout_s: float = 30.0
    import_timeout_s: float = 20.0
    submission_timeout_s: float = 900.0
    limits: Limits = field(default_factory=Limits)
    max_examples: int | None = None
    jobs: int = 1
    notebooks: NotebookSettings | None = None  # None: the course's [notebooks] settings
    time_limits: TimeLimits | None = None  # None: the course's [time_limits] settings
    corpus: bool = True  # False (--no-corpus): draw every test's cases, read and write no corpus


def _import_failure(spec: AssignmentSpec, reply: Reply, file: str, import_timeout_s: float,
                    import_cpu_s: float = 0.0) -> AssignmentResult:
    if reply.violations:
        # The source scan names where the student's code refers to the name; the worker's
        # tracer (a forbidden call made while importing) has only the names.
        names = ", ".join(sorted(set(reply.violations)))
        found = reply.message or f"importing {spec.student_file} called {names}"
        return not_graded(spec, status="error", test_status="violation", file=file,
                          message=f"{found}, which this assignment forbids; no test of {spec.id} was run")
    if reply.kind == "timeout":
        return not_graded(spec, status="error", test_status="timeout", file=file,
                          message=f"importing {spec.student_file} took longer than {import_timeout_s:g} s")
    cpu_limited = (reply.kind == "raised" and reply.error is not None and reply.error.type_name == "ImportCPUTimeLimit"
                   or reply.kind == "crashed" and "SIGXCPU" in reply.message)
    if cpu_limited:
        failed = not_graded(spec, status="error", test_status="timeout", file=file,
                            message=import_cpu_message(spec.student_file, import_cpu_s,
                                                       reply.error.traceback if reply.error else ""))
        if reply.error is not None:
            failed = replace(failed, tests=tuple(replace(t, traceback=reply.error.traceback) for t in failed.tests))
        return failed
    if reply.kind == "raised" and reply.error is not None:
        failed = not_graded(spec, status="error", test_status="error", file=file, message=reply.error.message)
        # Where the import failed (the student's frames only); a notebook's names the cell.
        return replace(failed, tests=tuple(replace(t, traceback=reply.error.traceback) for t in failed.tests))
    return not_graded(spec, status="error", test_status="error", file=file,
                      message=f"importing {spec.student_file} failed: {reply.message}")


def _charge_failed_import(spec: AssignmentSpec, failed: AssignmentResult, charged: dict[str, str]) -> AssignmentResult:
    """An import that failed in a file whose functions also refer to a forbidden name: the
    scan's finding comes first (tampering such as ``importlib.reload(torch.autograd)`` may be
    what broke the import), the tests of those functions are violations, the others errors."""
    reasons = "; ".join(charged[fn] for fn in spec.functions if fn in charged)
    finding = f"{spec.student_file} refers to {reasons}, which this assignment forbids"
    tests = tuple(replace(t, status="violation", message=f"{finding}; no test of {spec.id} was run")
                  if any(fn in charged for fn in t.functions) else t for t in failed.tests)
    return replace(failed, tests=tests,
                   message=f"{finding}; and {failed.message[0].lower()}{failed.message[1:]}; "
                           f"no test of {spec.id} was run")


def grade_assignment(spec: AssignmentSpec, student_file: Path | None, *, seed: int, options: GradeOptions,
                     deadline: float, progress: ProgressFn | None = None) -> AssignmentResult:
    """Grade one assignment; a failure of the grader itself becomes that assignment's result."""
    try:
        return _grade_assignment(spec, student_file, seed=seed, options=options, deadline=deadline,
                                 progress=progress)
    except Exception as exc:  # noqa: BLE001 - one assignment's grader fault must not cost the others
        return grader_failure(spec, f"{type(exc).__name__}: {exc}", file=str(student_file or ""))


def grader_failure(spec: AssignmentSpec, detail: str, *, file: str = "") -> AssignmentResult:
    """The result of an assignment the grader failed on: every test at 0, the fault named."""
    detail = clean_text(detail, limit=2000)
    result = not_graded(spec, status="error", test_status="error", file=file,
                        message=f"the grader failed on this assignment (not the submission's fault; "
                                f"an instructor will look): {detail}")
    return replace(result, grader_error=detail)


def _grade_assignment(spec: AssignmentSpec, student_file: Path | None, *, seed: int, options: GradeOptions,
                      deadline: float, progress: ProgressFn | None = None) -> AssignmentResult:
    if student_file is None:
        return not_graded(spec, status="missing", test_status="failed",
                          message=f"{spec.student_file} was not submitted")
    if student_file.suffix == ".ipynb":
        return grade_notebook(
            student_file, spec.student_file, options.notebooks,
            lambda module: _grade_assignment(spec, module, seed=seed, options=options, deadline=deadline,
                                             progress=progress),
            lambda message: not_graded(spec, status="error", test_status="error", file=str(student_file),
                                       message=message))
    started = time.monotonic()
    time_limits = options.time_limits or TimeLimits()
    worker = Worker(
        student_path=str(student_file),
        module_name=Path(spec.student_file).stem,
        device=options.device,
        limits=options.limits,
        forbidden_calls=spec.forbidden_calls,
        public_dir=spec.public_dir,
        functions=spec.functions,
        import_timeout_s=options.import_timeout_s,
        import_cpu_s=time_limits.import_cpu_s,
    )
    first = worker.start()
    if first.kind != "value" or first.violations:
        worker.stop()
        failed = _import_failure(spec, first, str(student_file), options.import_timeout_s, time_limits.import_cpu_s)
        return _charge_failed_import(spec, failed, worker.charged) if worker.charged else failed
    outcomes: dict[str, TestOutcome] = {}
    elapsed: dict[str, float] = {}
    # Shared by the assignment's tests: a function that ran out of time in one test is given
    # no second full limit in the next (grader.checks.time_budget).
    calls = CallBudget(time_limits, assignment_reference(spec.public_dir, spec.id, spec.student_file))
    if options.corpus:
        _corpus_step(corpus_use.prepare, spec, seed, options.device)
    try:
        for test in spec.tests:
            t0 = time.monotonic()
            outcomes[test.name] = _run_one(spec, test, worker, seed=seed, options=options, deadline=deadline,
                                           calls=calls)
            elapsed[test.name] = time.monotonic() - t0
            if progress is not None:
                progress(spec.id, test.name)
    finally:
        worker.stop()
    if options.corpus:
        _corpus_step(corpus_use.learn, spec, seed, options.device)
    return score_assignment(spec, outcomes, file=str(student_file), elapsed=elapsed,
                            elapsed_s=time.monotonic() - started)


def _corpus_step(step: Callable[..., object], spec: AssignmentSpec, seed: int, device: str) -> None:
    """Load or store the corpus; a fault there costs speed only, never a grade."""
    try:
        step(spec, seed=seed, device=device)
    except Exception as exc:  # noqa: BLE001 - the search without a corpus gives the same verdicts
        corpus_use.note(f"the corpus of {spec.id} was not used ({type(exc).__name__}: {exc})")


def _run_one(spec: AssignmentSpec, test: TestSpec, worker: Worker, *, seed: int, options: GradeOptions,
             deadline: float, calls: CallBudget | None = None) -> TestOutcome:
    now = time.monotonic()
    if now >= deadline:
        return TestOutcome("timeout", "the submission's time budget ran out before this test")
    if not worker.alive:
        restarted = worker.start()
        if restarted.kind != "value":
            return TestOutcome("error", f"the worker could not be restarted after an earlier crash: "
                               f"{restarted.message or (restarted.error.message if restarted.error else '')}")
    charged = [fn for fn in test.functions if fn in worker.charged]
    if charged:
        reasons = "; ".join(worker.charged[fn] for fn in charged)
        return TestOutcome("violation", f"{spec.student_file} refers to {reasons}, which this assignment forbids; "
                           f"every test that calls {', '.join(charged)} scores 0, the other functions are graded")
    budget = min(test.timeout_s or options.test_timeout_s, deadline - now)
    log = CallLog(deadline=now + budget)
    # On the CPU, meta-safe functions are also checked on the meta device; on a GPU the real
    # device shows the same bugs (grader.checks.device).
    student = Student(worker, spec.functions, log, meta_safe=spec.meta_safe if options.device == "cpu" else (),
                      budget=calls)
    return run_test(test, student, log, module_name=Path(spec.student_file).stem,
                    seed_value=seed_for_test(seed, test), device=options.device, max_examples=options.max_examples)


def grade_submission(path: str | Path, course: Course, options: GradeOptions | None = None, *,
                     submission_id: str | None = None, progress: ProgressFn | None = None) -> SubmissionResult:
    """Grade every selected assignment of the submission at ``path``."""
    options = options or GradeOptions()
    cuda.require(options.device)  # a missing GPU stops grading; TF32 off for the oracles too
    # One intra-op thread: the oracles work on tiny tensors, where a thread pool only adds
    # contention, and batch grading runs one grading process per core already.
    torch.set_num_threads(1)
    started = time.monotonic()
    deadline = started + options.submission_timeout_s
    # --only picks from every assignment offered, so one not yet in [course] assignments can be tried
    specs = list(course.pick(options.only))
    if options.visible_only:
        specs = [a.only_visible() for a in specs]
    if options.notebooks is None:
        options = replace(options, notebooks=getattr(course.config, "notebooks", None) or NotebookSettings())
    if options.time_limits is None:
        options = replace(options, time_limits=getattr(course.config, "time_limits", None) or TimeLimits())
    files = locate_files(Path(path), [a.student_file for a in specs],
                         functions={a.student_file: a.functions for a in specs},
                         notebook_files=dict(options.notebooks.files), max_notebook_mb=options.notebooks.max_mb)
    submitted = [spec for spec in specs if files[spec.student_file] is not None]
    jobs = usable_jobs(options.jobs, len(submitted))
    if jobs > 1:
        def grade_one(spec: AssignmentSpec, file: Path | None) -> AssignmentResult:
            return grade_assignment(spec, file, seed=course.seed, options=options, deadline=deadline)

        parallel = dict(zip((s.id for s in submitted), grade_in_parallel(
            submitted, [files[s.student_file] for s in submitted], grade_one, jobs=jobs, progress=progress)))
    else:
        parallel = {}
    results = tuple(
        parallel[spec.id] if spec.id in parallel
        else not_graded(spec, status="missing", test_status="failed",
                        message=missing_message(Path(path), spec.student_file))
        if files[spec.student_file] is None
        else grade_assignment(spec, files[spec.student_file], seed=course.seed, options=options,
                              deadline=deadline, progress=progress)
        for spec in specs
    )
    result = SubmissionResult(
        submission=clean_name(submission_id or str(path)),
        score=round(sum(a.score for a in results), 6),
        max_score=round(sum(a.max_score for a in results), 6),
        assignments=results,
        grader_version=__version__,
        seed=course.seed,
        device=options.device,
        mode="check" if options.visible_only else "grade",
        graded_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        elapsed_s=round(time.monotonic() - started, 3),
        warnings=sandbox_warnings(),
    )
    # The last pass of the untrusted-text boundary: whatever a suite's message quoted from the
    # student, every output receives clean text.
    return clean_strings(result)
