"""The command line, in-process and as a subprocess: exit codes, outputs, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
