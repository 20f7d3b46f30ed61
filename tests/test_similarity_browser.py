"""The similarity pages open in headless Chromium without console errors, and the pair view shows
both submissions side by side with their matching regions highlighted.

Skipped when Debian's ``chromium`` is not installed (``.ci/run`` installs it). Screenshots are
saved under the test's temporary folder.
"""

from __future__ import annotations

import numpy as np
import pytest
from paths import FIXTURES, ROOT
from test_report_browser import CHROMIUM, LAPTOP, PHONE, _open
from test_similarity import disguise

from grader.course import load_course
from grader.similarity import run_similarity

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")

HIGHLIGHTS = ["#ffe08a", "#b8e3ff", "#c9f2c1", "#ffc9e3", "#e2d4ff", "#ffd3b0"]  # similarity.css, light scheme


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    course = load_course(ROOT, include_hidden=False)
    root = tmp_path_factory.mktemp("class")
    original = (FIXTURES / "iou" / "correct_loops.py").read_text()
    for name, text in (("alice", original), ("bob", disguise(original, {"box_area", "box_iou", "nms"}, 3)),
                       ("carol", (FIXTURES / "iou" / "correct_unbind.py").read_text())):
        (root / name).mkdir()
        (root / name / "iou.py").write_text(text)
    out = tmp_path_factory.mktemp("out")
    result = run_similarity(root, out, course, only=("iou",), jobs=1)
    assert [(p.submission_a, p.submission_b) for p in result.pairs] == [("alice", "bob")]
    return out


def _highlighted_share(png, columns: slice) -> float:
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[:, columns, :3] * 255).round().astype(int)
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in HIGHLIGHTS])
    hit = (np.abs(pixels[:, :, None, :] - colours[None, None, :, :]).max(axis=-1) <= 3).any(axis=-1)
    return float(hit.mean())


def test_pair_view_shows_both_sides_highlighted(pages, tmp_path):
    page = pages / "similarity" / "iou-001.html"
    shot = tmp_path / "pair-laptop.png"
    assert _open(page, shot, LAPTOP, tmp_path) == []
    width = LAPTOP[0]
    left, right = _highlighted_share(shot, slice(0, width // 2)), _highlighted_share(shot, slice(width // 2, width))
    assert left > 0.05 and right > 0.05, (left, right)  # matching regions marked on both sides
    assert _open(page, tmp_path / "pair-phone.png", PHONE, tmp_path) == []


def test_index_page_renders_without_console_errors(pages, tmp_path):
    for name, size in (("index-laptop", LAPTOP), ("index-phone", PHONE)):
        assert _open(pages / "similarity.html", tmp_path / f"{name}.png", size, tmp_path) == []
