"""The progress callback advances one step per test and stays silent off a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from grader.report.progress import grading_progress


def test_progress_counts_tests_and_prints_nothing_when_not_a_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with grading_progress(console, total_tests=3) as progress:
        progress("iou", "box_area is right")
        progress("iou", "nms " + "x" * 100)
        task = progress._progress.tasks[0]
        assert task.completed == 2 and task.total == 3
        assert task.description.startswith("iou: nms") and task.description.endswith("…")
    assert out.getvalue() == ""


def test_progress_draws_on_a_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with grading_progress(console, total_tests=1) as progress:
        progress("lstm", "lstm_cell")
    assert "lstm" in out.getvalue() or "1/1" in out.getvalue()
