"""The grader's handle on one sandboxed worker: start, call with a time limit, kill.

Workers are forked by multiprocessing's fork server, which imports torch once; a fork costs
milliseconds where a fresh interpreter pays seconds for ``import torch``. The pipe carries
only :mod:`grader.sandbox.wire` frames (``send_bytes``/``recv_bytes``), never pickles coming
back. A worker that overruns its time is killed with its whole process group.
"""

from __future__ import annotations

import contextlib
import multiprocessing.spawn as mp_spawn
import multiprocessing.util as mp_util
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from grader.errors import SandboxError
from grader.sandbox import wire
from grader.sandbox.fork_server import fork_context
from grader.sandbox.identity import kill_user_processes, worker_uid
from grader.sandbox.limits import Limits
from grader.sandbox.source_scan import charged_references, describe_uses, forbidden_references
from grader.untrusted import clean_name, clean_text


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Start children without re-running the parent's ``__main__`` in them.

    multiprocessing re-imports the parent's main script in every child (for functions defined
    there). The worker's target lives in an importable module, and re-running the grader's CLI
    script (or failing to, under ``python -c``) in each worker is slow and fragile.
    """
    original = mp_spawn.get_preparation_data

    def without_main(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    mp_spawn.get_preparation_data = without_main
    try:
        yield
    finally:
        mp_spawn.get_preparation_data = original


@dataclass(frozen=True)
class StudentError:
    """An exception the student's code raised, as plain data."""

    type_name: str
    type_names: tuple[str, ...]
    message: str
    traceback: str


@dataclass(frozen=True)
class Reply:
    """What came of one call.

    ``kind``: ``value`` (``value`` holds the result), ``raised`` (``error``), ``timeout``
    (the worker overran and was killed), ``crashed`` (the worker died; ``message`` says how),
    ``garbled`` (the worker answered something that is not a valid reply).
    """

    kind: str
    value: Any = None
    error: StudentError | None = None
    message: str = ""
    stdout: str = ""
    violations: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    modified: tuple[str, ...] = ()  # arguments the call changed in place, each described in a sentence


def _describe_modified(node: Any) -> tuple[str, ...]:
    """The worker's list of in-place changes as sentences (validated: the worker is untrusted)."""
    if not isinstance(node, list):
        raise wire.WireError("bad list of modified arguments")
    sentences = []
    for change in node[:5]:
        if not isinstance(change, dict) or not isinstance(change.get("argument"), str):
            raise wire.WireError("bad modified-argument entry")
        name = clean_name(change["argument"])
        index, count = change.get("index"), change.get("count")
        if isinstance(index, list) and all(type(i) is int for i in index):
            before, after = change.get("before"), change.get("after")
            more = f" ({count} elements changed)" if type(count) is int and count > 1 else ""
            sentences.append(f"{name}[{', '.join(map(str, index))}] went from {clean_text(repr(before), limit=40)} "
                             f"to {clean_text(repr(after), limit=40)}{more}")
        else:
            sentences.append(f"{name}: {clean_text(change.get('what', 'it changed'), limit=300)}")
    return tuple(sentences)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        meaning = {"SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed, often for memory)",
                   "SIGABRT": " (aborted)", "SIGXCPU": " (CPU time limit)", "SIGBUS": " (bus error)"}
        return f"the worker process died from {name}{meaning.get(name, '')}"
    return f"the worker process exited with status {code}"


def _parse_error(node: Any) -> StudentError:
    if not isinstance(node, dict):
        raise wire.WireError("error is not a mapping")
    types = node.get("types")
    if not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
        raise wire.WireError("bad exception type list")
    fields = [node.get(k) for k in ("type", "message", "traceback")]
    if not all(isinstance(f, str) for f in fields):
        raise wire.WireError("bad exception fields")
    # Everything here is the student's text: it crosses into the grader through the one boundary.
    return StudentError(clean_name(fields[0]), tuple(clean_name(t) for t in types[:64]),
                        clean_text(fields[1], limit=2000), clean_text(fields[2], limit=4000))


def _parse_reply(node: Any) -> Reply:
    if not isinstance(node, dict) or node.get("kind") not in ("value", "raised", "ready", "import_error"):
        raise wire.WireError("not a reply")
    stdout = node.get("stdout", "")
    violations = node.get("violations", [])
    elapsed = node.get("elapsed_s", 0.0)
    if not isinstance(stdout, str) or not isinstance(violations, list) or not isinstance(elapsed, (int, float)):
        raise wire.WireError("bad reply fields")
    common = dict(stdout=clean_text(stdout, limit=20000), violations=tuple(clean_name(v) for v in violations[:20]),
                  elapsed_s=float(elapsed))
    kind = node["kind"]
    if kind in ("raised", "import_error"):
        return Reply(kind="raised", error=_parse_error(node.get("error")), **common)
    modified = _describe_modified(node["modified"]) if "modified" in node else ()
    return Reply(kind="value", value=node.get("value"), modified=modified, **common)


def request_frame(op: str, fn: str, args: list[Any], kwargs: dict[str, Any]) -> bytes:
    """The frame asking a worker to run ``fn`` (``op`` "call", or "meta" for the device check)."""
    return wire.encode({"op": op, "fn": fn, "args": list(args), "kwargs": dict(kwargs)})


@dataclass
class Worker:
    """One live worker for one student file. Not thread-safe; one call at a time."""

    student_path: str
    module_name: str
    device: str = "cpu"
    limits: Limits = field(default_factory=Limits)
    forbidden_calls: tuple[str, ...] = ()
    public_dir: str = ""
    import_timeout_s: float = 20.0
    functions: tuple[str, ...] = ()
    import_cpu_s: float = 0.0  # CPU seconds the import may use (0: only the wall clock above)

    def __post_init__(self) -> None:
        self._process: Any = None
        self._conn: Any = None
        self._scratch: str | None = None
        self.import_reply: Reply | None = None
        #: protection name -> "" (active) or why it is missing, as the last worker reported it
        self.protections: dict[str, str] = {}
        #: graded function -> why its tests score 0: it refers to a forbidden name, itself or
        #: through the functions it calls (the source scan); the other functions are graded
        self.charged: dict[str, str] = {}

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> Reply:
        """Fork the worker and wait for it to import the student's file.

        Before the worker runs anything of the student's, the grader scans the source for
        forbidden names (a backstop for the worker's call tracers, which the student's code
        could undo) and the worker reports which protections it holds.
        """
        found = forbidden_references(self.student_path, self.forbidden_calls, self.functions)
        if found:
            charged, whole_file = charged_references(self.student_path, self.forbidden_calls, self.functions)
            # Only where module-level code refers to a forbidden name (it runs at import) does
            # the whole file pay; otherwise the functions that reach it do, and the rest is graded.
            found = found if whole_file or not charged else {}
            self.charged = {} if found else charged
        if found:
            self.import_reply = Reply(kind="value", violations=tuple(found),
                                      message=describe_uses(os.path.basename(self.student_path), found))
            return self.import_reply
        ctx = fork_context()
        self._scratch = tempfile.mkdtemp(prefix="grader-scratch-")
        config = {
            "student_path": os.path.abspath(self.student_path),
            "module_name": self.module_name,
            "scratch_dir": self._scratch,
            "public_dir": self.public_dir,
            "device": self.device,
            "limits": self.limits.as_dict(),
            "forbidden_calls": list(self.forbidden_calls),
            "import_cpu_s": self.import_cpu_s,
            # The fork server's socket folder: a worker that reached it could fork unconfined.
            "hidden_dirs": [mp_util.get_temp_dir()],
        }
        parent, child = ctx.Pipe(duplex=True)
        from grader.sandbox import worker as worker_module

        try:
            process = ctx.Process(target=worker_module.main, args=(child, config), daemon=False)
            with _without_main_module():
                process.start()
        except OSError as exc:
            raise SandboxError(f"could not start a worker: {exc}") from exc
        child.close()
        self._process, self._conn = process, parent
        started = time.monotonic()
        confined = self._receive_confinement(self.import_timeout_s)
        if confined is not None:
            self.import_reply = confined
        else:
            self.import_reply = self._receive(self.import_timeout_s - (time.monotonic() - started), started=started)
        if self.import_reply.kind != "value":
            self.stop()
        return self.import_reply

    def _receive_confinement(self, timeout_s: float) -> Reply | None:
        """Read the worker's protection report (sent before any student code ran)."""
        try:
            ready = self._conn.poll(max(timeout_s, 0.0))
            frame = self._conn.recv_bytes(wire.MAX_FRAME_BYTES) if ready else None
        except (EOFError, OSError) as exc:
            return self._dead(f"the worker failed before importing the student's file: {exc}")
        if frame is None:
            self.stop()
            return Reply(kind="timeout", message=f"the worker did not start within {timeout_s:.1f} s")
        try:
            node = wire.decode(frame, untrusted=True)
            report = node["protections"] if isinstance(node, dict) and node.get("kind") == "confined" else None
            if not (isinstance(report, dict) and all(isinstance(v, str) for v in report.values())):
                raise wire.WireError("no protection report")
        except wire.WireError as exc:
            self.stop()
            return Reply(kind="garbled", message=f"the worker sent a malformed report ({exc})")
        self.protections = {str(k): v for k, v in report.items()}
        if self.protections.get("process"):
            message = self.protections["process"]
            self.stop()
            return Reply(kind="crashed", message=f"the worker could not be prepared: {message}")
        return None

    patient = True  # call() takes ``patience`` (grader.checks.student.Student._call)

    def call(self, fn: str, args: list[Any], kwargs: dict[str, Any], timeout_s: float, *, op: str = "call",
             patience: Callable[[], float] | None = None) -> Reply:
        """``op="meta"``: run ``fn`` once more on torch's meta device; the reply's value is the
        report of :func:`grader.sandbox.meta.run_on_meta` (the device check). ``patience``: when
        ``timeout_s`` runs out, the whole limit, asked then (see :meth:`_receive`)."""
        # Not ``alive`` (a waitpid per call): a worker that died since its last answer shows
        # as a broken pipe or end of file below.
        if self._process is None or self._conn is None:
            return Reply(kind="crashed", message="the worker is not running")
        try:
            frame = request_frame(op, fn, args, kwargs)
            self._conn.send_bytes(frame)
        except (OSError, ValueError) as exc:
            return self._dead(f"could not send the call: {exc}")
        return self._receive(timeout_s, started=time.monotonic(), patience=patience)

    def pipeline(self, frames: list[bytes], timeout_for: TimeoutFor) -> list[Reply]:
        """Send many calls at once and read every reply (see :class:`Pipeline`)."""
        return self.start_pipeline(frames, timeout_for).drain()

    def start_pipeline(self, frames: list[bytes], timeout_for: TimeoutFor) -> Pipeline:
        """Send many calls at once; their replies are read in order, each when asked for."""
        return Pipeline(self, frames, timeout_for)

    def _receive(self, timeout_s: float, *, started: float, patience: Callable[[], float] | None = None,
                 from_started: bool = False) -> Reply:
        """The next reply within ``timeout_s`` (or, when that runs out and ``patience`` is
        given, within ``patience()`` seconds of ``started`` in all). ``from_started``: the first
        wait also counts from ``started`` (a pipelined call, which began before it was asked for)."""
        try:
            first = timeout_s - (time.monotonic() - started) if from_started else timeout_s
            ready = self._conn.poll(max(first, 0.0))
            if not ready and patience is not None:
                timeout_s = patience()
                ready = self._conn.poll(max(timeout_s - (time.monotonic() - started), 0.0))
        except (OSError, EOFError):
            ready = True
        if not ready:
            self.stop()
            return Reply(kind="timeout", message=f"no answer within {timeout_s:.1f} s",
                         elapsed_s=time.monotonic() - started)
        try:
            frame = self._conn.recv_bytes(wire.MAX_FRAME_BYTES)
        except (EOFError, OSError) as exc:
            return self._dead(str(exc))
        try:
            return _parse_reply(wire.decode(frame, device=self.device, untrusted=True))
        except wire.WireError as exc:
            self.stop()
            return Reply(kind="garbled", message=f"the worker sent a malformed answer ({exc})")

    def _dead(self, detail: str) -> Reply:
        process = self._process
        code = None
        if process is not None:
            process.join(timeout=2.0)
            code = process.exitcode
        self.stop()
        return Reply(kind="crashed", message=_describe_exit(code) if code is not None else detail)

    def stop(self) -> None:
        """Kill the worker and everything in its process group; remove its scratch folder."""
        process, self._process = self._process, None
        if process is not None:
            pid = process.pid
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except (ProcessLookupError, PermissionError, OSError):
                    pass
            process.join(timeout=5.0)
            if self.protections and not self.protections.get("unprivileged_user"):
                kill_user_processes(worker_uid(pid))  # a backstop for the PID namespace
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


# Gives the i-th pipelined call's first wait and a function giving its whole limit.
TimeoutFor = Callable[[int], tuple[float, Callable[[], float]]]


class Pipeline:
    """Calls sent to a worker at once, their replies read in order, each when asked for.

    The worker serves its frames one after the other, so it never waits on the grader between
    calls, and the grader's own work on one reply (a test body's oracle and comparison)
    overlaps the worker's on the next. ``frames`` are requests as :func:`request_frame`
    encodes them. ``timeout_for(i)`` gives the i-th call's first wait and a function giving its
    whole limit, asked only if the first wait runs out (measuring the reference's time for a
    limit costs a reference run, which a call answered within the floor never needs).

    Each reply is read on its own, so a call that overruns is timed out, and a crash
    attributed, as one call alone would be: reading stops at the first timeout, crash or
    garbled answer (the last reply read), and the worker is then stopped. A call's clock
    starts when the reply before it was read, since the worker began it no later than that:
    a reply read late (the grader was busy) may give its call more than its limit, never less.
    One frame per call rather than one for all: a call's boundary is where its time limit,
    its output and its crash belong.

    The frames are written by a thread while this one reads, so neither side can block the
    other on a full pipe, whatever the sizes of the calls and their answers. Before the worker
    is given anything else, every reply must have been read (:meth:`drain`).
    """

    def __init__(self, worker: Worker, frames: list[bytes], timeout_for: TimeoutFor) -> None:
        self._worker = worker
        self._timeout_for = timeout_for
        self._count = len(frames)
        self._read = 0
        self._conn = worker._conn
        self.ended = not frames  # every reply read, or reading stopped at a timeout or crash
        self._writer: threading.Thread | None = None
        self._started = time.monotonic()
        conn = self._conn
        if self.ended or conn is None:
            return  # no frames, or no worker: next() says so

        def write() -> None:
            try:
                for frame in frames:
                    conn.send_bytes(frame)
            except (OSError, ValueError):
                pass  # the worker died or was stopped: the reader reports it

        self._writer = threading.Thread(target=write, name="grader-pipeline", daemon=True)
        self._writer.start()

    @property
    def position(self) -> int:
        """How many replies have been read."""
        return self._read

    def next(self) -> Reply | None:
        """The next call's reply, waiting for it within its limit; None once the pipeline ended."""
        if self.ended:
            return None
        if self._conn is None or self._worker._conn is not self._conn:  # none, or stopped meanwhile
            self._read += 1
            return self._end(Reply(kind="crashed", message="the worker is not running"))
        wait, whole = self._timeout_for(self._read)
        reply = self._worker._receive(wait, started=self._started, patience=whole, from_started=True)
        self._read += 1
        self._started = time.monotonic()
        if reply.kind in ("timeout", "crashed", "garbled"):
            self._worker.stop()
            return self._end(reply)
        if self._read == self._count:
            self._end(None)
        return reply

    def drain(self) -> list[Reply]:
        """Read every reply not read yet (stopping at a timeout or crash, as :meth:`next`)."""
        replies: list[Reply] = []
        while (reply := self.next()) is not None:
            replies.append(reply)
        return replies

    def _end(self, reply: Reply | None) -> Reply | None:
        self.ended = True
        if self._writer is not None:
            self._writer.join(timeout=5.0)
        return reply
