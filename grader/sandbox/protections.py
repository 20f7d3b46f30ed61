"""Which protections a worker holds on this machine, as the worker itself reports them.

A probe worker (an empty student file) is started once per process; before running any
student code, every worker sends the grader its report (protection name -> "" or the
reason it is missing). ``grader doctor`` prints it; grading copies the missing ones into
``SubmissionResult.warnings``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from dataclasses import dataclass

from grader.errors import SandboxError

PROTECTIONS: tuple[tuple[str, str], ...] = (
    ("process", "student code runs in a separate worker process, killed on timeout"),
    ("rlimits", "memory, CPU time, file size, open files and process count are capped"),
    ("pid_namespace", "a PID namespace: every process the student starts dies with the worker"),
    ("network", "a network namespace without interfaces: no network at all"),
    ("private_mounts", "a /proc without the grader's processes, a size-capped scratch, the fork server hidden"),
    ("unprivileged_user", "an unprivileged user id of the worker's own"),
    ("no_new_privs", "no setuid binary can raise privileges"),
    ("landlock_files", "Landlock: read Python and the public folder, write the scratch folder only"),
    ("landlock_tcp", "Landlock: no TCP bind or connect"),
    ("landlock_signals", "Landlock: no signals to processes outside the sandbox"),
    ("environment", "the grader's environment is scrubbed (os.environ, posix.environ, /proc/self/environ)"),
    ("closed_fds", "descriptors inherited from the fork server are closed"),
    ("source_scan", "the grader reads the source for forbidden calls, beside the worker's tracers"),
)
_DESCRIPTIONS = dict(PROTECTIONS)


@dataclass(frozen=True)
class Protection:
    name: str
    description: str
    is_active: bool
    reason: str = ""


def from_report(report: dict[str, str]) -> tuple[Protection, ...]:
    """Every known protection, active or not, from a worker's report."""
    full = {"source_scan": "", **report}
    return tuple(
        Protection(name, description, is_active=full.get(name, "not reported by the worker") == "",
                   reason=full.get(name, "not reported by the worker"))
        for name, description in PROTECTIONS
    )


def probe(timeout_s: float = 60.0) -> tuple[Protection, ...]:
    """Start a worker on an empty student file and return what it reports."""
    from grader.sandbox.process import Worker

    folder = tempfile.mkdtemp(prefix="grader-probe-")
    try:
        path = os.path.join(folder, "probe.py")
        with open(path, "w") as f:
            f.write("")
        worker = Worker(student_path=path, module_name="probe", import_timeout_s=timeout_s)
        try:
            reply = worker.start()
        finally:
            worker.stop()
        if not worker.protections:
            raise SandboxError(f"the probe worker did not report its protections: {reply.kind} {reply.message}")
        return from_report(worker.protections)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def sandbox_warnings() -> tuple[str, ...]:
    """One line per missing protection (cached: the machine does not change while we run)."""
    try:
        missing = [p for p in probe() if not p.is_active]
    except SandboxError as exc:
        return (f"the sandbox could not be checked: {exc}",)
    return tuple(f"sandbox: {p.name} missing ({p.reason})" for p in missing)


def warning_line(warnings: tuple[str, ...]) -> str:
    """The one line the command line prints when protections are missing."""
    names = ", ".join(w.split(" ", 2)[1] if w.startswith("sandbox: ") else w for w in warnings)
    return f"warning: grading with fewer than all sandbox protections (missing: {names}); see `grader doctor`"
