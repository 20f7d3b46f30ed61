"""``grader similarity ROOT --out DIR``: read the class, compare it, write the report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.batch.entries import discover
from grader.config import SimilarityConfig
from grader.course import Course
from grader.similarity.compare import ProgressFn, SimilarityResult, compare_entries
from grader.similarity.report import write_similarity_report

__all__ = ["run_similarity"]


def run_similarity(root: str | Path, out_dir: str | Path, course: Course, *, only: tuple[str, ...] = (),
                   settings: SimilarityConfig | None = None, jobs: int | None = None,
                   progress: ProgressFn | None = None) -> SimilarityResult:
    """Compare every entry of ``root`` (as ``grader batch`` reads it) for every assignment of
    ``course`` (or those in ``only``), and write ``similarity.csv`` and ``similarity.html`` under
    ``out_dir``. Settings default to the course's ``[similarity]`` table."""
    specs = list(course.pick(only or ()))
    settings = settings or course.config.similarity
    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as scratch:
        entries = [e for e in discover(Path(root), Path(scratch)) if not e.problem]
        names = {e.id: e.student_name for e in entries if e.student_name}
        result = compare_entries([(e.id, e.path) for e in entries], specs, settings, jobs=jobs, progress=progress)
        write_similarity_report(result, out_dir, specs, names=names, jobs=jobs or os.cpu_count() or 1)
    return result
