"""Gradebook CSVs: a row per submission, points possible apart, and Canvas's import layout."""

from __future__ import annotations

import csv

import pandas as pd
from sample_results import mixed_submission, perfect_submission

from grader.formats.gradebook import CANVAS_IDENTITY_COLUMNS, write_canvas_gradebook, write_gradebook


def test_gradebook_rows_columns_and_points_possible(tmp_path):
    results = [mixed_submission("alice"), perfect_submission("bob")]
    rows_path, points_path = write_gradebook(results, tmp_path / "gradebook.csv")
    assert points_path == tmp_path / "gradebook_points_possible.csv"
    rows = pd.read_csv(rows_path)
    assert list(rows["submission"]) == ["alice", "bob"]  # every row is a submission
    assert list(rows.columns[:6]) == ["submission", "total", "iou", "iou status", "iou: box_area is right",
                                      "iou: box_iou matches the definition"]
    assert list(rows["iou status"]) == ["graded", "graded"]
    alice = rows.set_index("submission").loc["alice"]
    assert alice["elbo status"] == "missing" and alice["lstm status"] == "error"
    assert alice["total"] == 3.5
    assert alice["total"] == sum(alice[a] for a in ("iou", "backprop", "elbo", "lstm"))
    assert alice["iou"] == sum(alice[c] for c in rows.columns if c.startswith("iou: "))
    assert alice["iou: box_area is right"] == 2.0
    points = pd.read_csv(points_path)
    assert len(points) == 1 and points.loc[0, "submission"] == "Points Possible"
    assert list(points.columns) == list(rows.columns)
    assert points.loc[0, "total"] == 28.5 and points.loc[0, "iou"] == 11.5
    assert points.loc[0, "iou: hidden passes"] == 1.5
    assert pd.isna(points.loc[0, "iou status"])


def test_gradebook_leaves_blank_what_was_not_run(tmp_path):
    only_iou = mixed_submission("dave")
    only_iou = type(only_iou)(**{**only_iou.__dict__, "assignments": only_iou.assignments[:1], "score": 3.5,
                                 "max_score": 11.5})
    rows_path, _ = write_gradebook([perfect_submission("bob"), only_iou], tmp_path / "g.csv")
    rows = pd.read_csv(rows_path).set_index("submission")
    assert pd.isna(rows.loc["dave", "backprop"]) and pd.isna(rows.loc["dave", "elbo status"])


def test_canvas_layout(tmp_path):
    roster = {"alice": {"name": "Doe, Alice", "id": "1001", "sis_user_id": "S1", "sis_login_id": "adoe",
                        "section": "A"}}
    path = write_canvas_gradebook([mixed_submission("alice"), perfect_submission("bob")], tmp_path / "canvas.csv",
                                  roster=roster)
    with path.open(newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == [*CANVAS_IDENTITY_COLUMNS, "iou", "backprop", "elbo", "lstm"]
    assert table[1][0].strip() == "Points Possible" and table[1][1:5] == ["", "", "", ""]
    assert [float(x) for x in table[1][5:]] == [11.5, 10.0, 4.0, 3.0]
    assert table[2][:5] == ["Doe, Alice", "1001", "S1", "adoe", "A"]
    assert [float(x) for x in table[2][5:]] == [3.5, 0.0, 0.0, 0.0]
    assert table[3][0] == "bob" and table[3][1:5] == ["", "", "", ""]
    assert len(table) == 4
