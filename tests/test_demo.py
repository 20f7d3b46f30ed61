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
