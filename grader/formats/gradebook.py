"""Gradebooks: one row per submission, for a spreadsheet or for Canvas.

``write_gradebook(results, "DIR/gradebook.csv")`` writes two files:

| file                            | rows                      | columns                                        |
|---------------------------------|---------------------------|------------------------------------------------|
| ``gradebook.csv``               | one per submission        | submission, total, then per assignment: score, |
|                                 |                           | ``<id> status``, one per test ``<id>: <test>`` |
| ``gradebook_points_possible.csv``| one: the points possible | the same columns (statuses blank)              |

The points possible live in their own file, so every row of ``gradebook.csv`` is a
submission and ``pandas.read_csv`` needs no special case. A cell is blank where that
assignment or test was not run for that submission (``--only``, ``check`` mode).

``write_canvas_gradebook`` writes Canvas's gradebook-import layout: ``Student, ID, SIS User
ID, SIS Login ID, Section``, one column per assignment, then a ``Points Possible`` row
(spelled as Canvas exports it) before the students. Canvas matches students by ID, SIS User
ID or SIS Login ID: give a ``roster`` mapping each ``result.submission`` to those fields
(keys ``name``, ``id``, ``sis_user_id``, ``sis_login_id``, ``section``), or those cells are
left blank and Student is the submission's id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from grader.atomic import write_atomically
from grader.results import SubmissionResult

__all__ = ["CANVAS_IDENTITY_COLUMNS", "gradebook_frames", "write_canvas_gradebook", "write_gradebook"]

CANVAS_IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_LABEL = "    Points Possible"  # Canvas's own exports indent it so


def test_column(assignment_id: str, test_name: str) -> str:
    return f"{assignment_id}: {test_name}"


def status_column(assignment_id: str) -> str:
    return f"{assignment_id} status"


def _columns(results: Sequence[SubmissionResult]) -> tuple[list[str], dict[str, float]]:
    """Columns in first-seen order (each assignment's tests right after its status), and the
    points possible of each score column."""
    assignment_tests: dict[str, list[str]] = {}
    points: dict[str, float] = {}
    for r in results:
        for a in r.assignments:
            tests = assignment_tests.setdefault(a.id, [])
            points[a.id] = max(points.get(a.id, 0.0), a.max_score)
            for t in a.tests:
                col = test_column(a.id, t.name)
                if col not in points:
                    tests.append(col)
                points[col] = max(points.get(col, 0.0), t.max_score)
    columns = ["submission", "total"]
    for aid, tests in assignment_tests.items():
        columns += [aid, status_column(aid), *tests]
    points["total"] = round(sum(points[aid] for aid in assignment_tests), 6)
    return columns, points


def gradebook_frames(results: Sequence[SubmissionResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows (one per submission) and the one-row frame of points possible."""
    columns, points = _columns(results)
    rows: list[dict[str, Any]] = []
    for r in results:
        row: dict[str, Any] = {"submission": r.submission, "total": r.score}
        for a in r.assignments:
            row[a.id] = a.score
            row[status_column(a.id)] = a.shown_status
            for t in a.tests:
                row[test_column(a.id, t.name)] = t.score
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    possible = {c: points.get(c) for c in columns}
    possible["submission"] = "Points Possible"
    possible.update({c: None for c in columns if c.endswith(" status")})
    return frame, pd.DataFrame([possible], columns=columns)


def write_gradebook(results: Sequence[SubmissionResult], path: str | Path) -> tuple[Path, Path]:
    """Write ``path`` and ``<stem>_points_possible.csv`` beside it; return both paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame, possible = gradebook_frames(results)
    write_atomically(path, frame.to_csv(index=False))
    points_path = path.with_name(f"{path.stem}_points_possible{path.suffix or '.csv'}")
    write_atomically(points_path, possible.to_csv(index=False))
    return path, points_path


def canvas_frame(results: Sequence[SubmissionResult], *, roster: Mapping[str, Mapping[str, Any]] | None = None,
                 ) -> pd.DataFrame:
    roster = roster or {}
    titles: dict[str, float] = {}
    for r in results:
        for a in r.assignments:
            titles[a.id] = max(titles.get(a.id, 0.0), a.max_score)
    columns = [*CANVAS_IDENTITY_COLUMNS, *titles]
    rows: list[dict[str, Any]] = [{**dict.fromkeys(columns, ""), "Student": CANVAS_POINTS_LABEL, **titles}]
    for r in results:
        who = roster.get(r.submission, {})
        row: dict[str, Any] = {
            "Student": who.get("name", r.submission),
            "ID": who.get("id", ""),
            "SIS User ID": who.get("sis_user_id", ""),
            "SIS Login ID": who.get("sis_login_id", ""),
            "Section": who.get("section", ""),
        }
        for aid in titles:
            row[aid] = ""
        for a in r.assignments:
            row[a.id] = a.score
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def write_canvas_gradebook(results: Sequence[SubmissionResult], path: str | Path, *,
                           roster: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Canvas's gradebook-import CSV: identity columns, one column per assignment, Points Possible first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, canvas_frame(results, roster=roster).to_csv(index=False))
    return path
