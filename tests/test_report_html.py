"""The per-submission HTML report shows what a student needs and nothing it must not."""

from __future__ import annotations

import html
import re

from sample_results import HIDDEN_SECRET, XSS, mixed_submission

from grader.report.html import render_report, write_report
from grader.report.presentation import comparison_of, format_pair, truncate_output


def _text(page: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_every_status_is_rendered_with_its_icon_and_label():
    page = render_report(mixed_submission())
    for status, icon in (("passed", "✓"), ("failed", "✗"), ("error", "!"), ("timeout", "⏱"), ("violation", "⛔"),
                         ("not_implemented", "○")):
        assert f'data-status="{status}"' in page, status
        assert f'<span class="icon s-{status}" title="{status.replace("_", " ")}">{icon}</span>' in page, status
    for label in ("failed", "error", "timeout", "violation", "not implemented", "missing", "graded"):
        assert f">{label}</span>" in page, label


def test_student_text_is_escaped_everywhere():
    page = render_report(mixed_submission())
    assert XSS not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # the message, the counterexample and the printed output each carry it, escaped
    assert page.count("&lt;script&gt;") >= 3
    assert page.count("<script>") == 1  # the report's own print helper only


def test_counterexample_is_shown_as_runnable_python():
    text = _text(render_report(mixed_submission()))
    assert "from iou import box_iou" in text
    assert "box_iou(torch.zeros(2, 4), torch.ones(2, 4))" in text
    assert "Reproduce it" in text


def test_hidden_tests_show_name_and_points_but_not_inputs():
    page = render_report(mixed_submission())
    assert "hidden reference comparison" in page
    assert HIDDEN_SECRET not in page and "31337" not in page
    assert "Its inputs are not shown" in page
    instructor = render_report(mixed_submission(), show_hidden_inputs=True)
    assert HIDDEN_SECRET in html.unescape(instructor)


def test_totals_and_per_assignment_scores_add_up():
    result = mixed_submission()
    text = " ".join(_text(render_report(result)).split())
    assert "3.5 / 28.5 points" in text
    assert "(12.3%)" in text
    for a in result.assignments:
        assert f"{a.id} " in text
    assert sum(a.score for a in result.assignments) == result.score
    assert "total 3.5 / 28.5" in text


def test_expected_and_got_side_by_side_with_differences_marked():
    page = render_report(mixed_submission())
    assert page.count('class="bad"') == 4  # two differing elements, in expected and in got
    text = " ".join(_text(page).split())
    assert "2 of 4 elements differ" in text
    assert "worst absolute error [1, 1] 0.25 1 0.75" in text
    assert "NaN or Inf in your result at [0, 1]" in text


def test_traceback_hint_and_truncated_stdout():
    text = _text(render_report(mixed_submission()))
    assert "IndexError: index 5 is out of bounds" in text
    assert "Hint: Clamp the intersection at 0." in " ".join(text.split())
    assert "output truncated" in text
    assert "x" * 5000 not in text


def test_missing_and_import_error_assignments_explain_themselves():
    text = " ".join(_text(render_report(mixed_submission())).split())
    assert "Not submitted: elbo.py was not submitted" in text
    assert "Could not be imported, so every test scores 0: SyntaxError: invalid syntax" in text


def test_header_names_submission_time_version_and_seed():
    text = " ".join(_text(render_report(mixed_submission())).split())
    assert "alice" in text and "2026-01-02T03:04:05+00:00" in text
    assert "version 0.1.0, seed 1234" in text


def test_page_is_self_contained_and_themed(tmp_path):
    path = tmp_path / "sub" / "report.html"
    write_report(mixed_submission(), path)
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched
    assert "prefers-color-scheme: dark" in page and "@media print" in page
    assert 'name="viewport"' in page


def test_numbers_differ_where_values_differ():
    assert format_pair(-1.9606070518493652, -1.9606070927263608) == ("-1.96060705", "-1.96060709")
    got, expected = format_pair(2.00001, 2.0)
    assert (got, expected) == ("2.00001", "2")
    assert comparison_of({"kind": "shape", "got_shape": [2], "expected_shape": [2, 1]}).got_text == "shape (2,)"


def test_truncate_output_keeps_short_output_whole():
    assert truncate_output("hello\n") == ("hello\n", "")
    kept, note = truncate_output("line\n" * 500)
    assert kept.count("\n") == 60 and "of 2,500 characters" in note
