"""What the latest regrade changed: per entry and assignment, old score → new, flipped tests.

Built from the store's history alone (every grade ever given, oldest first), so a batch that
was killed and resumed writes the same report as one that ran through: for each (entry,
assignment) graded more than once, the latest grade is compared with the one before it.
A test's verdict flips when it passed before and does not now, or the other way round; tests
that exist on one side only are listed as added or removed, not as flips.

``DIR/regrade.json`` holds the rows and the class summary; ``DIR/regrade.html`` shows them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.atomic import write_atomically
from grader.batch.store import HistoryRow
from grader.results import AssignmentResult


@dataclass(frozen=True)
class Flip:
    test: str
    before: str  # status
    after: str


@dataclass(frozen=True)
class RegradeRow:
    entry: str
    assignment: str
    old_score: float
    new_score: float
    max_score: float
    old_graded_at: str
    new_graded_at: str
    reason: str  # "suite changed", "file changed", "graded again"
    flips: tuple[Flip, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def change(self) -> str:
        delta = round(self.new_score - self.old_score, 6)
        return "up" if delta > 0 else "down" if delta < 0 else "unchanged"


def _flips(old: AssignmentResult, new: AssignmentResult) -> tuple[tuple[Flip, ...], tuple[str, ...], tuple[str, ...]]:
    before = {t.name: t.status for t in old.tests}
    after = {t.name: t.status for t in new.tests}
    flips = tuple(Flip(name, before[name], status) for name, status in after.items()
                  if name in before and (before[name] == "passed") != (status == "passed"))
    added = tuple(name for name in after if name not in before)
    removed = tuple(name for name in before if name not in after)
    return flips, added, removed


def regrade_rows(history: Sequence[HistoryRow]) -> list[RegradeRow]:
    """One row per (entry, assignment) graded at least twice: its last grade against the one before."""
    last_two: dict[tuple[str, str], list[HistoryRow]] = {}
    for row in history:
        pair = last_two.setdefault((row.entry, row.assignment), [])
        pair.append(row)
        del pair[:-2]
    rows = []
    for (entry, aid), pair in sorted(last_two.items()):
        if len(pair) < 2:
            continue
        old, new = pair
        flips, added, removed = _flips(old.result, new.result)
        reason = ("suite changed" if old.suite_version != new.suite_version
                  else "file changed" if old.file_hash != new.file_hash else "graded again")
        rows.append(RegradeRow(entry, aid, old.result.score, new.result.score, new.result.max_score,
                               old.graded_at, new.graded_at, reason, flips, added, removed))
    return rows


def class_summary(rows: Sequence[RegradeRow]) -> dict[str, object]:
    counts = {"up": 0, "down": 0, "unchanged": 0}
    for row in rows:
        counts[row.change] += 1
    by_assignment: dict[str, dict[str, int]] = {}
    for row in rows:
        by_assignment.setdefault(row.assignment, {"up": 0, "down": 0, "unchanged": 0})[row.change] += 1
    return {"regraded": len(rows), **counts, "by_assignment": by_assignment,
            "flipped_tests": sum(len(r.flips) for r in rows)}


def write_regrade_report(out: Path, rows: Sequence[RegradeRow]) -> bool:
    """Write ``regrade.json`` and ``regrade.html`` when any grade was ever redone; say whether."""
    if not rows:
        for name in ("regrade.json", "regrade.html"):
            (out / name).unlink(missing_ok=True)
        return False
    from grader.report.html import environment

    summary = class_summary(rows)
    data = {"summary": summary, "rows": [dict(asdict(r), change=r.change) for r in rows]}
    write_atomically(out / "regrade.json", json.dumps(data, indent=2) + "\n")
    html = environment().get_template("regrade.html.j2").render(rows=rows, summary=summary)
    write_atomically(out / "regrade.html", html)
    return True
