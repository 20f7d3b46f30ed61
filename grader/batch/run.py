"""``grader batch``: grade every entry of a folder, resumably, and write the class's reports.

Output folder layout::

    DIR/grades.sqlite                 every result (the source of truth; reruns resume from it)
    DIR/submissions/<entry>.json      grade JSON of SPEC §5, ``submission`` = the entry's name
    DIR/submissions/<entry>.html      the entry's report (hidden tests' inputs included: for instructors)
    DIR/submissions/<entry>.student.html  the same without hidden tests' inputs, to hand out
    DIR/gradebook.csv                 one row per entry (+ gradebook_points_possible.csv)
    DIR/canvas.csv                    Canvas gradebook import
    DIR/summary.json                  the class summary
    DIR/index.html                    the dashboard
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.batch.entries import Entry, content_hash, discover
from grader.batch.executors import run_dask, run_local
from grader.batch.store import Store
from grader.course import Course
from grader.errors import GraderError
from grader.formats.grade_json import from_dict
from grader.grading import GradeOptions
from grader.results import SubmissionResult
from grader.scoring import not_graded

ProgressFn = Callable[[str, int, int], None]  # (event, done, total): "start", "graded", "skipped"


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch (keyword-only).

    | option     | meaning                                                      | default   |
    |------------|--------------------------------------------------------------|-----------|
    | jobs       | grading processes (local executor)                           | CPU count |
    | regrade    | grade again even when content and suite are unchanged        | False     |
    | executor   | ``local`` or ``dask``                                        | local     |
    | scheduler  | Dask scheduler address (with ``executor="dask"``)            | None      |
    | grade      | GradeOptions for each submission                             | defaults  |
    | reports    | write JSON/HTML/CSV/dashboard from the database at the end   | True      |
    """

    jobs: int = 0
    regrade: bool = False
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
    failed: tuple[str, ...]
    elapsed_s: float
    out_dir: str
    mean_score: float
    max_score: float
    statuses: dict[str, int]

    @property
    def rate_per_s(self) -> float:
        return self.graded / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def line(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()) if s != "passed")
        return (f"{self.entries} entries: {self.graded} graded, {self.skipped} unchanged, {self.reused} identical "
                f"to another entry, {len(self.failed)} grader failures; {self.elapsed_s:.1f} s "
                f"({self.rate_per_s:.2f} submissions/s); mean score {self.mean_score:.1f} / {self.max_score:g}"
                + (f"; tests not passed: {counts}" if counts else ""))


def suite_version(course: Course, options: GradeOptions) -> str:
    """A digest of everything that decides a grade besides the submission itself."""
    digest = hashlib.sha256(f"grader {__version__}\n".encode())
    for folder in ("assignments", "reference"):
        base = course.root / folder
        if base.is_dir():
            for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                digest.update(str(path.relative_to(course.root)).encode() + b"\0" + path.read_bytes() + b"\0")
    config = course.root / "course.toml"
    if config.is_file():
        digest.update(config.read_bytes())
    relevant = {k: v for k, v in asdict(options).items() if k in ("only", "visible_only", "device", "max_examples")}
    digest.update(json.dumps(relevant, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _unusable(entry: Entry, course: Course, options: GradeOptions) -> SubmissionResult:
    specs = [a for a in course.assignments if not options.only or a.id in options.only]
    results = tuple(not_graded(s, status="error", message=entry.problem, test_status="error") for s in specs)
    return SubmissionResult(submission=entry.id, score=0.0, max_score=round(sum(a.max_score for a in results), 6),
                            assignments=results, grader_version=__version__, seed=course.seed,
                            device=options.device, graded_at=_now())


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _task(entry: Entry, course: Course, options: GradeOptions) -> dict[str, Any]:
    grade_options = asdict(options)
    return {"entry": entry.id, "path": str(entry.path), "course_root": str(course.root),
            "include_hidden": course.has_reference, "options": grade_options}


def run_batch(root: str | Path, out_dir: str | Path, course: Course, options: BatchOptions | None = None,
              *, progress: ProgressFn | None = None) -> BatchSummary:
    """Grade every entry of ``root`` into ``out_dir``; see the module docstring for the layout."""
    import os

    options = options or BatchOptions()
    if options.executor not in ("local", "dask"):
        raise GraderError(f"unknown executor {options.executor!r} (expected 'local' or 'dask')")
    if options.executor == "dask" and not options.scheduler:
        raise GraderError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    started = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = discover(Path(root), out / "extracted")
    version = suite_version(course, options.grade)
    files = [a.student_file for a in course.assignments]
    skipped = reused = 0
    tasks: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    people: dict[str, dict[str, str]] = {}
    failed: list[str] = []
    leaders: dict[str, str] = {}  # content hash -> the entry graded for it in this run
    followers: dict[str, list[str]] = {}  # content hash -> entries with the same files, copied after
    report = progress or (lambda *_: None)
    with Store(out / "grades.sqlite") as store:
        report("start", 0, len(entries))
        done = 0
        for entry in entries:
            people[entry.id] = {"name": entry.student_name, "email": entry.student_email, "sid": entry.student_id}
            digest = content_hash(entry.path, files) if not entry.problem else "unusable:" + entry.problem
            hashes[entry.id] = digest
            if not options.regrade and store.is_current(entry.id, digest, version):
                skipped += 1
                done += 1
                report("skipped", done, len(entries))
                continue
            if entry.problem:
                store.save(_unusable(entry, course, options.grade), content_hash=digest, suite_version=version,
                           student=people[entry.id])
                done += 1
                report("graded", done, len(entries))
                continue
            twin = None if options.regrade else store.same_content(digest, version)
            if twin is not None:
                result = replace(from_dict(twin), submission=entry.id)
                store.save(result, content_hash=digest, suite_version=version, student=people[entry.id])
                reused += 1
                done += 1
                report("graded", done, len(entries))
                continue
            if digest in leaders:  # identical files to an entry queued in this run: grade once
                followers.setdefault(digest, []).append(entry.id)
                continue
            leaders[digest] = entry.id
            tasks.append(_task(entry, course, options.grade))
        if options.executor == "dask":
            outcomes = run_dask(tasks, options.scheduler)
        else:
            outcomes = run_local(tasks, options.jobs or os.cpu_count() or 1)
        for task, data, error in outcomes:
            digest = hashes[task["entry"]]
            twins = followers.get(digest, [])
            if data is None:
                failed += [f"{name}: {error}" for name in [task["entry"], *twins]]
            else:
                result = from_dict(data)
                store.save(result, content_hash=digest, suite_version=version, student=people[task["entry"]])
                for name in twins:
                    store.save(replace(result, submission=name), content_hash=digest, suite_version=version,
                               student=people[name])
                reused += len(twins)
            done += 1 + len(twins)
            report("graded", done, len(entries))
        current = {e.id for e in entries}
        results = [(r, s) for r, s in store.results() if r.submission in current]
    if options.reports:
        write_reports(out, results)
    statuses = Counter(t.status for r, _ in results for a in r.assignments for t in a.tests)
    totals = [r.score for r, _ in results]
    return BatchSummary(
        entries=len(entries), graded=len(tasks) - len(failed), skipped=skipped, reused=reused,
        failed=tuple(failed), elapsed_s=round(time.monotonic() - started, 3), out_dir=str(out),
        mean_score=sum(totals) / len(totals) if totals else 0.0,
        max_score=max((r.max_score for r, _ in results), default=0.0), statuses=dict(statuses),
    )


def write_reports(out: Path, results: list[tuple[SubmissionResult, dict[str, str]]]) -> None:
    """Every report of the batch, from the stored results."""
    from grader.formats.grade_json import write as write_json
    from grader.formats.gradebook import write_canvas_gradebook, write_gradebook
    from grader.report.class_summary import summarize
    from grader.report.dashboard import write_dashboard
    from grader.report.html import write_report

    folder = out / "submissions"
    folder.mkdir(exist_ok=True)
    links: dict[str, str] = {}
    for result, _ in results:
        write_json(result, folder / f"{result.submission}.json")
        # The instructor's copy shows hidden tests' inputs; the student's copy, safe to hand out, does not.
        write_report(result, folder / f"{result.submission}.html", show_hidden_inputs=True)
        write_report(result, folder / f"{result.submission}.student.html", show_hidden_inputs=False)
        links[result.submission] = f"submissions/{result.submission}.html"
    plain = [r for r, _ in results]
    write_gradebook(plain, out / "gradebook.csv")
    roster = {r.submission: {"name": s.get("name") or r.submission, "sis_user_id": s.get("sid", ""),
                             "sis_login_id": s.get("email", "")} for r, s in results}
    write_canvas_gradebook(plain, out / "canvas.csv", roster=roster)
    summary = summarize(plain)
    (out / "summary.json").write_text(json.dumps(asdict(summary), indent=2, default=str) + "\n")
    write_dashboard(plain, out, report_paths=links)
