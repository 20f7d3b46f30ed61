"""The code that runs inside a sandboxed worker process (the child side).

It is forked from the fork server (torch already imported), isolates itself in new
namespaces and confines itself (see :mod:`grader.sandbox.confinement`), tells the grader
which protections hold, imports the student's file, then serves calls over its pipe until
told to stop or killed. Everything
it sends goes through :mod:`grader.sandbox.wire`; the grader trusts none of it beyond the
values themselves.
"""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from grader.sandbox import arguments, confinement, cuda, limits, meta, namespaces, provenance, wire


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: Any) -> int:
        s = str(s)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n… [{self.dropped} more characters of output dropped]"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text


class ForbiddenCall(Exception):
    """Raised inside the student's code when it calls what the assignment forbids."""


def _install_tracers(names: tuple[str, ...], seen: list[str]) -> None:
    """Replace each forbidden dotted name with a stand-in that records the call and refuses it."""
    for dotted in names:
        owner_path, _, attr = dotted.rpartition(".")
        owner: Any = None
        try:
            parts = owner_path.split(".")
            owner = importlib.import_module(parts[0])
            for i, part in enumerate(parts[1:], start=1):
                nxt = getattr(owner, part, None)
                if nxt is None:
                    owner = importlib.import_module(".".join(parts[: i + 1]))
                else:
                    owner = nxt
            original = getattr(owner, attr)
        except (ImportError, AttributeError):
            continue  # a name this torch does not have cannot be called either

        def stand_in(*args: Any, __name: str = dotted, **kwargs: Any) -> Any:
            seen.append(__name)
            raise ForbiddenCall(f"{__name} is not allowed in this assignment")

        stand_in.__name__ = getattr(original, "__name__", attr)
        try:
            setattr(owner, attr, stand_in)
        except (AttributeError, TypeError):
            continue


def _error_info(exc: BaseException, paths: tuple[str, str]) -> dict[str, Any]:
    """The exception as data; frames of the student's copy are shown under their real folder."""
    copy_dir, original_dir = paths
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(copy_dir)]
    trimmed = "".join(traceback.format_list(frames)).replace(copy_dir, original_dir)
    lines = traceback.format_exception_only(type(exc), exc)
    message = (lines[-1].strip() if lines else type(exc).__name__).replace(copy_dir, original_dir)
    return {
        "type": type(exc).__name__,
        "types": [c.__name__ for c in type(exc).__mro__],
        "message": message[:2000],
        "traceback": trimmed[-4000:],
    }


def _send(conn: Any, message: dict[str, Any]) -> None:
    try:
        frame = wire.encode(message, lenient=True)
    except Exception as exc:  # an answer that cannot be encoded (too deep, ...) is still an answer
        frame = wire.encode({"kind": "raised", "error": {
            "type": "UnsendableResult", "types": ["UnsendableResult"],
            "message": f"the result could not be sent back: {exc}"[:500], "traceback": ""},
            "stdout": "", "violations": []})
    conn.send_bytes(frame)


def main(conn: Any, config: dict[str, Any]) -> None:
    """Entry point in the child the grader forked (the supervisor). ``config`` is plain data.

    With namespaces, the supervisor forks the worker as PID 1 of a new PID namespace, waits,
    and exits as the worker did; killing the supervisor kills the worker (parent-death
    signal), and the worker's death kills every process the student started.
    """
    if hasattr(os, "setsid"):
        os.setsid()  # its own process group, so the grader can kill it with everything it spawned
    reasons = {"pid_namespace": confinement.isolate()}
    reasons["network"] = reasons["pid_namespace"]
    if reasons["pid_namespace"]:
        _worker(conn, config, reasons, namespaced=False, uid_seed=os.getpid())
        return
    supervisor = os.getpid()
    namespaces.die_with_parent(signal.SIGKILL)  # the fork server went: the grader is gone
    try:
        pid = os.fork()
    except OSError as exc:
        _worker(conn, config, {"pid_namespace": f"fork failed: {exc}", "network": ""}, namespaced=False,
                uid_seed=supervisor)
        return
    if pid == 0:
        code = 1
        try:
            namespaces.die_with_parent(signal.SIGKILL)
            _worker(conn, config, reasons, namespaced=True, uid_seed=supervisor)
            code = 0
        finally:
            os._exit(code)
    conn.close()  # the grader must see EOF as soon as the worker dies
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if not os.WIFSIGNALED(status) else 1)


def _worker(conn: Any, config: dict[str, Any], reasons: dict[str, str], *, namespaced: bool,
            uid_seed: int) -> None:
    """Confine this process, report how, import the student's file, serve calls."""
    original_dir = os.path.dirname(os.path.abspath(config["student_path"]))
    try:
        confined = confinement.confine(config, namespaced=namespaced, uid_seed=uid_seed, keep_fd=conn.fileno())
    except OSError as exc:
        _send(conn, {"kind": "confined", "protections": {**reasons, "process": f"confinement failed: {exc}"}})
        return
    cuda.prepare_worker(config, confined.report)  # --device cuda: its own context, TF32 off
    _send(conn, {"kind": "confined", "protections": {**reasons, **confined.report}})
    student_dir, student_path = confined.student_dir, confined.student_path
    paths = (student_dir, original_dir)
    out = CappedText(int(config.get("max_output_chars", 8000)))
    sys.stdout = sys.stderr = out  # type: ignore[assignment]
    violations: list[str] = []
    meta.warm_up()  # before the tracers, which would break torch's lazy imports for meta
    _install_tracers(tuple(config.get("forbidden_calls", ())), violations)

    import torch

    torch.set_num_threads(1)  # one core per worker: batch grading runs several at once
    sys.path.insert(0, student_dir)
    started = time.perf_counter()
    module: Any = None
    try:
        spec = importlib.util.spec_from_file_location(config["module_name"], student_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[config["module_name"]] = module
        with limits.import_cpu_limit(float(config.get("import_cpu_s", 0) or 0)):
            spec.loader.exec_module(module)
        ready: dict[str, Any] = {"kind": "ready"}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are the student's too
        ready = {"kind": "import_error", "error": _error_info(exc, paths)}
    ready.update(stdout=out.take(), violations=violations[:], elapsed_s=time.perf_counter() - started)
    violations.clear()
    _send(conn, ready)
    if module is None:
        return
    _serve(conn, module, out, violations, paths, config.get("device"), config.get("public_dir", ""))


def _serve(conn: Any, module: Any, out: CappedText, violations: list[str], paths: tuple[str, str],
           device: str | None, public_dir: str) -> None:
    while True:
        try:
            frame = conn.recv_bytes()
        except (EOFError, OSError):
            return
        request = wire.decode(frame, device=device, allow_build=True)
        if request.get("op") == "stop":
            return
        name, args, kwargs = request["fn"], request["args"], request["kwargs"]
        args = [_materialise(a, public_dir) for a in args]
        kwargs = {k: _materialise(v, public_dir) for k, v in kwargs.items()}
        started = time.perf_counter()
        try:
            fn: Callable[..., Any] = getattr(module, name)
            if request.get("op") == "meta":  # the device check on the meta device (grader.sandbox.meta)
                report = meta.run_on_meta(fn, args, kwargs, paths, provenance.run_tracking_inputs)
                reply: dict[str, Any] = {"kind": "value", "value": report}
            else:
                before = arguments.snapshot(fn, args, kwargs)
                value = fn(*args, **kwargs)
                wrong = meta.misplaced(value, device) if device and device != "cpu" else []
                reply = {"kind": "value", "value": value} if not wrong else {
                    "kind": "raised", "error": meta.wrong_device_error(name, wrong, device or "")}
                modified = arguments.changes(before)
                if modified:
                    reply["modified"] = modified
        except BaseException as exc:  # the student's exception, whatever it is, is an answer
            reply = {"kind": "raised", "error": _error_info(exc, paths)}
        reply.update(stdout=out.take(), violations=violations[:], elapsed_s=time.perf_counter() - started)
        violations.clear()
        _send(conn, reply)


def _materialise(value: Any, public_dir: str) -> Any:
    """Build the objects the grader sent as data (models) on this side.

    Only factories from the assignment's public folder run here: the folder students have.
    """
    from grader.checks.built import BuildSpec

    if isinstance(value, BuildSpec):
        if not public_dir or os.path.dirname(os.path.realpath(value.module_path)) != os.path.realpath(public_dir):
            raise wire.WireError(f"{value.module_path} is not in the assignment's public folder")
        return value.build()
    return value
