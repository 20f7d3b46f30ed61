"""benchmarks/gpu_parity.py without a GPU: it says the run is owed and grades nothing, and its
verdicts (what counts as a parity failure) are right on made-up results."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch
from paths import FIXTURES, ROOT

SCRIPT = ROOT / "benchmarks" / "gpu_parity.py"


@pytest.fixture(scope="module")
def parity():
    spec = importlib.util.spec_from_file_location("_gpu_parity", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_a_gpu_it_grades_nothing_and_says_the_run_is_owed(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(tmp_path / "r.json")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "no CUDA GPU here" in out.stdout and "still owed" in out.stdout
    assert not (tmp_path / "r.json").exists()


def _result(device, statuses, max_score=2.0):
    tests = {name: {"status": s, "message": "" if s == "passed" else "why"} for name, s in statuses.items()}
    score = sum(1.0 for s in statuses.values() if s == "passed")
    return {"device": device, "score": score, "max_score": max_score, "tests": tests}


def test_a_correct_file_losing_a_point_on_the_gpu_fails_parity(parity):
    path = FIXTURES / "iou" / "correct_loops.py"
    failures, _, _ = parity.judge(path, _result("cpu", {"a": "passed", "b": "passed"}),
                                  _result("cuda", {"a": "passed", "b": "failed"}))
    assert failures and "lost points on cuda" in failures[0]


def test_a_buggy_file_with_another_verdict_on_the_gpu_fails_parity(parity):
    path = FIXTURES / "iou" / "buggy_plus_one_pixel.py"
    failures, lines, _ = parity.judge(path, _result("cpu", {"a": "failed", "b": "passed"}),
                                      _result("cuda", {"a": "failed", "b": "failed"}))
    assert failures and "verdict(s) differ" in failures[0]
    assert "verdict differs: 'b': cpu passed, cuda failed" in lines[0]


def test_a_device_bug_must_be_caught_on_both_devices_by_its_named_test(parity):
    path = FIXTURES / "iou" / "buggy_device_iou_zeros.py"
    named = "box_iou matches the definition, shape (N, M)"
    caught = {named: "failed", "other": "passed"}
    ok, _, _ = parity.judge(path, _result("cpu", caught), _result("cuda", caught))
    assert ok == []
    missed, _, _ = parity.judge(path, _result("cpu", caught), _result("cuda", {named: "passed", "other": "failed"}))
    assert missed and "not caught on cuda" in missed[0]


def test_a_bug_a_short_search_misses_on_both_devices_is_only_a_note(parity):
    path = FIXTURES / "iou" / "buggy_plus_one_pixel.py"
    clean = {"a": "passed", "b": "passed"}
    failures, _, notes = parity.judge(path, _result("cpu", clean), _result("cuda", clean))
    assert failures == [] and "not caught on either device" in notes[0]
