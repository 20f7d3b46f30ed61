"""The assignments of one submission graded side by side, one grading process each.

A student's self-check or a platform's run grades a single submission whose assignments are
independent (each has its own worker, tests and seeds), so on a machine with several cores
they are graded in parallel. The grading processes are forked from this one: they inherit
the loaded course and the running fork server, so they start in milliseconds and their
sandbox workers come from the same server. Each hands back its result as grade-JSON data.

Batch grading parallelises across submissions instead and grades each one's assignments in
turn (``jobs=1``). Where a grading process fails (killed, out of memory, a grader bug), that
assignment is graded again here, so parallelism never costs a result.

This module knows how to run assignments side by side, not how to grade one: the caller
(:func:`grader.grading.grade_submission`) passes its grading function in, so the two modules
do not import each other.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.results import AssignmentResult
    from grader.spec.model import AssignmentSpec

# Grades one assignment: (spec, its student file) -> its result. Runs in the forked process.
GradeOne = Callable[["AssignmentSpec", "Path | None"], "AssignmentResult"]

# Set in the parent just before the pool forks; the children read it (fork copies memory).
_job: dict[str, Any] = {}


def default_jobs() -> int:
    """The cores this process may use: the default for commands that grade one submission."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def usable_jobs(requested: int, n_assignments: int) -> int:
    """How many grading processes to use: 1 where forking this process is not safe."""
    if sys.platform != "linux":  # macOS forks badly with system frameworks loaded; Windows cannot
        return 1
    from multiprocessing import forkserver

    if not hasattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid"):
        return 1  # another Python's multiprocessing: see _share_the_parents_fork_server
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        # A CUDA context does not survive fork: a forked grading process could not run its
        # oracles on the GPU (the workers are safe: they come from the CUDA-free fork server).
        return 1
    return max(1, min(requested, n_assignments))


def _share_the_parents_fork_server() -> None:
    """Let this forked grading process start workers from the server its parent started.

    The inherited client state names the parent's server, but its ``ensure_running`` checks
    the server with ``waitpid``, which fails here (the server is the parent's child, not ours).
    The parent keeps it running until the pool is done; if it died anyway, starting a worker
    fails and the parent grades the assignment itself.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) is not None:
        server.ensure_running = lambda: None


def _fresh_std_streams() -> None:
    """Give the grading process its own standard streams.

    The parent may run a progress bar or spinner in a thread; had that thread held the lock
    of ``sys.stdout`` at the fork, the child's first write or its exit-time flush would wait
    forever. Nothing a grading process writes is needed (its results come back as data).
    """
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def _grade_one(index: int) -> dict[str, Any]:
    """In a forked grading process: grade one assignment, return its result as data."""
    import torch

    _share_the_parents_fork_server()

    from grader.formats.grade_json import assignment_to_dict

    torch.set_num_threads(1)
    spec, file = _job["specs"][index], _job["files"][index]
    return assignment_to_dict(_job["grade_one"](spec, file))


def grade_in_parallel(specs: list[AssignmentSpec], files: list[Path | None], grade_one: GradeOne, *, jobs: int,
                      progress: Callable[[str, str], None] | None = None) -> tuple[AssignmentResult, ...]:
    """Grade ``specs`` (with their student ``files``) with ``grade_one`` in ``jobs`` forked
    processes; results in order."""
    from grader.formats.grade_json import assignment_from_dict
    from grader.sandbox.process import fork_context

    # Start the fork server before forking, so that every grading process shares it.
    fork_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()
    _job.update(specs=specs, files=files, grade_one=grade_one)
    results: dict[int, AssignmentResult] = {}

    def done(i: int, result: AssignmentResult) -> None:
        results[i] = result
        if progress is not None:
            for test in specs[i].tests:
                progress(specs[i].id, test.name)

    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_fresh_std_streams) as pool:
            futures = {pool.submit(_grade_one, i): i for i in range(len(specs))}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    done(i, assignment_from_dict(future.result()))
                except Exception:  # that grading process died or failed: graded below instead
                    pass
    except OSError:  # no fork (out of processes or memory): everything left is graded below
        pass
    finally:
        _job.clear()
    for i in range(len(specs)):
        if i not in results:
            done(i, grade_one(specs[i], files[i]))
    return tuple(results[i] for i in range(len(specs)))
