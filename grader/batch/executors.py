"""Where submissions are graded: local processes (default) or a Dask cluster.

Both run :func:`grade_entry` on plain task dicts and hand back grade-JSON dicts; the batch
process alone writes the database. Local grading processes are forked from the fork server
that imported torch once; each grading process keeps its own server for its sandbox workers,
as does each Dask worker.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from grader import faults
from grader.errors import GraderError

_courses: dict[tuple[str, bool], Any] = {}  # per grading process: the course, loaded once


def grade_entry(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission (runs in a grading process); returns its grade JSON as a dict."""
    from grader.course import load_course
    from grader.formats.grade_json import to_dict
    from grader.grading import GradeOptions, grade_submission
    from grader.sandbox.limits import Limits

    faults.checkpoint(f"grade.{task['entry']}")
    key = (task["course_root"], task["include_hidden"])
    if key not in _courses:
        _courses[key] = load_course(task["course_root"], include_hidden=task["include_hidden"])
    options = dict(task["options"])
    options["limits"] = Limits(**options.get("limits", {}))
    options["only"] = tuple(options.get("only", ()))
    result = grade_submission(task["path"], _courses[key], GradeOptions(**options), submission_id=task["entry"])
    return to_dict(result)


Outcome = tuple[dict[str, Any], dict[str, Any] | None, str]  # (task, grade JSON or None, error text)


def run_local(tasks: list[dict[str, Any]], jobs: int) -> Iterator[Outcome]:
    """Grade ``tasks`` in ``jobs`` processes, yielding each as it completes.

    A grading process that dies (killed, out of memory: the sandbox should make that
    impossible for a submission, but a batch must survive it) breaks the whole pool, and
    every task in flight with it. At most ``jobs`` tasks are in flight, so only those are
    suspects: each is graded again alone in a fresh process, and one that kills that too is
    reported as a grader failure for its entry only. The queue goes on in a new pool.
    """
    if not tasks:
        return
    from grader.sandbox.process import fork_context

    jobs = max(1, min(jobs, len(tasks)))
    queue = deque(tasks)
    suspects: list[dict[str, Any]] = []
    while queue:
        yield from _drain(ProcessPoolExecutor(max_workers=jobs, mp_context=fork_context()), queue, jobs, suspects)
    for task in suspects:
        alone: list[dict[str, Any]] = []
        yield from _drain(ProcessPoolExecutor(max_workers=1, mp_context=fork_context()), deque([task]), 1, alone)
        for lost in alone:
            yield lost, None, "its grading process died twice (killed or out of memory), the second time alone"


def _drain(pool: ProcessPoolExecutor, queue: deque[dict[str, Any]], jobs: int,
           suspects: list[dict[str, Any]]) -> Iterator[Outcome]:
    """Run ``queue`` in ``pool`` with at most ``jobs`` in flight until it is empty or the pool
    breaks (then the tasks in flight go to ``suspects``)."""
    in_flight: dict[Future, dict[str, Any]] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < jobs:
                task = queue.popleft()
                in_flight[pool.submit(grade_entry, task)] = task
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task = in_flight.pop(future)
                try:
                    yield task, future.result(), ""
                except BrokenProcessPool:
                    suspects.append(task)
                    broken = True
                except Exception as exc:  # the grader failed on this entry: say so, go on
                    yield task, None, f"{type(exc).__name__}: {exc}"
            if broken:
                suspects.extend(in_flight.values())
                in_flight.clear()
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_dask(tasks: list[dict[str, Any]], scheduler: str | None) -> Iterator[Outcome]:
    """Grade ``tasks`` on the Dask cluster at ``scheduler``."""
    if not tasks:
        return
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise GraderError("--executor dask needs the 'distributed' package: pip install 'dask[distributed]'") from exc
    if not scheduler:
        raise GraderError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    try:
        client = Client(scheduler, timeout="30s")
    except OSError as exc:
        raise GraderError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        futures = {client.submit(grade_entry, task, pure=False, key=f"grade-{task['entry']}-{os.getpid()}"): task
                   for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task, future.result(), ""
            except Exception as exc:  # a grader fault on the worker: reported, the batch goes on
                yield task, None, f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
