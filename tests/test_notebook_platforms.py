"""Notebooks through every door: ``grader batch`` (folders and zips), Gradescope's entry point,
PrairieLearn's runner and the class dashboard take them as they take .py files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from paths import FIXTURES, ROOT
from platform_samples import copy_course

from grader.batch import BatchOptions, run_batch
from grader.course import load_course
from grader.grading import GradeOptions
from grader.platforms.gradescope import run_gradescope
from grader.platforms.prairielearn import run_prairielearn

IDS = ("conv_shapes", "iou")
FAST = GradeOptions(max_examples=2, jobs=1)
MAPPING = '[notebooks.files]\n"hw1.ipynb" = ["conv_shapes"]\n"hw2.ipynb" = ["iou"]\n'


BUGGY = {"conv_shapes": "buggy_no_dilation", "iou": "buggy_plus_one_pixel"}


def source(assignment_id: str, kind: str) -> str:
    if kind == "stub":
        return (ROOT / "assignments" / assignment_id / f"{assignment_id}.py").read_text()
    if kind == "buggy":
        return (FIXTURES / assignment_id / f"{BUGGY[assignment_id]}.py").read_text()
    return sorted((FIXTURES / assignment_id).glob("correct_*.py"))[0].read_text()


def notebook_text(*sources: str) -> str:
    cells = [new_markdown_cell("# My work")]
    for text in sources:
        cells += [new_code_cell(text), new_code_cell("plt.plot([1, 2])", metadata={"tags": ["skip-grading"]})]
    return nbformat.writes(new_notebook(cells=cells))


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def make_class(root: Path) -> Path:
    write(root / "alice", {"conv_shapes.ipynb": notebook_text(source("conv_shapes", "correct")),
                           "iou.py": source("iou", "correct")})
    write(root / "bob", {"homework.ipynb": notebook_text(source("conv_shapes", "correct"), source("iou", "buggy"))})
    with zipfile.ZipFile(root / "carol.zip", "w") as zf:
        zf.writestr("carol-export/conv_shapes.ipynb", notebook_text(source("conv_shapes", "buggy")))
    write(root / "dave", {"hw1.ipynb": notebook_text(source("conv_shapes", "correct")),
                          "hw2.ipynb": notebook_text(source("iou", "correct"))})
    write(root / "erin", {"hw1.ipynb": notebook_text(source("conv_shapes", "stub")),
                          "hw2.ipynb": notebook_text(source("iou", "stub"))})
    write(root / "frank", {"conv_shapes.ipynb": '{"cells": [', "iou.ipynb": notebook_text(source("iou", "correct"))})
    return root


def test_batch_grades_notebook_entries_folders_and_zips(tmp_path):
    course = load_course(copy_course(tmp_path / "course", IDS, MAPPING))
    out = tmp_path / "out"
    summary = run_batch(make_class(tmp_path / "class"), out, course, BatchOptions(jobs=1, grade=FAST))
    assert summary.entries == 6 and not summary.failed
    graded = {name: json.loads((out / "submissions" / f"{name}.json").read_text())
              for name in ("alice", "bob", "carol", "dave", "erin", "frank")}
    by = {name: {a["id"]: a for a in data["assignments"]} for name, data in graded.items()}
    assert graded["alice"]["score"] == graded["dave"]["score"] == 25.0
    assert by["alice"]["conv_shapes"]["file"].endswith("conv_shapes.ipynb")
    assert by["bob"]["conv_shapes"]["score"] == 12.5 and 0 < by["bob"]["iou"]["score"] < 12.5
    assert by["bob"]["iou"]["file"].endswith("homework.ipynb")
    assert by["carol"]["conv_shapes"]["file"].endswith("conv_shapes.ipynb")
    assert 0 < by["carol"]["conv_shapes"]["score"] < 12.5 and by["carol"]["iou"]["status"] == "missing"
    # The course maps hw1/hw2: erin's stubs are hers, not a copy of dave's grade.
    assert graded["erin"]["score"] == 0.0
    assert {a["status"] for a in graded["erin"]["assignments"]} == {"graded"}
    assert by["frank"]["conv_shapes"]["status"] == "error" and "not a Jupyter notebook" in \
        by["frank"]["conv_shapes"]["message"]
    assert by["frank"]["iou"]["score"] == 12.5
    assert any("skip-grading" in note for note in by["bob"]["iou"]["notes"])
    dashboard = (out / "index.html").read_text()
    assert all(f"submissions/{name}.html" in dashboard for name in graded)
    assert "is tagged skip-grading: not run" in (out / "submissions" / "bob.html").read_text()


def test_gradescopes_entry_point_grades_a_notebook_submission(tmp_path):
    course = copy_course(tmp_path / "course", IDS, "[course]\nmax_examples = 2\n")
    root = tmp_path / "autograder"
    write(root / "submission", {"homework.ipynb": notebook_text(source("conv_shapes", "correct"),
                                                                source("iou", "buggy"))})
    (root / "submission_metadata.json").write_text(json.dumps({"id": 77, "created_at": "2026-11-20T10:00:00Z"}))
    data = run_gradescope(root, course_dir=course)
    assert json.loads((root / "results" / "results.json").read_text()) == data
    assert 12.5 < data["score"] < 25.0
    names = [t["name"] for t in data["tests"]]
    assert any(n.startswith("conv_shapes") for n in names) and any(n.startswith("iou") for n in names)
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed and all(t["name"].startswith("iou") for t in failed)
    assert "Autograder error" not in data["output"]


def test_prairielearns_runner_grades_a_notebook_submission(tmp_path):
    course = copy_course(tmp_path / "course", IDS, "[course]\nmax_examples = 2\n")
    write(tmp_path / "grade" / "student", {"conv_shapes.ipynb": notebook_text(source("conv_shapes", "correct")),
                                           "iou.ipynb": '{"nbformat": 3, "worksheets": []}'})
    data = run_prairielearn(tmp_path / "grade", course_dir=course)
    assert data["gradable"] is True and data["score"] == 0.5
    iou = [t for t in data["tests"] if t["name"].startswith("iou")]
    assert iou and all(t["points"] == 0 for t in iou)
    assert "notebook format 3" in json.dumps(data)
