"""A test's feedback as text or markdown, shared by the platforms' formats.

A hidden test shows its message but not its counterexample (the failing input), unless the
course says ``show_hidden_inputs``: hidden inputs would let students reverse the hidden suite.
"""

from __future__ import annotations

import re

from grader.results import TestResult

_STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "error": "raised an error",
    "timeout": "ran out of time",
    "violation": "used a forbidden call",
}


def status_line(test: TestResult) -> str:
    if test.status == "failed" and not test.is_implemented:
        return "not implemented yet"
    return _STATUS_WORDS.get(test.status, test.status)


def fence(text: str, language: str = "") -> str:
    """``text`` in a markdown code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def shows_inputs(test: TestResult, show_hidden_inputs: bool) -> bool:
    return test.visibility == "visible" or show_hidden_inputs


def markdown(test: TestResult, *, show_hidden_inputs: bool = False) -> str:
    """Status, message, counterexample (in a fenced python block) and hint."""
    parts = [f"**{status_line(test)}** ({test.score:g} / {test.max_score:g}) — functions: "
             + ", ".join(f"`{f}`" for f in test.functions)]
    if test.message and test.status != "passed":
        parts.append(fence(test.message))
    if test.counterexample and test.status != "passed":
        if shows_inputs(test, show_hidden_inputs):
            parts.append("Smallest failing input found:\n\n" + fence(test.counterexample, "python"))
        else:
            parts.append("_This is a hidden test: its inputs are not shown._")
    if test.hint and test.status != "passed":
        parts.append(f"Hint: {test.hint}")
    return "\n\n".join(parts)


def plain(test: TestResult, *, show_hidden_inputs: bool = False) -> str:
    """The same feedback as plain text."""
    parts = [status_line(test)]
    if test.message and test.status != "passed":
        parts.append(test.message)
    if test.counterexample and test.status != "passed":
        if shows_inputs(test, show_hidden_inputs):
            parts.append("smallest failing input:\n" + test.counterexample)
        else:
            parts.append("(hidden test: its inputs are not shown)")
    if test.hint and test.status != "passed":
        parts.append("hint: " + test.hint)
    return "\n".join(parts)
