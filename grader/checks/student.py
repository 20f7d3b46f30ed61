"""The proxy a test body calls the student's functions through.

``student.fn(*args)`` sends the call to the sandboxed worker and returns the decoded value.
It records every call of the current example, so the driver can show the failing calls as a
counterexample without parsing any text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from grader.checks import device
from grader.sandbox import cuda, wire
from grader.sandbox.process import Reply, request_frame

if TYPE_CHECKING:
    from grader.checks.time_budget import CallBudget


class StudentRaised(Exception):
    """The student's function raised; carries the exception as data."""

    def __init__(self, fn: str, type_name: str, type_names: tuple[str, ...], message: str, traceback: str) -> None:
        super().__init__(f"{fn} raised {message}")
        self.fn = fn
        self.type_name = type_name
        self.type_names = type_names
        self.message = message
        self.traceback = traceback


class ArgumentModified(AssertionError):
    """The student's function changed an argument in place (SPEC §2 forbids it): a failed check."""


class AbortTest(BaseException):
    """Ends a test at once, bypassing hypothesis' shrinking (a BaseException escapes it).

    For outcomes where another example teaches nothing and may cost a full timeout:
    ``timeout``, a dead worker (``error``), ``violation``, and ``not_implemented``.
    """

    def __init__(self, status: str, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.traceback = traceback


class CallSink(Protocol):
    def call(self, fn: str, args: list[Any], kwargs: dict[str, Any], timeout_s: float) -> Reply: ...

    # A sink that checks devices also takes ``op="meta"`` (grader.sandbox.process.Worker).


@dataclass(frozen=True)
class RecordedCall:
    fn: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class CallLog:
    """Calls of the current example, the student's output, and the test's time budget."""

    deadline: float
    calls: list[RecordedCall] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)
    stdout_chars: int = 0
    stdout_truncated: bool = False

    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def add_output(self, text: str, cap: int = 8000) -> None:
        """Keep the first ``cap`` characters of the test's output, and say when more was dropped."""
        if not text:
            return
        room = cap - self.stdout_chars
        if room > 0:
            self.stdout.append(text[:room])
        if len(text) > room and not self.stdout_truncated:
            self.stdout.append("\n… [more output dropped]")
            self.stdout_truncated = True
        self.stdout_chars += len(text)


# A student call as the worker receives it: the function's name and its request frame
# (:func:`grader.sandbox.process.request_frame`), encoded once when the call was first made.
CallFrame = tuple[str, bytes]


def call_frames(calls: Iterable[RecordedCall]) -> list[CallFrame] | None:
    """``calls`` as frames; None where one holds a value the wire cannot carry."""
    try:
        return [(c.fn, request_frame("call", c.fn, list(c.args), dict(c.kwargs))) for c in calls]
    except (wire.WireError, TypeError, ValueError):
        return None


def _meta_frame(frame: bytes) -> bytes:
    """The device-check request for the call in ``frame`` (one per function per test)."""
    request = wire.decode(frame, allow_build=True)
    return request_frame("meta", request["fn"], request["args"], request["kwargs"])


class Prefetched:
    """A sink answering from the replies to calls sent ahead of time (:meth:`Student.prefetch`).

    A call is answered from there when its frame (function, arguments, operation) is one that
    was sent, in the order they come back: the pipeline's replies are read as the body asks
    for them, so the grader's work on one case overlaps the worker's on the next. Any other
    call goes to the worker as it would have, once every reply sent for has been read (the
    worker answers one thing at a time). Nothing but the data decides which reply a call
    gets, so a body whose calls depend on the student's answers (the backward of the
    student's own forward) gets, for each call, the reply to that very call: a prefetched one
    when the data is the same, a live one otherwise.
    """

    def __init__(self, worker: Any, frames: list[bytes], pipeline: Any) -> None:
        self._worker = worker
        self._frames = frames
        self._pipeline = pipeline
        self._ready: dict[bytes, list[Reply]] = {}
        self._unread: dict[bytes, int] = {}
        for frame in frames:
            self._unread[frame] = self._unread.get(frame, 0) + 1

    patient = True  # takes ``patience`` as Worker.call does

    def _read_one(self) -> bool:
        index = self._pipeline.position
        reply = self._pipeline.next()
        if reply is None:
            return False
        frame = self._frames[index]
        self._unread[frame] -= 1
        self._ready.setdefault(frame, []).append(reply)
        return True

    def settle(self) -> None:
        """Read every reply still on its way, so the worker is free for live calls."""
        while self._read_one():
            pass

    def call(self, fn: str, args: list[Any], kwargs: dict[str, Any], timeout_s: float, *, op: str = "call",
             patience: Callable[[], float] | None = None) -> Reply:
        try:
            frame: bytes | None = request_frame(op, fn, args, kwargs)
        except (wire.WireError, TypeError, ValueError):
            frame = None
        if frame is not None:
            while not self._ready.get(frame) and self._unread.get(frame, 0) > 0 and self._read_one():
                pass
            waiting = self._ready.get(frame)
            if waiting:
                return waiting.pop(0)
        self.settle()
        if not self._worker.alive:
            # The prefetch ended at a timeout or crash further on: this call, which came
            # before it in the body, runs on a fresh worker, as it would have run on the live one.
            restarted = self._worker.start()
            if restarted.kind != "value":
                return Reply(kind="crashed", message="the worker could not be restarted")
        return self._worker.call(fn, args, kwargs, timeout_s, op=op, patience=patience)

    def stop(self) -> None:
        self._worker.stop()
        self.settle()  # the pipeline sees the stopped worker and ends
        self._ready.clear()  # later calls go to a fresh worker


class Student:
    """Attribute access gives the student's functions; anything else is a suite bug."""

    def __init__(self, sink: CallSink, functions: Iterable[str], log: CallLog, *,
                 meta_safe: Iterable[str] = (), budget: CallBudget | None = None) -> None:
        self._sink = sink
        self._functions = frozenset(functions)
        self._log = log
        self._budget = budget  # each call's own limit (None: what is left of the test's clock)
        # Functions whose first call in this test is replayed on the meta device, and those
        # done (grader.checks.device says why the check sits in every test).
        self._meta_safe = frozenset(meta_safe)
        self._meta_checked: set[str] = set()

    def prefetch(self, calls: list[CallFrame]) -> bool:
        """Send ``calls`` (those the body will make, as recorded when the same cases passed
        before) to the worker at once, each within its own limit; the body's calls then take
        their replies (:class:`Prefetched`). The first call of each function checked on the
        meta device is followed by that check, as :meth:`_call` does it. Returns False
        (nothing sent) where a call would be refused (a function out of strikes), so the body
        runs call by call as ever. :meth:`settle` must follow the body."""
        start = getattr(self._sink, "start_pipeline", None)
        if start is None or not calls:
            return False
        if self._budget is not None and any(self._budget.refusal(fn) for fn, _ in calls):
            return False
        requests: list[tuple[str, str, bytes]] = []
        metas: set[str] = set()
        try:
            for fn, frame in calls:
                requests.append(("call", fn, frame))
                if fn in self._meta_safe and fn not in metas:
                    metas.add(fn)
                    requests.append(("meta", fn, _meta_frame(frame)))
        except (wire.WireError, KeyError, TypeError):
            return False

        def timeout_for(index: int) -> tuple[float, Callable[[], float]]:
            op, fn, frame = requests[index]
            remaining = max(self._log.remaining_s(), 0.0)
            if op == "meta":  # the device check has the test's clock, as _check_on_meta gives it
                return remaining, lambda: remaining

            def whole() -> float:  # the arguments are decoded only for this rare question
                request = wire.decode(frame, allow_build=True)
                return self._limit(fn, tuple(request["args"]), request["kwargs"], remaining)[0]

            return self._first_wait(fn, remaining), whole

        frames = [frame for _, _, frame in requests]
        self._sink = Prefetched(self._sink, frames, start(frames, timeout_for))
        return True

    def settle(self) -> None:
        """After a prefetched body: read what the worker still has to say (see :meth:`prefetch`)."""
        settle = getattr(self._sink, "settle", None)
        if settle is not None:
            settle()

    def _limit(self, fn: str, args: tuple[Any, ...], kwargs: dict[str, Any], remaining: float
               ) -> tuple[float, bool, str]:
        """A call's limit: max(floor, factor x the reference's time on these arguments), or the
        test's clock where that is sooner or there is none; whether it is the call's own; why."""
        own, why = self._budget.limit_s(fn, args, kwargs) if self._budget is not None else (None, "")
        mine = own is not None and own < remaining
        return (own if mine else remaining), mine, why

    def _first_wait(self, fn: str, remaining: float) -> float:
        """How long to wait before asking for the whole limit: the floor every limit is at least,
        so a call answered within it (nearly all) never pays for timing the reference."""
        return remaining if self._budget is None else min(self._budget.floor_s(fn), remaining)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._functions:
            raise AttributeError(f"{name!r} is not a function of this assignment")

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, args, kwargs)

        call.__name__ = name
        return call

    def _call(self, fn: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._log.calls.append(RecordedCall(fn, args, dict(kwargs)))
        remaining = self._log.remaining_s()
        if remaining <= 0:
            raise AbortTest("timeout", "the test ran out of time before this call")
        if self._budget is not None:
            refused = self._budget.refusal(fn)
            if refused:
                raise AbortTest("timeout", refused)
        limit: list[tuple[float, bool, str]] = []  # computed once, when first needed

        def whole() -> float:
            if not limit:
                limit.append(self._limit(fn, args, kwargs, remaining))
            return limit[0][0]

        if getattr(self._sink, "patient", False):
            reply = self._sink.call(fn, list(args), dict(kwargs), self._first_wait(fn, remaining),
                                    patience=whole)  # type: ignore[call-arg]
        else:
            reply = self._sink.call(fn, list(args), dict(kwargs), whole())
        self._log.add_output(reply.stdout)
        if reply.violations:
            names = ", ".join(sorted(set(reply.violations)))
            raise AbortTest("violation", f"{fn} called {names}, which this assignment forbids")
        if reply.kind == "timeout":
            whole()  # the limit it had, before this timeout lowers the next one's floor
            timeout_s, own_limit, why = limit[0]
            if self._budget is not None:
                self._budget.timed_out(fn)
            detail = f"no answer within {timeout_s:.3g} s: {why}" if own_limit else reply.message
            raise AbortTest("timeout", f"{fn} did not return in time ({detail}); "
                            "look for an infinite loop or very slow code")
        if reply.kind in ("crashed", "garbled"):
            raise AbortTest("error", f"{fn} crashed: {reply.message}")
        if reply.kind == "raised":
            assert reply.error is not None
            err = reply.error
            if "NotImplementedError" in err.type_names:
                raise AbortTest("not_implemented", f"{fn} is not implemented yet")
            if err.type_name == "WrongDevice":  # the worker found a result on another device
                raise AbortTest("failed", device.wrong_device_message(err.message))
            if cuda.is_fault(err.type_names, err.message):
                stop = getattr(self._sink, "stop", None)
                if stop is not None:
                    stop()  # its context is poisoned: the next test starts a fresh worker
                raise AbortTest("error", device.cuda_fault_message(fn, err.message), err.traceback)
            raise StudentRaised(fn, err.type_name, err.type_names, err.message, err.traceback)
        if reply.modified:
            raise ArgumentModified(
                f"{fn} modified its arguments in place: {'; '.join(reply.modified)}. A function must never change "
                "its arguments (SPEC §2): the caller's tensors are corrupted in a training loop. Work on a new "
                "tensor instead (e.g. x = x - m rather than x -= m; torch.where(...) rather than x[mask] = 0).")
        if fn in self._meta_safe and fn not in self._meta_checked:
            self._meta_checked.add(fn)
            self._check_on_meta(fn, args, kwargs)
        return reply.value

    def _check_on_meta(self, fn: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Run ``fn`` once more on the meta device; a device bug ends the test as failed.

        The test's clock is its limit, not the call's: meta kernels are tens of times slower
        than the real ones on these small tensors, so the reference's time says nothing here."""
        remaining = self._log.remaining_s()
        if remaining <= 0:
            return
        reply = self._sink.call(fn, list(args), dict(kwargs), remaining, op="meta")  # type: ignore[call-arg]
        if reply.violations:
            names = ", ".join(sorted(set(reply.violations)))
            raise AbortTest("violation", f"{fn} called {names}, which this assignment forbids")
        if reply.kind == "timeout":
            raise AbortTest("timeout", f"{fn} did not return in time when run on the meta device ({reply.message})")
        if reply.kind in ("crashed", "garbled"):
            raise AbortTest("error", f"{fn} crashed when run on the meta device: {reply.message}")
        message = device.judge_meta_run(fn, reply.value) if reply.kind == "value" else None
        if message:
            raise AbortTest("failed", message)
