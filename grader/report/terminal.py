"""The compact terminal summary of ``grade`` and ``check``.

A table (assignment, score, status, failing tests) and, for the first failure of each
assignment, its message and counterexample. rich turns colours off when the output is not a
terminal and honours ``NO_COLOR``.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from grader.results import SubmissionResult, TestResult

_STATUS_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "timeout": "yellow",
                 "violation": "bold red", "graded": "green", "missing": "dim", }


def _short(text: str, limit: int = 600) -> str:
    """A terminal shows the start of a long message; the reports carry all of it."""
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters in the report]"


def _first_failure(tests: tuple[TestResult, ...]) -> TestResult | None:
    for t in tests:
        if t.status != "passed" and t.is_implemented:
            return t
    return None


def print_summary(result: SubmissionResult, console: Console | None = None, *, show_hidden_inputs: bool = True) -> None:
    console = console or Console()
    heading = f"{escape(result.submission)}  ({result.mode}, grader {result.grader_version}, seed {result.seed})"
    table = Table(title=heading,
                  title_justify="left", show_lines=False)
    table.add_column("assignment")
    table.add_column("score", justify="right")
    table.add_column("status")
    table.add_column("failing tests")
    for a in result.assignments:
        failing = [t for t in a.tests if t.status != "passed"]
        if a.status != "graded":
            note = escape(a.message)
        elif failing and all(not t.is_implemented for t in failing):
            note = f"{len(failing)} not implemented yet"
        else:
            note = ", ".join(escape(t.name) for t in failing[:3])
            if len(failing) > 3:
                note += f" (+{len(failing) - 3} more)"
        style = _STATUS_STYLE.get(a.status, "")
        table.add_row(a.id, f"{a.score:g} / {a.max_score:g}", f"[{style}]{a.status}[/]", note)
    table.add_row("[bold]total[/]", f"[bold]{result.score:g} / {result.max_score:g}[/]", "", "")
    console.print(table)
    for a in result.assignments:
        if a.status != "graded":
            continue
        failure = _first_failure(a.tests)
        if failure is None:
            continue
        body = [f"[{_STATUS_STYLE.get(failure.status, '')}]{failure.status}[/]: {escape(_short(failure.message))}"]
        if failure.hint:
            body.append(f"[italic]hint:[/] {escape(failure.hint)}")
        console.print(Panel("\n".join(body), title=escape(f"{a.id}: {failure.name}"), title_align="left",
                            expand=False))
        if failure.counterexample and (failure.visibility == "visible" or show_hidden_inputs):
            console.print(Syntax(failure.counterexample, "python", word_wrap=True))
