"""``grader batch``: grade every entry of a folder, resumably, and write the class's reports.

Output folder layout::

    DIR/grades.sqlite                 every result and every earlier grade (the source of truth)
    DIR/submissions/<entry>.json      grade JSON of SPEC §5, ``submission`` = the entry's name
    DIR/submissions/<entry>.html      the entry's report (hidden tests' inputs included: for instructors)
    DIR/submissions/<entry>.student.html  the same without hidden tests' inputs, to hand out
    DIR/gradebook.csv                 one row per entry (+ gradebook_points_possible.csv)
    DIR/canvas.csv                    Canvas gradebook import
    DIR/summary.json                  the class summary
    DIR/regrade.html, regrade.json    what the latest regrade changed (when a grade was ever redone)
    DIR/index.html                    the dashboard

A rerun grades only the assignments whose student file or suite fingerprint changed
(:mod:`grader.batch.plan`); the others keep their stored results. Nothing one entry does
stops the batch: where the grader itself fails on an entry (its grading process dies, storing
or reporting it fails), that entry gets the status ``grader-error``, is listed on the
dashboard's "Needs a look", and every other entry and output is still written.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from grader import __version__, faults
from grader.batch.entries import Entry, content_hash, discover
from grader.batch.executors import run_dask, run_local
from grader.batch.plan import Todo, file_hashes, suite_fingerprints, todo
from grader.batch.store import Graded, Store
from grader.course import Course
from grader.errors import GraderError
from grader.formats.grade_json import from_dict
from grader.grading import GradeOptions, grader_failure
from grader.results import AssignmentResult, SubmissionResult
from grader.scoring import not_graded
from grader.spec.model import AssignmentSpec
from grader.untrusted import clean_text

ProgressFn = Callable[[str, int, int], None]  # (event, done, total): "start", "graded", "skipped"


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch (keyword-only).

    | option     | meaning                                                      | default   |
    |------------|--------------------------------------------------------------|-----------|
    | jobs       | grading processes (local executor)                           | CPU count |
    | regrade    | grade every assignment again, changed or not                 | False     |
    | dry_run    | say what would be graded; grade and write nothing            | False     |
    | executor   | ``local`` or ``dask``                                        | local     |
    | scheduler  | Dask scheduler address (with ``executor="dask"``)            | None      |
    | grade      | GradeOptions for each submission                             | defaults  |
    | reports    | write JSON/HTML/CSV/dashboard from the database at the end   | True      |
    """

    jobs: int = 0
    regrade: bool = False
    dry_run: bool = False
    executor: str = "local"
    scheduler: str | None = None
    grade: GradeOptions = field(default_factory=GradeOptions)
    reports: bool = True


@dataclass(frozen=True)
class BatchSummary:
    entries: int
    graded: int
    skipped: int
    reused: int
    failed: tuple[str, ...]  # "entry: why" for every entry that needs a look (status grader-error)
    elapsed_s: float
    out_dir: str
    mean_score: float
    max_score: float
    statuses: dict[str, int]
    planned: tuple[tuple[str, str, str], ...] = ()  # (entry, assignment, reason) graded, or to grade (dry run)
    dry_run: bool = False

    @property
    def rate_per_s(self) -> float:
        return self.graded / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def line(self) -> str:
        if self.dry_run:
            reasons = Counter(reason for _, _, reason in self.planned)
            why = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
            entries = len({e for e, _, _ in self.planned})
            return (f"dry run: {self.entries} entries; would grade {len(self.planned)} assignments of {entries} "
                    f"entries" + (f" ({why})" if why else "") + "; nothing was graded or written")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()) if s != "passed")
        return (f"{self.entries} entries: {self.graded} graded, {self.skipped} unchanged, {self.reused} identical "
                f"to another entry, {len(self.failed)} need a look (grader errors); {self.elapsed_s:.1f} s "
                f"({self.rate_per_s:.2f} submissions/s); mean score {self.mean_score:.1f} / {self.max_score:g}"
                + (f"; tests not passed: {counts}" if counts else ""))


def suite_version(course: Course, options: GradeOptions) -> str:
    """One digest of every assignment's fingerprint (the submissions table's summary of them)."""
    prints = suite_fingerprints(course, options)
    only = [a for a in sorted(prints) if not options.only or a in options.only]
    return hashlib.sha256(json.dumps([[a, prints[a]] for a in only]).encode()).hexdigest()[:16]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _task(entry: Entry, course: Course, options: GradeOptions, assignments: list[str]) -> dict[str, Any]:
    grade_options = asdict(replace(options, only=tuple(assignments)))
    return {"entry": entry.id, "path": str(entry.path), "course_root": str(course.root),
            "include_hidden": course.has_reference, "options": grade_options}


def _assemble(entry_id: str, specs: list[AssignmentSpec], parts: dict[str, AssignmentResult], course: Course,
              options: GradeOptions, base: SubmissionResult | None = None) -> SubmissionResult:
    """The entry's whole result, in course order, from its assignments' results."""
    assignments = tuple(parts[s.id] for s in specs if s.id in parts)
    common = dict(submission=entry_id, assignments=assignments,
                  score=round(sum(a.score for a in assignments), 6),
                  max_score=round(sum(a.max_score for a in assignments), 6))
    if base is not None:
        return replace(base, **common)
    return SubmissionResult(grader_version=__version__, seed=course.seed, device=options.device,
                            mode="check" if options.visible_only else "grade", graded_at=_now(), **common)


@dataclass
class _Pending:
    """An entry queued for grading: what it keeps, what it takes from other entries, what it needs."""

    entry: Entry
    keep: dict[str, AssignmentResult]
    graded: dict[str, Graded]
    jobs: list[Todo]


def run_batch(root: str | Path, out_dir: str | Path, course: Course, options: BatchOptions | None = None,
              *, progress: ProgressFn | None = None) -> BatchSummary:
    """Grade every entry of ``root`` into ``out_dir``; see the module docstring for the layout."""
    options = options or BatchOptions()
    if options.executor not in ("local", "dask"):
        raise GraderError(f"unknown executor {options.executor!r} (expected 'local' or 'dask')")
    if options.executor == "dask" and not options.scheduler:
        raise GraderError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    started = time.monotonic()
    out = Path(out_dir)
    if options.dry_run:
        return _dry_run(root, out, course, options, started)
    out.mkdir(parents=True, exist_ok=True)
    entries = discover(Path(root), out / "extracted")
    grade = options.grade
    specs = list(course.pick(grade.only))
    prints = suite_fingerprints(course, grade)
    version = suite_version(course, grade)
    files = [a.student_file for a in course.assignments]
    files += [a.student_file for a in specs if a.student_file not in files]  # --only beyond the selection
    mapped = dict(course.config.notebooks.files)  # which notebook holds which assignments, as grading finds them
    skipped = reused = 0
    tasks: list[dict[str, Any]] = []
    pending: dict[str, _Pending] = {}
    people: dict[str, dict[str, str]] = {}
    hashes: dict[str, str] = {}
    needs_look: dict[str, str] = {}
    unsaved: dict[str, SubmissionResult] = {}  # results the store refused: reported all the same
    planned: list[tuple[str, str, str]] = []
    leaders: dict[tuple[tuple[str, str], ...], str] = {}  # files to grade -> the entry graded for them
    followers: dict[str, list[str]] = {}  # leader entry -> entries with the same files, copied after
    report = progress or (lambda *_: None)

    def save(result: SubmissionResult, entry_id: str, graded: dict[str, Graded]) -> None:
        faults.checkpoint("batch.save")
        try:
            store.save(result, content_hash=hashes[entry_id], suite_version=version, graded=graded,
                       student=people[entry_id])
        except Exception as exc:  # noqa: BLE001 - the store failing on one entry must not stop the batch
            why = f"its result could not be stored: {type(exc).__name__}: {clean_text(exc, limit=500)}"
            needs_look[entry_id] = why
            unsaved[entry_id] = replace(result, grader_error=why)
        if result.grader_errors:
            needs_look.setdefault(entry_id, "; ".join(result.grader_errors))

    with Store(out / "grades.sqlite") as store:
        report("start", 0, len(entries))
        done = 0
        for entry in entries:
            people[entry.id] = {"name": entry.student_name, "email": entry.student_email, "sid": entry.student_id}
            if entry.problem:
                hashes[entry.id] = "unusable:" + hashlib.sha256(entry.problem.encode()).hexdigest()[:16]
                current = {s.id: Graded(hashes[entry.id], prints[s.id]) for s in specs}
            else:
                hashes[entry.id] = content_hash(entry.path, files, notebook_files=mapped)
                fhs = file_hashes(entry.path, specs, notebook_files=mapped)
                current = {s.id: Graded(fhs[s.id], prints[s.id]) for s in specs}
            jobs = todo(current, store.graded_from(entry.id), regrade=options.regrade)
            if not jobs:
                skipped += 1
                done += 1
                report("skipped", done, len(entries))
                continue
            planned += [(entry.id, job.assignment, job.reason) for job in jobs]
            stored = store.stored_assignments(entry.id)
            keep = {s.id: stored[s.id] for s in specs if s.id in stored}
            if entry.problem:
                for job in jobs:
                    keep[job.assignment] = not_graded(course.get(job.assignment), status="error",
                                                      message=entry.problem, test_status="error")
                save(_assemble(entry.id, specs, keep, course, grade), entry.id, {j.assignment: j.source for j in jobs})
                done += 1
                report("graded", done, len(entries))
                continue
            remaining = []
            for job in jobs:
                twin = None if options.regrade else store.same_content(job.assignment, job.source)
                if twin is not None:
                    keep[job.assignment] = twin
                else:
                    remaining.append(job)
            graded = {j.assignment: j.source for j in jobs}
            if not remaining:  # every assignment to grade is another entry's identical file
                save(_assemble(entry.id, specs, keep, course, grade), entry.id, graded)
                reused += 1
                done += 1
                report("graded", done, len(entries))
                continue
            pending[entry.id] = _Pending(entry, keep, graded, remaining)
            key = tuple((j.assignment, j.source.file_hash) for j in remaining)
            if key in leaders:  # identical files to an entry queued in this run: graded once, copied
                followers.setdefault(leaders[key], []).append(entry.id)
                continue
            leaders[key] = entry.id
            followers[entry.id] = []
            tasks.append(_task(entry, course, grade, [j.assignment for j in remaining]))
        if options.executor == "dask":
            outcomes = run_dask(tasks, options.scheduler)
        else:
            outcomes = run_local(tasks, options.jobs or os.cpu_count() or 1)
        graded_count = 0
        for task, data, error in outcomes:
            leader = task["entry"]
            fresh = _fresh_result(data)
            if fresh is None and data is not None:
                error = "the grading process sent back a result that could not be read"
            if data is not None:
                graded_count += 1
            for name in [leader, *followers.get(leader, [])]:
                item = pending[name]
                base = replace(fresh, submission=name) if fresh is not None else None
                parts = dict(item.keep)
                parts.update({a.id: a for a in (fresh.assignments if fresh is not None else ())})
                if fresh is None:
                    for job in item.jobs:
                        parts[job.assignment] = grader_failure(course.get(job.assignment), error)
                save(_assemble(name, specs, parts, course, grade, base), name, item.graded)
            reused += len(followers.get(leader, []))
            done += 1 + len(followers.get(leader, []))
            report("graded", done, len(entries))
        current_ids = {e.id for e in entries}
        results = {r.submission: (r, s) for r, s in store.results() if r.submission in current_ids}
        for entry_id, result in unsaved.items():
            results[entry_id] = (result, people[entry_id])
        history = store.history() if options.reports else []
    ordered = [results[k] for k in sorted(results)]
    if options.reports:
        for entry_id, why in write_reports(out, ordered, history).items():
            needs_look.setdefault(entry_id, why)
    statuses = Counter(t.status for r, _ in ordered for a in r.assignments for t in a.tests)
    totals = [r.score for r, _ in ordered]
    return BatchSummary(
        entries=len(entries), graded=graded_count, skipped=skipped, reused=reused,
        failed=tuple(f"{k}: {v}" for k, v in sorted(needs_look.items())),
        elapsed_s=round(time.monotonic() - started, 3), out_dir=str(out),
        mean_score=sum(totals) / len(totals) if totals else 0.0,
        max_score=max((r.max_score for r, _ in ordered), default=0.0), statuses=dict(statuses),
        planned=tuple(planned),
    )


def _fresh_result(data: dict[str, Any] | None) -> SubmissionResult | None:
    """The grading process's result, or None where it failed (the caller records a grader error)."""
    if data is None:
        return None
    try:
        return from_dict(data)
    except Exception:  # noqa: BLE001 - an unreadable result is a grader error for this entry only
        return None


def _dry_run(root: str | Path, out: Path, course: Course, options: BatchOptions, started: float) -> BatchSummary:
    """What a real run would grade and why; the store is opened read-only and nothing is written."""
    import sqlite3
    import tempfile

    grade = options.grade
    specs = list(course.pick(grade.only))
    prints = suite_fingerprints(course, grade)
    planned: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="grader-dry-run-") as scratch:
        entries = discover(Path(root), Path(scratch))
        db_path = out / "grades.sqlite"
        stored_by_entry: dict[str, dict[str, Graded]] = {}
        if db_path.is_file():
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                for entry, aid, fh, sv in db.execute(
                        "SELECT entry, assignment, file_hash, suite_version FROM assignments"):
                    stored_by_entry.setdefault(entry, {})[aid] = Graded(fh, sv)
            except sqlite3.OperationalError:  # a store from before per-assignment fingerprints
                pass
            finally:
                db.close()
        for entry in entries:
            if entry.problem:
                unusable = "unusable:" + hashlib.sha256(entry.problem.encode()).hexdigest()[:16]
                current = {s.id: Graded(unusable, prints[s.id]) for s in specs}
            else:
                fhs = file_hashes(entry.path, specs, notebook_files=dict(course.config.notebooks.files))
                current = {s.id: Graded(fhs[s.id], prints[s.id]) for s in specs}
            planned += [(entry.id, j.assignment, j.reason)
                        for j in todo(current, stored_by_entry.get(entry.id, {}), regrade=options.regrade)]
    return BatchSummary(entries=len(entries), graded=0, skipped=0, reused=0, failed=(),
                        elapsed_s=round(time.monotonic() - started, 3), out_dir=str(out), mean_score=0.0,
                        max_score=0.0, statuses={}, planned=tuple(planned), dry_run=True)


def write_reports(out: Path, results: list[tuple[SubmissionResult, dict[str, str]]],
                  history: list | None = None) -> dict[str, str]:
    """Every report of the batch, from the stored results; returns the entries whose own
    reports could not be written (and why): the other outputs are written all the same."""
    from grader.batch.regrades import regrade_rows, write_regrade_report
    from grader.formats.grade_json import write as write_json
    from grader.formats.gradebook import write_canvas_gradebook, write_gradebook
    from grader.report.class_summary import summarize
    from grader.report.dashboard import write_dashboard
    from grader.report.html import write_report

    folder = out / "submissions"
    folder.mkdir(exist_ok=True)
    links: dict[str, str] = {}
    broken: dict[str, str] = {}
    plain: list[SubmissionResult] = []
    for result, _ in results:
        try:
            faults.checkpoint("batch.report")
            write_json(result, folder / f"{result.submission}.json")
            # The instructor's copy shows hidden tests' inputs; the student's copy, safe to hand out, does not.
            write_report(result, folder / f"{result.submission}.html", show_hidden_inputs=True)
            write_report(result, folder / f"{result.submission}.student.html", show_hidden_inputs=False)
            links[result.submission] = f"submissions/{result.submission}.html"
        except Exception as exc:  # noqa: BLE001 - one entry's report must not stop the class's
            why = f"its report could not be written: {type(exc).__name__}: {clean_text(exc, limit=500)}"
            broken[result.submission] = why
            result = replace(result, grader_error=result.grader_error or why)
        plain.append(result)
    write_gradebook(plain, out / "gradebook.csv")
    roster = {r.submission: {"name": s.get("name") or r.submission, "sis_user_id": s.get("sid", ""),
                             "sis_login_id": s.get("email", "")} for r, s in results}
    write_canvas_gradebook(plain, out / "canvas.csv", roster=roster)
    summary = summarize(plain)
    from grader.atomic import write_atomically

    write_atomically(out / "summary.json", json.dumps(asdict(summary), indent=2, default=str) + "\n")
    current = {r.submission for r in plain}
    rows = regrade_rows([h for h in (history or []) if h.entry in current])
    has_regrades = write_regrade_report(out, rows)
    write_dashboard(plain, out, report_paths=links, regrade_report="regrade.html" if has_regrades else None)
    return broken
