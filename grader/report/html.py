"""The per-submission HTML report: one self-contained file (CSS inline, no network).

It opens from a zip or an LMS upload as it is. Hidden tests show their name, points and
status only, unless ``show_hidden_inputs`` (the instructor's copy); see
:mod:`grader.report.presentation` for exactly what is withheld.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from grader.atomic import write_atomically

if TYPE_CHECKING:  # results renders itself through this module (_repr_html_): no import back
    from grader.results import SubmissionResult
from grader.report.presentation import STATUS_DISPLAY, format_points, percent_of, present_assignment

__all__ = ["environment", "inline_report", "render_report", "write_report"]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates of ``grader/report/templates``, autoescaped (``.j2`` included)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = format_points
    return env


def render_report(result: SubmissionResult, *, show_hidden_inputs: bool = False) -> str:
    assignments = [present_assignment(a, show_hidden_inputs=show_hidden_inputs) for a in result.assignments]
    return environment().get_template("report.html.j2").render(
        result=result,
        assignments=assignments,
        percent=percent_of(result),
        labels={k: v[0] for k, v in STATUS_DISPLAY.items()},
        show_hidden_inputs=show_hidden_inputs,
    )


def write_report(result: SubmissionResult, path: str | Path, *, show_hidden_inputs: bool = False) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, render_report(result, show_hidden_inputs=show_hidden_inputs))


def inline_report(result: SubmissionResult, *, show_hidden_inputs: bool = False, height_px: int = 640) -> str:
    """The report for a notebook's output: the very page :func:`render_report` makes, in an
    iframe, so that its styles and the notebook's never mix. The frame grows to the page's
    height where the notebook lets its script run, and scrolls otherwise."""
    page = render_report(result, show_hidden_inputs=show_hidden_inputs)
    grow = "try{this.style.height=(this.contentWindow.document.documentElement.scrollHeight+24)+'px'}catch(e){}"
    return (f'<iframe class="grader-report" title="grade report: {html.escape(result.submission)}" '
            f'style="width:100%;height:{height_px}px;border:1px solid #ddd;border-radius:6px" '
            f'onload="{html.escape(grow)}" srcdoc="{html.escape(page, quote=True)}"></iframe>')
