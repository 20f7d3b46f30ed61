"""The command line, in-process and as a subprocess: exit codes, outputs, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.cli import main

COURSE = Path(__file__).parent / "engine_course"
REFERENCE = COURSE / "reference" / "toy"
STUB = COURSE / "assignments" / "toy"


def test_grade_writes_json_and_exits_zero_whatever_the_score(tmp_path, capsys):
    out = tmp_path / "grade.json"
    assert main(["grade", str(STUB), "--course", str(COURSE), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == 12.5
    (assignment,) = data["assignments"]
    assert assignment["id"] == "toy" and assignment["status"] == "graded"
    for test in assignment["tests"]:
        assert set(test) >= {"name", "functions", "score", "max_score", "status", "visibility", "message",
                             "counterexample"}
        assert test["status"] == "failed" and test["message"].endswith("not implemented yet")
    assert "not implemented" in capsys.readouterr().out


def test_check_runs_visible_tests_and_honours_fail_under(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(REFERENCE), "--course", str(COURSE), "--fail-under", "100"]) == 0
    report = (tmp_path / "grader-check.html").read_text()  # check writes a report by default
    assert "relu_backward" in report and "12.5" in report
    (tmp_path / "grader-check.html").unlink()
    assert main(["check", str(REFERENCE), "--course", str(COURSE), "--no-html"]) == 0
    assert not (tmp_path / "grader-check.html").exists()
    assert main(["check", str(STUB), "--course", str(COURSE), "--fail-under", "50"]) == 1
    out = tmp_path / "check.json"
    assert main(["check", str(STUB), "--course", str(COURSE), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["mode"] == "check"
    assert {t["visibility"] for t in data["assignments"][0]["tests"]} == {"visible"}


def test_course_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["grade", str(STUB), "--course", str(tmp_path)]) == 2
    assert "not a course folder" in capsys.readouterr().err
    assert main(["grade", str(STUB), "--course", str(COURSE), "--only", "nope"]) == 2
    assert "no assignment 'nope'" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "absent"), "--course", str(COURSE)]) == 2


def test_a_broken_suite_names_its_file(tmp_path, capsys):
    broken = tmp_path / "course" / "assignments" / "bad"
    broken.mkdir(parents=True)
    (broken / "suite.py").write_text("from grader.spec import Suite\nsuite = Suite('other', student_file='x.py', "
                                     "functions=('f',))\n")
    assert main(["check", str(tmp_path), "--course", str(tmp_path / "course")]) == 2
    err = capsys.readouterr().err
    assert "suite.py" in err and "does not match its folder 'bad'" in err


def test_two_processes_with_different_hash_seeds_give_the_same_grade(tmp_path):
    buggy = tmp_path / "sub"
    buggy.mkdir()
    source = (REFERENCE / "toy.py").read_text() + "\n\ndef relu_backward(dout, z):\n    return dout * (z > 0.25)\n"
    (buggy / "toy.py").write_text(source)
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"run{hash_seed}.json"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, NO_COLOR="1")
        subprocess.run([sys.executable, "-m", "grader", "grade", str(buggy), "--course", str(COURSE),
                        "--json", str(out), "--quiet"], check=True, env=env, cwd=tmp_path, timeout=300)
        data = json.loads(out.read_text())
        outputs.append([(t["name"], t["status"], t["message"], t["counterexample"])
                        for a in data["assignments"] for t in a["tests"]])
    assert outputs[0] == outputs[1]
    assert any(status == "failed" for _, status, _, _ in outputs[0])


def test_jobs_default_to_the_cores_and_can_be_set(tmp_path, monkeypatch):
    import grader.cli as cli

    seen = []
    real = cli.grade_submission

    def spy(path, course, options, **kwargs):
        seen.append(options.jobs)
        return real(path, course, options, **kwargs)

    monkeypatch.setattr(cli, "grade_submission", spy)
    monkeypatch.setattr(cli, "default_jobs", lambda: 7)
    monkeypatch.chdir(tmp_path)
    assert main(["grade", str(REFERENCE), "--course", str(COURSE), "--quiet"]) == 0
    assert main(["check", str(REFERENCE), "--course", str(COURSE), "--jobs", "2", "--no-html"]) == 0
    assert main(["grade", str(REFERENCE), "--course", str(COURSE), "--jobs", "0"]) == 2
    assert seen == [7, 2]


def _processes_marked(mark: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_a_grading_process_ends_with_its_output_written_and_its_fork_server_gone(tmp_path):
    """``python -m grader grade`` leaves without tearing down its interpreter and kills its
    fork server (grader/__main__.py): the JSON is whole, the report flushed, the exit status the
    command's, and no process of its own (the fork server) outlives it."""
    out, log = tmp_path / "grade.json", tmp_path / "stdout.txt"
    mark = f"GRADER_TEST_MARK_{os.getpid()}_{time.monotonic_ns()}"
    env = dict(os.environ, NO_COLOR="1", **{mark: "1"})
    with log.open("w") as stdout:  # a file, not a pipe: returning does not wait for the server
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(REFERENCE), "--course", str(COURSE),
                               "--json", str(out)], env=env, cwd=tmp_path, timeout=300, stdout=stdout,
                              stderr=subprocess.STDOUT)
    assert done.returncode == 0, log.read_text()
    assert _processes_marked(mark) == []
    data = json.loads(out.read_text())
    assert data["score"] == data["max_score"] > 0
    assert "toy" in log.read_text()  # the report itself, flushed before the process left
    bad = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "none"), "--course", str(COURSE)],
                         env=env, cwd=tmp_path, timeout=300, capture_output=True, text=True)
    assert bad.returncode == 2 and "no such submission" in bad.stderr
