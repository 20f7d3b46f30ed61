"""``grader demo`` grades the bundled examples and says where the dashboard is."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_demo_writes_dashboard_reports_and_gradebooks(tmp_path, capsys):
    out = tmp_path / "demo"
    started = time.monotonic()
    assert main(["demo", "--out", str(out), "--course", str(ROOT)]) == 0
    elapsed = time.monotonic() - started
    printed = capsys.readouterr().out
    index = out / "index.html"
    assert index.is_file()
    assert f"dashboard: {index.resolve()}\n" in printed  # on one line, to copy or pipe
    names = {"correct", "partly_buggy", "crashing", "missing_files", "notebook", "stubs"}
    for name in names:
        assert (out / f"{name}.html").is_file() and (out / f"{name}.json").is_file()
    scores = {n: json.loads((out / f"{n}.json").read_text())["score"] for n in names}
    assert scores["stubs"] == 0.0
    assert scores["correct"] > scores["partly_buggy"] > 0
    notebook = {a["id"]: a for a in json.loads((out / "notebook.json").read_text())["assignments"]}
    assert {Path(notebook[i]["file"]).name for i in ("backprop", "conv_shapes", "iou")} == {"backprop.ipynb",
                                                                                          "homework.ipynb"}
    assert notebook["backprop"]["score"] == notebook["conv_shapes"]["score"] == 12.5
    assert notebook["iou"]["status"] == "graded" and notebook["iou"]["score"] < 12.5  # its +1 pixel bug
    assert notebook["lstm"]["status"] == "missing"
    assert "is tagged skip-grading: not run" in (out / "notebook.html").read_text()
    crashing = json.loads((out / "crashing.json").read_text())
    statuses = {t["status"] for a in crashing["assignments"] for t in a["tests"]}
    assert {"error", "timeout", "violation"} <= statuses
    assert set(pd.read_csv(out / "gradebook.csv")["submission"]) == names
    assert (out / "canvas.csv").is_file()
    page = index.read_text()
    for name in names:
        assert f'href="{name}.html"' in page
    print(f"grader demo took {elapsed:.0f} s")


def test_the_examples_are_built_from_the_fixtures_not_copies(tmp_path):
    import shutil

    import pytest

    from grader.config import tomllib
    from grader.course import load_course
    from grader.demo import assemble_examples
    from grader.errors import CourseError

    manifest = tomllib.loads((ROOT / "examples" / "submissions.toml").read_text())
    course = load_course(ROOT)
    built = dict(assemble_examples(course, tmp_path / "built"))
    assert set(manifest) <= set(built)
    assert sorted(p.name for p in built["correct"].iterdir()) == sorted(a.student_file for a in course.assignments)
    for name, files in manifest.items():
        for student_file, fixture in files.items():
            want = (ROOT / "tests" / "fixtures" / f"{fixture}.py").read_bytes()
            assert (built[name] / student_file).read_bytes() == want
            if name == "correct":
                assert fixture.split("/")[1].startswith("correct_")
    # no example file repeats a fixture: what a fixture holds is named in the manifest
    fixtures = {p.read_bytes() for p in (ROOT / "tests" / "fixtures").glob("*/*.py")}
    assert not [p for p in (ROOT / "examples" / "submissions").rglob("*.py") if p.read_bytes() in fixtures]
    broken = tmp_path / "course"
    for folder in ("assignments", "reference"):
        shutil.copytree(ROOT / folder / "iou", broken / folder / "iou")
    (broken / "examples").mkdir()
    (broken / "examples" / "submissions.toml").write_text('[correct]\n"iou.py" = "iou/no_such_fixture"\n')
    (broken / "tests" / "fixtures").mkdir(parents=True)
    with pytest.raises(CourseError, match=r'submissions.toml: \[correct\] .iou.py.: expected the name of a fixture'):
        assemble_examples(load_course(broken), tmp_path / "out")
