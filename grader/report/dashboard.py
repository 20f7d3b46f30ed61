"""The class dashboard (``DIR/index.html``): distributions, pass rates, common failures, a table.

Submissions that timed out, crashed or broke a rule come first; the table sorts by any
column (a few lines of inline script; without script it stays in that order). Everything
is in the one file: plots are inline SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.atomic import write_atomically
from grader.report.class_summary import ClassSummary, summarize, trouble_reasons
from grader.report.html import environment
from grader.report.plots import histogram_svg, pass_rate_svg
from grader.report.presentation import percent_of
from grader.results import SubmissionResult

__all__ = ["render_dashboard", "write_dashboard"]


def _plots(summary: ClassSummary) -> dict[str, object]:
    total = histogram_svg(summary.totals, summary.max_score, title="Total score")
    per_assignment = [(a.id, histogram_svg(a.scores, a.max_score, title=a.title)) for a in summary.assignments]
    rates = []
    for a in summary.assignments:
        rows = [r for r in summary.pass_rates if r.assignment_id == a.id]
        if rows:
            labels = [("[hidden] " if r.visibility != "visible" else "") + r.test_name for r in rows]
            attempted = max(r.attempted for r in rows)
            title = f"{a.id}: pass rate per test ({attempted} graded)"
            rates.append((a.id, pass_rate_svg(labels, [r.rate for r in rows], title=title)))
    return {"total": total, "assignments": per_assignment, "pass_rates": rates}


def render_dashboard(results: Sequence[SubmissionResult], *, report_paths: Mapping[str, str] | None = None,
                     title: str = "Class dashboard", regrade_report: str | None = None,
                     similarity_report: str | None = None) -> str:
    summary = summarize(results)
    report_paths = report_paths or {}
    assignment_ids = [a.id for a in summary.assignments]
    rows = []
    for r in results:
        by_id = {a.id: a for a in r.assignments}
        rows.append({
            "submission": r.submission,
            "link": report_paths.get(r.submission),
            "score": r.score,
            "max_score": r.max_score,
            "percent": percent_of(r),
            "cells": [by_id.get(aid) for aid in assignment_ids],
            "reasons": trouble_reasons(r),
        })
    rows.sort(key=lambda row: (not row["reasons"], row["submission"]))
    return environment().get_template("dashboard.html.j2").render(
        title=title, summary=summary, rows=rows, assignment_ids=assignment_ids, plots=_plots(summary),
        report_paths=report_paths, regrade_report=regrade_report, similarity_report=similarity_report,
        graded_at=max((r.graded_at for r in results), default=""),
        grader_version=next((r.grader_version for r in results if r.grader_version), ""),
    )


def write_dashboard(results: Sequence[SubmissionResult], out_dir: Path, *,
                    report_paths: Mapping[str, str] | None = None, regrade_report: str | None = None) -> Path:
    """Write ``out_dir/index.html``; ``report_paths`` maps ``result.submission`` to a relative link,
    ``regrade_report`` is the relative link of the latest regrade's report (if there is one)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    # ``grader batch --similarity`` (or ``grader similarity --out`` the same folder) wrote one.
    similarity = "similarity.html" if (out_dir / "similarity.html").is_file() else None
    write_atomically(path, render_dashboard(results, report_paths=report_paths, regrade_report=regrade_report,
                                            similarity_report=similarity))
    return path
