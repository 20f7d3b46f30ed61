"""What a person sees of a result: labels, icons, truncation and what hidden tests may show.

Pure functions from results to plain values the templates lay out; no HTML here (the
templates escape everything they print). The one rule about hidden tests lives here, in
:func:`present_test`: a hidden test shows its name, points, status, the functions it calls
and the suite's hint; its message, counterexample, comparison details, traceback and
captured output can all carry the hidden inputs (an exception message, a value printed by
the student), so they are shown only with ``show_hidden_inputs`` (the instructor's copy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from grader.results import AssignmentResult, SubmissionResult, TestResult

STDOUT_MAX_CHARS = 4000
STDOUT_MAX_LINES = 60

# label, icon (text, so it survives print and high-contrast modes), css class
STATUS_DISPLAY: dict[str, tuple[str, str]] = {
    "passed": ("passed", "✓"),
    "failed": ("failed", "✗"),
    "error": ("error", "!"),
    "timeout": ("timeout", "⏱"),
    "violation": ("violation", "⛔"),
    "not_implemented": ("not implemented", "○"),
    "missing": ("missing", "∅"),
    "graded": ("graded", "✓"),
}

_HIDDEN_NOTE = {
    "failed": "A hidden test failed. Its inputs are not shown; the visible tests of the same functions "
              "(run `grader check`) usually reproduce the problem.",
    "error": "Your code raised an exception in a hidden test. Its inputs are not shown.",
    "timeout": "A hidden test ran out of time (an infinite loop, or far too slow).",
    "violation": "A hidden test caught a call this assignment forbids.",
}


@dataclass(frozen=True)
class Cell:
    text: str
    is_bad: bool = False


@dataclass(frozen=True)
class Grid:
    """A tensor laid out for reading: row labels and cells (2-D; more dims flatten into rows)."""

    column_labels: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]


@dataclass(frozen=True)
class Comparison:
    """Expected vs got, with what differs marked; ``kind`` as in ``compare.Mismatch``."""

    name: str
    kind: str
    expected: Grid | None = None
    got: Grid | None = None
    expected_text: str = ""
    got_text: str = ""
    mismatched: str = ""
    tolerance: str = ""
    worst: tuple[tuple[str, str, str, str, str], ...] = ()  # (what, index, error, got, expected)
    nonfinite_at: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestView:
    name: str
    functions: tuple[str, ...]
    score: float
    max_score: float
    status: str
    status_label: str
    icon: str
    visibility: str
    is_hidden: bool
    is_redacted: bool
    message: str = ""
    hint: str = ""
    counterexample: str = ""
    comparison: Comparison | None = None
    traceback: str = ""
    stdout: str = ""
    stdout_note: str = ""
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class AssignmentView:
    id: str
    title: str
    status: str
    status_label: str
    score: float
    max_score: float
    percent: float
    message: str
    file: str
    tests: tuple[TestView, ...]
    counts: dict[str, int] = field(default_factory=dict)
    is_open: bool = False
    notes: tuple[str, ...] = ()  # what the grader did to the file first (a notebook's dropped magics)


def display_status(test: TestResult) -> str:
    """``not_implemented`` for a stub's quiet failure, else the test's status."""
    return "not_implemented" if not test.is_implemented else test.status


def format_number(value: Any) -> str:
    """Four significant digits, which is what a reader compares; NaN/Inf spelled out."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    if isinstance(value, str):  # a JSON round trip spells non-finite floats as strings
        return value
    return str(value)


def format_points(value: float) -> str:
    """Points to two decimals, trailing zeros dropped (12.5, 0.54, 3)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_index(index: Any) -> str:
    if isinstance(index, (list, tuple)):
        return "(scalar)" if len(index) == 0 else "[" + ", ".join(str(i) for i in index) + "]"
    return str(index)


def truncate_output(text: str, *, max_chars: int = STDOUT_MAX_CHARS,
                    max_lines: int = STDOUT_MAX_LINES) -> tuple[str, str]:
    """The start of captured output and a note saying what was cut (empty if nothing)."""
    lines = text.splitlines(keepends=True)
    kept = "".join(lines[:max_lines])
    if len(kept) > max_chars:
        kept = kept[:max_chars]
    if len(kept) == len(text):
        return text, ""
    return kept, f"output truncated: showing {len(kept):,} of {len(text):,} characters"


def format_pair(got: Any, expected: Any, *, digits: int = 4) -> tuple[str, str]:
    """Both values with enough significant digits that different values read differently."""
    if not (isinstance(got, float) and isinstance(expected, float)) or got == expected:
        return format_number(got), format_number(expected)
    for p in range(digits, 18):
        g, e = f"{got:.{p}g}", f"{expected:.{p}g}"
        if g != e:
            return g, e
    return repr(got), repr(expected)


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list):
        depth += 1
        if not value:
            break
        value = value[0]
    return depth


def _rows(got: Any, expected: Any, differs: Any, prefix: tuple[int, ...]) -> list[tuple[str, list[Cell], list[Cell]]]:
    """Flatten nested lists to labelled rows of their last dimension, got and expected in step."""
    if _depth(expected) <= 1:
        gs = got if isinstance(got, list) else [got]
        es = expected if isinstance(expected, list) else [expected]
        marks = differs if isinstance(differs, list) else [differs] * len(es)
        if len(prefix) > 1:
            label = "[" + ", ".join(str(i) for i in prefix) + ", :]"
        else:
            label = str(prefix[0]) if prefix else ""
        got_cells, expected_cells = [], []
        for g, e, m in zip(gs, es, marks, strict=False):
            g_text, e_text = format_pair(g, e) if m else (format_number(g), format_number(e))
            got_cells.append(Cell(g_text, bool(m)))
            expected_cells.append(Cell(e_text, bool(m)))
        return [(label, got_cells, expected_cells)]
    out = []
    for i, (g, e) in enumerate(zip(got, expected, strict=False)):
        out.extend(_rows(g, e, differs[i] if isinstance(differs, list) else differs, prefix + (i,)))
    return out


def comparison_grids(got: Any, expected: Any, differs: Any) -> tuple[Grid, Grid]:
    """Expected and got as grids (nested lists from ``Mismatch`` details; more than 2 dims become rows)."""
    rows = _rows(got, expected, differs, ())
    width = max((len(cells) for _, cells, _ in rows), default=0)
    columns = tuple(str(j) for j in range(width)) if _depth(expected) >= 1 else ("",)
    return (Grid(columns, tuple((label, tuple(e)) for label, _, e in rows)),
            Grid(columns, tuple((label, tuple(g)) for label, g, _ in rows)))


def comparison_of(details: dict[str, Any]) -> Comparison | None:
    """The comparison a ``Mismatch``'s details describe, or None when there is nothing to lay out."""
    if not details:
        return None
    kind = str(details.get("kind", ""))
    name = str(details.get("name", "result"))
    worst = []
    for key, what in (("worst_abs", "worst absolute error"), ("worst_rel", "worst relative error")):
        w = details.get(key)
        if isinstance(w, dict):
            got_text, expected_text = format_pair(w.get("got"), w.get("expected"), digits=6)
            worst.append((what, format_index(w.get("index")), format_number(w.get("error")), got_text, expected_text))
    nonfinite = tuple(format_index(i) for i in details.get("nonfinite_at", ()) or ())
    mismatched = ""
    if "mismatched" in details and "total" in details:
        mismatched = f"{details['mismatched']} of {details['total']} elements differ"
    tolerance = ""
    if "rtol" in details or "atol" in details:
        tolerance = f"rtol = {format_number(details.get('rtol'))}, atol = {format_number(details.get('atol'))}"
    grids: dict[str, Any] = {}
    texts = {"expected": "", "got": ""}
    if kind == "values" and "got" in details and "expected" in details:
        expected_grid, got_grid = comparison_grids(details["got"], details["expected"], details.get("differs", False))
        grids = {"got": got_grid, "expected": expected_grid}
    elif kind == "shape":
        texts = {"expected": f"shape {tuple(details.get('expected_shape', ()))}",
                 "got": f"shape {tuple(details.get('got_shape', ()))}"}
    elif kind == "dtype":
        texts = {"expected": str(details.get("expected_dtype", "")), "got": str(details.get("got_dtype", ""))}
    elif "got" in details or "expected" in details:
        got_text, expected_text = format_pair(details.get("got", ""), details.get("expected", ""), digits=6)
        texts = {"expected": expected_text, "got": got_text}
    if not (grids or texts["got"] or texts["expected"] or worst or nonfinite):
        return None
    return Comparison(name=name, kind=kind, expected=grids.get("expected"), got=grids.get("got"),
                      expected_text=texts["expected"], got_text=texts["got"], mismatched=mismatched,
                      tolerance=tolerance, worst=tuple(worst), nonfinite_at=nonfinite)


def present_test(test: TestResult, *, show_hidden_inputs: bool = False) -> TestView:
    status = display_status(test)
    label, icon = STATUS_DISPLAY.get(status, (status, "?"))
    is_hidden = test.visibility != "visible"
    is_redacted = is_hidden and not show_hidden_inputs and status not in ("passed", "not_implemented")
    common = dict(name=test.name, functions=test.functions, score=test.score, max_score=test.max_score,
                  status=status, status_label=label, icon=icon, visibility=test.visibility,
                  is_hidden=is_hidden, is_redacted=is_redacted, hint=test.hint, elapsed_s=test.elapsed_s)
    if status == "passed":
        return TestView(**common)
    if status == "not_implemented":
        return TestView(**common, message="not implemented yet (the stub raises NotImplementedError)")
    if is_redacted:
        return TestView(**common, message=_HIDDEN_NOTE.get(status, "A hidden test did not pass."))
    stdout, note = truncate_output(test.stdout)
    return TestView(**common, message=test.message, counterexample=test.counterexample,
                    comparison=comparison_of(test.details), traceback=test.traceback,
                    stdout=stdout, stdout_note=note)


def status_counts(tests: tuple[TestView, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in tests:
        counts[t.status] = counts.get(t.status, 0) + 1
    return counts


def present_assignment(assignment: AssignmentResult, *, show_hidden_inputs: bool = False) -> AssignmentView:
    tests = tuple(present_test(t, show_hidden_inputs=show_hidden_inputs) for t in assignment.tests)
    label, _ = STATUS_DISPLAY.get(assignment.status, (assignment.status, ""))
    percent = 100.0 * assignment.score / assignment.max_score if assignment.max_score else 0.0
    is_open = assignment.status == "graded" and any(
        t.status not in ("passed", "not_implemented") for t in tests)
    return AssignmentView(id=assignment.id, title=assignment.title or assignment.id, status=assignment.status,
                          status_label=label, score=assignment.score, max_score=assignment.max_score,
                          percent=percent, message=assignment.message, file=assignment.file, tests=tests,
                          counts=status_counts(tests), is_open=is_open, notes=tuple(assignment.notes))


def percent_of(result: SubmissionResult) -> float:
    return 100.0 * result.score / result.max_score if result.max_score else 0.0
