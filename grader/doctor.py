"""``grader doctor``: which sandbox protections hold on this machine, and why any is missing.

Exit 0 when every protection is active, 1 when some are missing (grading still runs, with
a warning), 2 when no worker can start at all.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from grader.sandbox.protections import probe, sandbox_warnings, warning_line

_warned = {"done": False}


@click.command()
def doctor() -> None:
    """Check which sandbox protections are active on this machine."""
    console = Console(highlight=False)
    protections = probe()
    table = Table(title=f"sandbox protections on {sys.platform}")
    table.add_column("protection")
    table.add_column("state")
    table.add_column("what it does / why it is missing")
    for p in protections:
        table.add_row(p.name, "[green]active[/]" if p.is_active else "[red]missing[/]",
                      p.description if p.is_active else p.reason)
    console.print(table)
    missing = [p.name for p in protections if not p.is_active]
    if missing:
        console.print(f"{len(missing)} protection(s) missing: {', '.join(missing)}")
        sys.exit(1)
    console.print("every protection is active")


def warn_once(*_: object, **__: object) -> None:
    """Print the one-line warning to stderr, once per process, if protections are missing.

    Registered as the command group's result callback, so it runs after a command that
    graded something (the probe is cached, so this costs nothing more).
    """
    if _warned["done"] or sandbox_warnings.cache_info().currsize == 0:
        return
    warnings = sandbox_warnings()
    if warnings:
        _warned["done"] = True
        print(warning_line(warnings), file=sys.stderr)
