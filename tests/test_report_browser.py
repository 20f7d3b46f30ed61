"""The report and the dashboard open in a real browser (headless Chromium) without console errors.

Skipped when Debian's ``chromium`` is not installed (``.ci/run`` installs it). Screenshots
of each page, on a laptop and on a phone, are saved under the test's temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sample_results import mixed_submission, perfect_submission

from grader.report.dashboard import write_dashboard
from grader.report.html import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")

LAPTOP = (1280, 1800)
PHONE = (390, 1800)


def _open(page: Path, screenshot: Path, size: tuple[int, int], tmp_path: Path) -> list[str]:
    """Render ``page`` to ``screenshot``; return the browser console's lines."""
    profile = tmp_path / f"profile-{screenshot.stem}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--hide-scrollbars", f"--window-size={size[0]},{size[1]}", f"--screenshot={screenshot}",
           page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def test_console_check_catches_a_broken_page(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><p>x</p>" + "<p>padding</p>" * 200 + "<script>undefined_fn();</script>")
    console = _open(page, tmp_path / "broken.png", (800, 600), tmp_path)
    assert any("undefined_fn" in line for line in console)


def test_report_renders_without_console_errors(tmp_path):
    page = tmp_path / "alice.html"
    write_report(mixed_submission("alice"), page)
    for name, size in (("report-laptop", LAPTOP), ("report-phone", PHONE)):
        assert _open(page, tmp_path / f"{name}.png", size, tmp_path) == []


def test_dashboard_renders_without_console_errors(tmp_path):
    results = [mixed_submission("alice"), perfect_submission("bob")]
    for r in results:
        write_report(r, tmp_path / f"{r.submission}.html")
    index = write_dashboard(results, tmp_path, report_paths={r.submission: f"{r.submission}.html" for r in results})
    for name, size in (("dashboard-laptop", LAPTOP), ("dashboard-phone", PHONE)):
        assert _open(index, tmp_path / f"{name}.png", size, tmp_path) == []
