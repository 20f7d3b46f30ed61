"""The dashboard's pictures, drawn with matplotlib (Agg) and inlined as SVG.

Text and axes are drawn in ``currentColor`` so a plot follows the page's light or dark
theme; bars use colours readable on both.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

BAR_COLOUR = "#4c8dd6"
PASS_COLOUR = "#3fa45b"
FAIL_COLOUR = "#d9534f"
_INK = "#010203"  # a marker colour, replaced by currentColor in the SVG

_STYLE = {
    "svg.fonttype": "none",  # real <text>, selectable and crisp
    "svg.hashsalt": "grader",  # stable ids, so the same data gives the same file
    "font.size": 9,
    "font.family": "sans-serif",
    "text.color": _INK,
    "axes.labelcolor": _INK,
    "axes.edgecolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
}


def _to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: it is inlined in HTML
    svg = re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)  # scale with the page
    return svg.replace(_INK, "currentColor")


def histogram_svg(scores: Sequence[float], max_score: float, *, title: str, bins: int = 10) -> str:
    """How many submissions scored in each tenth of ``max_score``."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(4.2, 2.2))
        top = max_score if max_score > 0 else 1.0
        ax.hist([min(max(s, 0.0), top) for s in scores], bins=bins, range=(0, top), color=BAR_COLOUR,
                edgecolor="white", linewidth=0.5)
        ax.set_xlim(0, top)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("points")
        ax.set_ylabel("submissions")
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _to_svg(fig)


def pass_rate_svg(labels: Sequence[str], rates: Sequence[float], *, title: str) -> str:
    """Horizontal bars of the share of submissions passing each test."""
    with plt.rc_context(_STYLE):
        height = 0.6 + 0.24 * max(len(labels), 1)
        fig, ax = plt.subplots(figsize=(6.4, height))
        y = list(range(len(labels)))
        ax.barh(y, [1.0] * len(labels), color=FAIL_COLOUR, alpha=0.35, height=0.7)
        ax.barh(y, list(rates), color=PASS_COLOUR, height=0.7)
        ax.set_yticks(y, [_shorten(label) for label in labels], fontsize=7.5)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(title, fontsize=10, loc="left")
        for yi, rate in zip(y, rates, strict=True):
            ax.text(min(rate, 0.88) + 0.01, yi, f"{rate:.0%}", va="center", fontsize=7)
        return _to_svg(fig)


def _shorten(text: str, width: int = 58) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
