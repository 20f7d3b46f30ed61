"""The class dashboard: flags first, distributions, pass rates, common counterexamples, links."""

from __future__ import annotations

import html
import re

import pytest
from sample_results import XSS, mixed_submission, perfect_submission

from grader.report.class_summary import summarize
from grader.report.dashboard import render_dashboard, write_dashboard


def _results():
    return [perfect_submission("bob"), mixed_submission("alice"), mixed_submission("carol")]


@pytest.fixture(scope="module")
def page() -> str:
    """Rendered once: plotting is the slow part."""
    return render_dashboard(_results())


def test_summary_counts_pass_rates_and_common_failures():
    summary = summarize(_results())
    assert summary.submissions == 3 and summary.totals == (28.5, 3.5, 3.5)
    rate = {(r.assignment_id, r.test_name): r for r in summary.pass_rates}
    assert (rate[("iou", "box_area is right")].passed, rate[("iou", "box_area is right")].attempted) == (3, 3)
    assert rate[("iou", "box_iou matches the definition")].rate == 1 / 3
    # the missing assignment is not counted as attempted for the two that lack it
    assert rate[("elbo", "kl")].attempted == 1
    top = summary.common_failures[0]
    assert top.students == 2 and top.assignment_id in ("iou", "backprop")
    assert [f.submission for f in summary.flags] == ["alice", "carol"]
    assert any("timeout" in reason for reason in summary.flags[0].reasons)
    assert any("violation" in reason for reason in summary.flags[0].reasons)
    assert any("import failed" in reason for reason in summary.flags[0].reasons)


def test_flagged_submissions_come_first_and_link_to_reports(tmp_path):
    path = write_dashboard(_results(), tmp_path, report_paths={"alice": "alice.html", "bob": "bob.html"})
    assert path == tmp_path / "index.html"
    page = path.read_text(encoding="utf-8")
    table = page[page.index('id="table"'):]
    assert table.index(">alice<") < table.index(">carol<") < table.index(">bob<")
    assert '<a href="alice.html">alice</a>' in page and '<a href="bob.html">bob</a>' in page
    assert "Needs a look (2)" in page


def test_plots_are_inline_svg_and_nothing_is_fetched(page):
    assert page.count("<svg") == 1 + 4 + 4  # total, per assignment, pass rates per assignment
    assert "currentColor" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_common_counterexamples_are_escaped_with_their_counts(page):
    assert XSS not in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "2 students" in text
    assert "box_iou(torch.zeros(2, 4), torch.ones(2, 4))" in text
