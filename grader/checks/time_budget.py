"""How long a student's call may run: a multiple of the reference's own time, with a floor.

A test's wall clock (``test_timeout_s``, 30 s) used to be every call's limit, so a function
that loops forever cost 30 s in every test that called it. Each call now gets

    limit = max(call_floor_s, reference_factor × the reference's time on the same arguments)

(never more than what is left of the test's clock). A function that has run out of time is
given no second full limit: its calls in later tests get ``after_timeout_floor_s`` as the
floor instead, and once it has run out of time in ``strikes`` tests it is not called again:
the tests that still call it are ``timeout`` at once, with a message saying why. A correct
solution, however it is written, is far inside the limit (the bundled references answer in
microseconds to milliseconds; the floor alone is hundreds of times that).

The reference's time is measured once per grading process, on a copy of the very arguments
the student receives, in the grader's process; its answer is kept in the reference cache,
so the test body's own call of the reference costs nothing more. Where there is no reference
solution (the student release) or the call cannot be timed (arguments that are not plain
data), the first timeout of a function keeps the test's clock as its limit, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.checks.reference_cache import CachedReference


@dataclass(frozen=True)
class TimeLimits:
    """Time limits of the student's code (``course.toml`` ``[time_limits]``; keyword-only).

    | key                     | meaning                                                 | default |
    |-------------------------|---------------------------------------------------------|---------|
    | ``call_floor_s``        | a call may always take this long                        | 1.0     |
    | ``reference_factor``    | ... or this many times the reference on the same call   | 100     |
    | ``after_timeout_floor_s``| the floor of a function's calls once it ran out of time | 0.25    |
    | ``strikes``             | timeouts after which a function is not called again     | 2       |
    | ``import_cpu_s``        | CPU seconds the student's file may use at import        | 5       |
    """

    call_floor_s: float = 1.0
    reference_factor: float = 100.0
    after_timeout_floor_s: float = 0.25
    strikes: int = 2
    import_cpu_s: float = 5.0

    def rule(self) -> str:
        """The rule in one sentence, as handouts and messages state it."""
        return (f"a call may take max({self.call_floor_s:g} s, {self.reference_factor:g} × the reference "
                f"solution's time on the same arguments); once a function has run out of time, its floor "
                f"is {self.after_timeout_floor_s:g} s, and after {self.strikes} timeouts it is not called again")


def assignment_reference(public_dir: str, assignment_id: str, student_file: str) -> CachedReference | None:
    """The reference solution of an assignment (``reference/<id>/<file>`` beside ``assignments/``),
    or None where the course has none (the student release)."""
    if not public_dir:
        return None
    folder = Path(public_dir).resolve().parent.parent / "reference" / assignment_id
    if not (folder / student_file).is_file():
        return None
    from grader.spec.suite import reference_beside

    return reference_beside(str(folder / "suite.py"), student_file)  # type: ignore[return-value]


@dataclass
class CallBudget:
    """Per assignment being graded: each call's limit, and which functions ran out of time."""

    limits: TimeLimits = field(default_factory=TimeLimits)
    reference: CachedReference | None = None
    timeouts: dict[str, int] = field(default_factory=dict)

    def refusal(self, fn: str) -> str:
        """Why ``fn`` is not called again ("" while it may be)."""
        count = self.timeouts.get(fn, 0)
        if count < self.limits.strikes:
            return ""
        return (f"{fn} was not called: it ran out of time in {count} earlier tests, and a function that runs "
                f"out of time {self.limits.strikes} times is not called again (its remaining tests score 0); "
                "look for an infinite loop or very slow code")

    def floor_s(self, fn: str) -> float:
        """The least a call of ``fn`` may take now: every limit is at least this."""
        return self.limits.after_timeout_floor_s if self.timeouts.get(fn, 0) > 0 else self.limits.call_floor_s

    def limit_s(self, fn: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[float | None, str]:
        """The call's limit in seconds and how it was derived; None: no limit of its own."""
        reference_s = None
        if self.reference is not None:
            reference_s = self.reference.call_time_s(fn, args, kwargs)
        timed_out = self.timeouts.get(fn, 0) > 0
        floor = self.limits.after_timeout_floor_s if timed_out else self.limits.call_floor_s
        if reference_s is None:
            # Not measurable: the test's clock is the first limit, as before; a function that
            # already ran out of time gets the (first) floor, not a second full clock.
            if not timed_out:
                return None, ""
            return self.limits.call_floor_s, (f"{fn} already ran out of time once, so its calls get "
                                              f"{self.limits.call_floor_s:g} s")
        limit = max(floor, self.limits.reference_factor * reference_s)
        why = (f"a call may take max({floor:g} s, {self.limits.reference_factor:g} × the reference's "
               f"{_show_s(reference_s)} on these arguments)")
        if timed_out:
            why += f"; {fn} already ran out of time once"
        return limit, why

    def timed_out(self, fn: str) -> None:
        self.timeouts[fn] = self.timeouts.get(fn, 0) + 1


def _show_s(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


_LINE = re.compile(r'File "[^"]*", line (\d+)')


def import_cpu_message(student_file: str, limit_s: float, traceback: str) -> str:
    """The message of an import stopped by its CPU-time limit, naming the line it was on."""
    lines = _LINE.findall(traceback)
    where = f" (it was running line {lines[-1]} of {student_file})" if lines else ""
    return (f"importing {student_file} used more than {limit_s:g} s of CPU time{where}: code at the top level of "
            "the file runs at import; look for an infinite loop there, and put experiments in a function or under "
            '`if __name__ == "__main__":`')
