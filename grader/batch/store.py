"""The batch's embedded database: SQLite in the output folder, no server to start.

| table             | one row per                       | what it is for                                  |
|-------------------|-----------------------------------|-------------------------------------------------|
| ``submissions``   | entry                             | the entry's current result, whole (the reports) |
| ``assignments``   | (entry, assignment)               | what each assignment was graded from: the file's|
|                   |                                   | hash and the suite's fingerprint (what is stale)|
| ``test_results``  | (entry, assignment, test)         | current verdicts, for queries                   |
| ``history``       | grading of one assignment, ever   | every grade ever given, never overwritten       |

An entry is written in one transaction as soon as it is graded, so killing the batch loses
at most the entries in flight, and a rerun grades only the assignments whose file or suite
changed. An assignment the grader failed on is stored with an empty fingerprint, so the next
run tries it again; it never enters the history (it is not a grade).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import faults
from grader.formats.grade_json import assignment_from_dict, assignment_to_dict, from_dict, to_dict
from grader.results import AssignmentResult, SubmissionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    entry         TEXT PRIMARY KEY,
    content_hash  TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    student_name  TEXT NOT NULL DEFAULT '',
    student_email TEXT NOT NULL DEFAULT '',
    student_id    TEXT NOT NULL DEFAULT '',
    graded_at     TEXT NOT NULL,
    elapsed_s     REAL NOT NULL,
    result_json   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_content ON submissions (content_hash, suite_version);
CREATE TABLE IF NOT EXISTS assignments (
    entry         TEXT NOT NULL,
    assignment    TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    result_json   TEXT NOT NULL,
    PRIMARY KEY (entry, assignment)
);
CREATE INDEX IF NOT EXISTS assignments_by_content ON assignments (assignment, file_hash, suite_version);
CREATE TABLE IF NOT EXISTS test_results (
    entry         TEXT NOT NULL REFERENCES submissions(entry) ON DELETE CASCADE,
    content_hash  TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    assignment    TEXT NOT NULL,
    test          TEXT NOT NULL,
    status        TEXT NOT NULL,
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    message       TEXT NOT NULL,
    PRIMARY KEY (entry, assignment, test)
);
CREATE TABLE IF NOT EXISTS history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    entry         TEXT NOT NULL,
    assignment    TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    graded_at     TEXT NOT NULL,
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    result_json   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_entry ON history (entry, assignment, id);
"""


@dataclass(frozen=True)
class Graded:
    """What one assignment of an entry was graded from: the file's hash and the suite's fingerprint."""

    file_hash: str
    suite_version: str


@dataclass(frozen=True)
class HistoryRow:
    entry: str
    assignment: str
    file_hash: str
    suite_version: str
    graded_at: str
    result: AssignmentResult


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def graded_from(self, entry: str) -> dict[str, Graded]:
        """Per assignment: what the entry's stored result was graded from."""
        rows = self.db.execute("SELECT assignment, file_hash, suite_version FROM assignments WHERE entry = ?",
                               (entry,)).fetchall()
        return {aid: Graded(fh, sv) for aid, fh, sv in rows}

    def stored_assignments(self, entry: str) -> dict[str, AssignmentResult]:
        rows = self.db.execute("SELECT assignment, result_json FROM assignments WHERE entry = ?", (entry,)).fetchall()
        return {aid: assignment_from_dict(json.loads(blob)) for aid, blob in rows}

    def same_content(self, assignment: str, graded: Graded) -> AssignmentResult | None:
        """Another entry's result for the same file under the same suite, if any (never a grader error)."""
        if not graded.suite_version:
            return None
        row = self.db.execute("SELECT result_json FROM assignments WHERE assignment = ? AND file_hash = ? "
                              "AND suite_version = ? LIMIT 1",
                              (assignment, graded.file_hash, graded.suite_version)).fetchone()
        return assignment_from_dict(json.loads(row[0])) if row else None

    def save(self, result: SubmissionResult, *, content_hash: str, suite_version: str,
             graded: dict[str, Graded], student: dict[str, str] | None = None) -> None:
        """Store the entry's whole current result; ``graded`` names the assignments graded now
        (they enter the history) and what each was graded from. One transaction."""
        student = student or {}
        data = to_dict(result)
        by_id = {a.id: a for a in result.assignments}
        with self.db:  # the submission, its assignments, tests and history, or nothing
            self.db.execute("DELETE FROM submissions WHERE entry = ?", (result.submission,))
            self.db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.submission, content_hash, suite_version, result.score, result.max_score,
                 student.get("name", ""), student.get("email", ""), student.get("sid", ""),
                 result.graded_at, result.elapsed_s, json.dumps(data, allow_nan=False)),
            )
            self.db.executemany(
                "INSERT INTO test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(result.submission, content_hash, suite_version, a.id, t.name, t.status, t.score, t.max_score,
                  t.message[:2000]) for a in result.assignments for t in a.tests],
            )
            for aid, source in graded.items():
                assignment = by_id[aid]
                blob = json.dumps(assignment_to_dict(assignment), allow_nan=False)
                # A grader error is stored with no fingerprint: stale at once, so the next run retries it.
                version = "" if assignment.grader_error else source.suite_version
                self.db.execute("INSERT OR REPLACE INTO assignments VALUES (?, ?, ?, ?, ?)",
                                (result.submission, aid, source.file_hash, version, blob))
                if not assignment.grader_error:
                    self.db.execute("INSERT INTO history (entry, assignment, file_hash, suite_version, graded_at, "
                                    "score, max_score, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                    (result.submission, aid, source.file_hash, version, result.graded_at,
                                     assignment.score, assignment.max_score, blob))
            faults.checkpoint("store.commit")  # a kill here must roll the whole entry back

    def results(self, entries: list[str] | None = None) -> Iterator[tuple[SubmissionResult, dict[str, str]]]:
        rows = self.db.execute("SELECT entry, result_json, student_name, student_email, student_id "
                               "FROM submissions ORDER BY entry").fetchall()
        wanted = set(entries) if entries is not None else None
        for entry, blob, name, email, sid in rows:
            if wanted is None or entry in wanted:
                yield from_dict(json.loads(blob)), {"name": name, "email": email, "sid": sid}

    def history(self, entry: str | None = None) -> list[HistoryRow]:
        """Every grade ever stored, oldest first (of one entry, or of all)."""
        query = "SELECT entry, assignment, file_hash, suite_version, graded_at, result_json FROM history"
        args: tuple[Any, ...] = ()
        if entry is not None:
            query, args = query + " WHERE entry = ?", (entry,)
        rows = self.db.execute(query + " ORDER BY id", args).fetchall()
        return [HistoryRow(e, a, fh, sv, at, assignment_from_dict(json.loads(blob)))
                for e, a, fh, sv, at, blob in rows]
