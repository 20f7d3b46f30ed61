"""The fork server every worker is forked from, kept free of heavy imports.

multiprocessing's fork server imports torch once; each worker then forks in milliseconds.
This module imports nothing heavier than multiprocessing, so ``python -m grader grade`` can
start the server before it imports torch itself (:func:`warm`), and the server's boot
(seconds: torch, numpy, the meta-device warm-up) overlaps the grader's own start instead of
following it.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

from grader.errors import SandboxError

# server_boot: meta-device operations warmed up without torch._dynamo (grader.sandbox.dynamo_stub)
PRELOAD = ["torch", "numpy", "grader.sandbox.server_boot", "grader.sandbox.worker"]
_context: Any = None


def fork_context() -> Any:
    """The process-wide forkserver context, with torch preloaded in the server."""
    global _context
    if _context is None:
        try:
            ctx = multiprocessing.get_context("forkserver")
        except ValueError as exc:  # Windows: no fork, so no fork server and no worker sandbox
            raise SandboxError(f"this platform ({sys.platform}) has no fork server: {exc}") from exc
        ctx.set_forkserver_preload(PRELOAD)
        _context = ctx
    return _context


def warm() -> None:
    """Start the fork server now, in the background. Never raises: the first worker starts it
    otherwise, and says why it cannot."""
    try:
        fork_context()
        from multiprocessing import forkserver

        forkserver.ensure_running()
    except (SandboxError, OSError, ValueError):
        pass


def stop() -> None:
    """Kill the fork server this process started (every worker has been stopped by now).

    Left alone, the server notices the grader's exit and then tears down its own interpreter,
    torch included: most of a second during which the grader's standard streams, which it
    inherited, stay open, so whatever runs the grader (a shell pipeline, a platform's harness,
    ``subprocess.run``) waits on them."""
    import os
    import signal
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError, PermissionError, OSError):
        pass
    server._forkserver_pid = None
