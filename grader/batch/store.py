"""The batch's embedded database: SQLite in the output folder, no server to start.

One row per submission and one per (submission, test). A submission is written in one
transaction as soon as it is graded, so killing the batch loses at most the submissions in
flight, and a rerun skips every entry whose content hash and suite version are unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader.formats.grade_json import from_dict, to_dict
from grader.results import SubmissionResult

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
"""


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

    def is_current(self, entry: str, content_hash: str, suite_version: str) -> bool:
        row = self.db.execute("SELECT content_hash, suite_version FROM submissions WHERE entry = ?",
                              (entry,)).fetchone()
        return row is not None and tuple(row) == (content_hash, suite_version)

    def same_content(self, content_hash: str, suite_version: str) -> dict[str, Any] | None:
        """The stored result of another entry with identical files and suite, if any."""
        row = self.db.execute("SELECT result_json FROM submissions WHERE content_hash = ? AND suite_version = ? "
                              "LIMIT 1", (content_hash, suite_version)).fetchone()
        return json.loads(row[0]) if row else None

    def save(self, result: SubmissionResult, *, content_hash: str, suite_version: str,
             student: dict[str, str] | None = None) -> None:
        student = student or {}
        data = to_dict(result)
        with self.db:  # one transaction: the submission and its tests, or nothing
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

    def results(self, entries: list[str] | None = None) -> Iterator[tuple[SubmissionResult, dict[str, str]]]:
        rows = self.db.execute("SELECT entry, result_json, student_name, student_email, student_id "
                               "FROM submissions ORDER BY entry").fetchall()
        wanted = set(entries) if entries is not None else None
        for entry, blob, name, email, sid in rows:
            if wanted is None or entry in wanted:
                yield from_dict(json.loads(blob)), {"name": name, "email": email, "sid": sid}
