"""What a student is told does not change when the grader gets faster (issue 16).

Every fixture of ``tests/fixtures`` and every hostile file of ``tests/hostile`` whose outcome
does not depend on the machine is graded and compared with the snapshot recorded before the
speed work (``data/grading_golden.json.gz``, made by ``grading_snapshot.py``): grades,
statuses, messages, counterexamples, details and output, apart from timings and the message of
a timeout (it now states the per-call limit). An assignment whose suites changed since is
skipped (its grades were meant to change). The snapshot was drawn by particular hypothesis
and torch versions; with others the examples differ, and the comparison is skipped.
"""

from __future__ import annotations

import os

import pytest
from grading_snapshot import fixture_cases, grade_case, hostile_cases, load, normalise, suite_digests, versions
from paths import ROOT

GOLDEN = ROOT / "tests" / "data" / "grading_golden.json.gz"
RECORDED = load(GOLDEN)
CASES = fixture_cases() + hostile_cases()

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")


def test_every_recorded_submission_is_still_graded() -> None:
    assert set(RECORDED["results"]) <= {key for key, _ in CASES}
    assert len(CASES) >= 200


@pytest.mark.parametrize("key,path", CASES, ids=[key for key, _ in CASES])
def test_grading_matches_the_recorded_snapshot(key, path, course) -> None:
    if RECORDED["versions"] != versions():
        pytest.skip(f"snapshot drawn with {RECORDED['versions']}, this is {versions()}")
    if key not in RECORDED["results"]:
        pytest.skip(f"{key} is newer than the snapshot")
    assert course.seed == RECORDED["seed"]
    now_digests = suite_digests()
    for assignment in ("iou", "conv_shapes") if key.startswith("hostile/") else (key.split("/")[0],):
        if RECORDED["suites"].get(assignment) != now_digests.get(assignment):
            pytest.skip(f"the {assignment} suites changed since the snapshot: record it anew (grading_snapshot.py)")
    now = normalise(grade_case(course, key, path))
    assert now == normalise(RECORDED["results"][key])
