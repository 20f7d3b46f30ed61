"""Resource limits, the environment and standard streams of a worker.

Applied in the worker, after it has dropped its privileges and before it imports the
student's file:

| limit            | resource          | default          | why                                          |
|------------------|-------------------|------------------|----------------------------------------------|
| ``memory_mb``    | RLIMIT_AS         | 2048 above start | a memory bomb fails with MemoryError         |
| ``cpu_s``        | RLIMIT_CPU        | 300              | a backstop under the grader's wall clock     |
| ``file_mb``      | RLIMIT_FSIZE      | 16               | one huge file gets EFBIG                      |
| ``open_files``   | RLIMIT_NOFILE     | 256              |                                              |
| ``processes``    | RLIMIT_NPROC      | 64               | a fork bomb stops (enforced for non-root ids)|
| ``disk_mb``      | scratch tmpfs     | 64               | many files cannot fill the disk              |
| core dumps       | RLIMIT_CORE       | 0                | a segfault leaves no core file               |

``processes`` counts every process and thread of the worker's user id; the worker runs
under an id of its own (see :mod:`grader.sandbox.identity`), so workers do not share it.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

try:
    import resource
except ImportError:  # Windows: no rlimits
    resource = None  # type: ignore[assignment]

SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    # No display in a worker: plotting in a student's file (notebooks plot) renders off-screen.
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker (keyword-only; see the module's table)."""

    memory_mb: int = 2048
    cpu_s: int = 300
    file_mb: int = 16
    open_files: int = 256
    processes: int = 64
    disk_mb: int = 64

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _address_space_now() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _set(which: int, soft: int) -> bool:
    try:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft))
        return True
    except (ValueError, OSError):
        return False  # a platform without this limit keeps the others


def apply_rlimits(limits: Limits, *, address_space: bool = True) -> str:
    """Set every limit this platform has; returns "" or why some are missing.

    ``address_space=False`` leaves RLIMIT_AS for :func:`limit_address_space`, once a CUDA
    context exists (:mod:`grader.sandbox.cuda`)."""
    if resource is None:
        return "this platform has no resource limits (no `resource` module)"
    if hasattr(signal, "SIGXFSZ"):
        # A write past RLIMIT_FSIZE should fail with EFBIG, not kill the worker with SIGXFSZ.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    missing = []
    for name, which, value in (
        ("core", "RLIMIT_CORE", 0),
        ("file size", "RLIMIT_FSIZE", limits.file_mb * 1024 * 1024),
        ("open files", "RLIMIT_NOFILE", limits.open_files),
        ("cpu", "RLIMIT_CPU", limits.cpu_s),
        ("processes", "RLIMIT_NPROC", limits.processes),
    ):
        if not hasattr(resource, which) or not _set(getattr(resource, which), value):
            missing.append(name)
    if address_space and not limit_address_space(limits):
        missing.append("memory")
    return f"could not set: {', '.join(missing)}" if missing else ""


def limit_address_space(limits: Limits) -> bool:
    """RLIMIT_AS at what this process holds now plus ``memory_mb``; False where it cannot."""
    if resource is None:
        return False
    base = _address_space_now()
    memory_bytes = limits.memory_mb * 1024 * 1024
    return bool(base and hasattr(resource, "RLIMIT_AS") and _set(resource.RLIMIT_AS, base + memory_bytes))


class ImportCPUTimeLimit(BaseException):
    """Raised in the student's import when it used up its CPU time (a BaseException, so the
    student's own ``except Exception`` does not swallow it)."""


@contextlib.contextmanager
def import_cpu_limit(seconds: float) -> Iterator[None]:
    """Limit the CPU time of what runs inside (the student's import) to about ``seconds``.

    The soft RLIMIT_CPU is lowered to the CPU time used so far plus ``seconds`` (whole seconds,
    rounded up), then put back; past it the kernel sends SIGXCPU every second, which raises
    :class:`ImportCPUTimeLimit` where the student's code is running, so the message can name the
    line. A handler is needed: PID 1 of a namespace ignores SIGXCPU at its default action. Code
    that catches the exception or never returns to Python meets the hard limit (SIGKILL) or the
    grader's wall clock at import.
    """
    if resource is None or not hasattr(resource, "RLIMIT_CPU") or not hasattr(signal, "SIGXCPU") or seconds <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    used = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(used.ru_utime + used.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= limit:
        yield  # already tighter (a worker's cpu_s below the import limit)
        return

    def stop(signum: int, frame: Any) -> None:
        raise ImportCPUTimeLimit(f"the import used more than {seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGXCPU, stop)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    except (ValueError, OSError):
        signal.signal(signal.SIGXCPU, previous)
        yield
        return
    try:
        yield
    finally:
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        except (ValueError, OSError):
            pass
        signal.signal(signal.SIGXCPU, previous)


def redirect_stdio() -> None:
    """stdin empty, C-level stdout/stderr discarded (Python-level output is captured)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def scrub_environment(scratch: str) -> str:
    """Forget the grader's environment everywhere this process keeps a copy.

    ``os.environ`` (and the C ``environ`` it mirrors), ``posix.environ``, and the original
    block on the stack that ``/proc/self/environ`` shows. Returns "" or what remains.
    """
    safe = {**SAFE_ENV, "HOME": scratch, "TMPDIR": scratch}
    os.environ.clear()  # unsetenv()s every variable of the C environ too
    os.environ.update(safe)
    posix = sys.modules.get("posix")
    if posix is not None:
        posix.environ.clear()
        # CPython shares one dict between os.environ and posix.environ on POSIX: clearing the
        # latter emptied os.environ as well (a HOME-less worker breaks matplotlib, tempfile and
        # Path.home()), so the safe variables go back in, in both.
        os.environ.update(safe)
    tempfile_module = sys.modules.get("tempfile")
    if tempfile_module is not None:
        # tempfile caches its folder on first use, and the fork server has used it already
        # (as /tmp, which the sandbox forbids): point it at the scratch folder, as TMPDIR says.
        tempfile_module.tempdir = scratch
    if not sys.platform.startswith("linux"):
        return ""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        # After the ")" closing comm, field 3 of proc(5) is index 0: env_start is field 50.
        env_start, env_end = int(fields[47]), int(fields[48])
        if 0 < env_start < env_end:
            ctypes.memset(env_start, 0, env_end - env_start)
    except (OSError, ValueError, IndexError) as exc:
        return f"/proc/self/environ may still show the grader's environment ({exc})"
    return ""
