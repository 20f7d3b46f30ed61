"""How a worker confines itself before it imports the student's file.

Applied in the child, in this order: working directory (the scratch folder), standard
streams (stdin empty, C-level stdout/stderr discarded; Python-level output is captured by the
worker), a scrubbed environment, then resource limits:

| limit            | resource          | default         | why                                       |
|------------------|-------------------|-----------------|-------------------------------------------|
| ``memory_mb``    | RLIMIT_AS         | 2048 above start| a memory bomb fails with MemoryError      |
| ``cpu_s``        | RLIMIT_CPU        | 300             | a backstop under the grader's wall clock   |
| ``file_mb``      | RLIMIT_FSIZE      | 16              | a disk filler gets EFBIG, not the disk    |
| ``open_files``   | RLIMIT_NOFILE     | 256             |                                           |
| core dumps       | RLIMIT_CORE       | 0               | a segfault leaves no core file            |
"""

from __future__ import annotations

import os
import resource
import signal
from dataclasses import asdict, dataclass
from typing import Any

SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker (keyword-only; see the module's table)."""

    memory_mb: int = 2048
    cpu_s: int = 300
    file_mb: int = 16
    open_files: int = 256

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


def _set(which: int, soft: int) -> None:
    try:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft))
    except (ValueError, OSError):
        pass  # a platform without this limit keeps the others


def confine(config: dict[str, Any]) -> None:
    scratch = config["scratch_dir"]
    os.chdir(scratch)
    os.umask(0o077)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(SAFE_ENV, HOME=scratch, TMPDIR=scratch)
    # A write past RLIMIT_FSIZE should fail with EFBIG, not kill the worker with SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # The grader stops workers with SIGKILL; SIGINT/SIGTERM from a student's os.kill are theirs.
    limits = Limits(**config.get("limits", {}))
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024)
    _set(resource.RLIMIT_NOFILE, limits.open_files)
    _set(resource.RLIMIT_CPU, limits.cpu_s)
    base = _address_space_now()
    if base:
        _set(resource.RLIMIT_AS, base + limits.memory_mb * 1024 * 1024)
