"""Nothing one entry does stops a batch, and a batch killed anywhere resumes to the same outputs.

- A submission whose text no output can take as it is (tests/hostile/unprintable_text.py)
  grades with exit 0 and valid reports in every format, alone and in a batch beside correct
  submissions, which grade exactly as without it.
- A grading process that dies costs its entry only: ``grader-error``, listed on the dashboard,
  every output written, exit status 3.
- A batch killed with SIGKILL before an entry is stored, inside the transaction that stores
  it, and while writing reports, resumes to every entry graded exactly once and outputs equal
  to an uninterrupted run's (timings aside).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from paths import FIXTURES, ROOT

from grader.cli import main

HOSTILE_TEXT = ROOT / "tests" / "hostile" / "unprintable_text.py"
TOY = ROOT / "tests" / "engine_course"
TOY_REFERENCE = (TOY / "reference" / "toy" / "toy.py").read_text()
TOY_BUGGY = TOY_REFERENCE + "\n\ndef relu_backward(dout, z):\n    return dout * (z >= 0).to(dout.dtype)\n"
TIMING_KEYS = {"graded_at", "elapsed_s"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")


def _without_keys(value, keys: set[str]):
    if isinstance(value, dict):
        return {k: _without_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without_keys(v, keys) for v in value]
    return value


def _without_timings(value):
    return _without_keys(value, TIMING_KEYS)


def _outputs(out: Path) -> dict[str, object]:
    """Everything a batch wrote that must not depend on how it got there."""
    found: dict[str, object] = {}
    for path in sorted((out / "submissions").glob("*.json")):
        found[path.name] = _without_timings(json.loads(path.read_text(encoding="utf-8")))
    for name in ("gradebook.csv", "gradebook_points_possible.csv", "canvas.csv"):
        found[name] = (out / name).read_text(encoding="utf-8")
    found["summary.json"] = _without_timings(json.loads((out / "summary.json").read_text()))
    return found


def _assert_every_output_valid(out: Path, entries: set[str]) -> None:
    for entry in entries:
        data = json.loads((out / "submissions" / f"{entry}.json").read_bytes().decode("utf-8", errors="strict"))
        assert data["submission"] == entry
        for suffix in (".html", ".student.html"):
            page = (out / "submissions" / f"{entry}{suffix}").read_bytes().decode("utf-8", errors="strict")
            assert "\x1b" not in page and "\x00" not in page
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as f:
        assert {r["submission"] for r in csv.DictReader(f)} == entries
    with open(out / "canvas.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(entries) + 1  # Points Possible first
    dashboard = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"submissions/{e}.html" in dashboard for e in entries)


def test_unprintable_text_grades_with_exit_0_and_valid_reports(tmp_path: Path, capfd) -> None:
    submission = tmp_path / "sub"
    submission.mkdir()
    shutil.copy(HOSTILE_TEXT, submission / "iou.py")
    paths = {k: tmp_path / f"out.{k}" for k in ("json", "html", "xml")}
    code = main(["grade", str(submission), "--only", "iou", "--json", str(paths["json"]), "--html",
                 str(paths["html"]), "--junit", str(paths["xml"]), "--jobs", "1"])
    printed = capfd.readouterr()
    assert code == 0
    terminal = printed.out + printed.err
    for sequence in ("\x1b[2J", "\x1b]0;", "\x07", "\x00", "\udce9"):
        assert sequence not in terminal
    data = json.loads(paths["json"].read_bytes().decode("utf-8", errors="strict"))
    (iou,) = data["assignments"]
    assert iou["score"] == 0 and iou["status"] == "graded"
    by_name = {t["name"]: t for t in iou["tests"]}
    area = by_name["box_area is (x2 - x1) * (y2 - y1), no +1"]
    assert area["status"] == "error"
    # What was there stays visible, escaped; the 10 MB message arrives capped.
    assert "\\udce9" in area["message"] and "\\x1b[2J" in area["message"] and len(area["message"]) < 5000
    assert "\\x1b[2J" in area["stdout"]
    ET.parse(paths["xml"])
    paths["html"].read_bytes().decode("utf-8", errors="strict")


def _class_with(tmp_path: Path, files: dict[str, Path]) -> Path:
    root = tmp_path / "class"
    for entry, source in files.items():
        (root / entry).mkdir(parents=True)
        shutil.copy(source, root / entry / "iou.py")
    return root


def test_a_batch_holding_the_hostile_text_grades_everyone_else_as_without_it(tmp_path: Path) -> None:
    good = {"ada": FIXTURES / "iou" / "correct_unbind.py", "bob": FIXTURES / "iou" / "buggy_giou_union.py"}
    with_it = _class_with(tmp_path / "a", {**good, "mallory": HOSTILE_TEXT})
    without = _class_with(tmp_path / "b", good)
    common = ["--only", "iou", "--jobs", "2"]
    assert main(["batch", str(with_it), "--out", str(tmp_path / "out_a"), *common]) == 0
    assert main(["batch", str(without), "--out", str(tmp_path / "out_b"), *common]) == 0
    _assert_every_output_valid(tmp_path / "out_a", {"ada", "bob", "mallory"})
    a, b = _outputs(tmp_path / "out_a"), _outputs(tmp_path / "out_b")
    for entry in good:  # the same grade, apart from where the file was
        assert _without_keys(a[f"{entry}.json"], {"file"}) == _without_keys(b[f"{entry}.json"], {"file"})
    assert a["mallory.json"]["score"] == 0


def _toy_class(root: Path, n: int = 5) -> Path:
    for i in range(n):
        (root / f"s{i}").mkdir(parents=True)
        source = TOY_BUGGY if i == 2 else TOY_REFERENCE
        (root / f"s{i}" / "toy.py").write_text(source + f"\n# student {i}\n")  # no two alike
    return root


def _batch(root: Path, out: Path, *, kill_at: str | None = None, extra: tuple[str, ...] = ()) -> int:
    env = {k: v for k, v in os.environ.items() if k != "GRADER_KILL_AT"}
    if kill_at:
        env["GRADER_KILL_AT"] = kill_at
    cmd = [sys.executable, "-m", "grader", "batch", str(root), "--out", str(out), "--jobs", "2",
           "--course", str(TOY), *extra]
    return subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600,
                          start_new_session=True).returncode


def _history_counts(out: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(out / "grades.sqlite") as db:
        return {(e, a): n for e, a, n in db.execute("SELECT entry, assignment, COUNT(*) FROM history "
                                                    "GROUP BY entry, assignment")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("uninterrupted")
    root = _toy_class(base / "class")
    assert _batch(root, base / "out") == 0
    return root, _outputs(base / "out")


@pytest.mark.parametrize("kill_at", ["batch.save@1", "batch.save@4", "store.commit@3", "batch.report@3"])
def test_a_batch_killed_anywhere_resumes_to_the_same_outputs(kill_at: str, uninterrupted, tmp_path: Path) -> None:
    root, expected = uninterrupted
    out = tmp_path / "out"
    assert _batch(root, out, kill_at=kill_at) == -9  # SIGKILL, at that point
    assert _batch(root, out) == 0
    counts = _history_counts(out)
    assert counts == {(f"s{i}", "toy"): 1 for i in range(5)}  # every entry graded exactly once
    assert _outputs(out) == expected
    assert not list(out.rglob("*.tmp"))  # no half-written file left behind


def test_a_grading_process_that_dies_costs_its_entry_only(tmp_path: Path) -> None:
    root = _toy_class(tmp_path / "class")
    out = tmp_path / "out"
    assert _batch(root, out, kill_at="grade.s1@1") == 3  # graded, but some entries need a look
    entries = {f"s{i}" for i in range(5)}
    _assert_every_output_valid(out, entries)
    s1 = json.loads((out / "submissions" / "s1.json").read_text())
    assert s1["score"] == 0 and "grading process died" in s1["assignments"][0]["grader_error"]
    assert "grader-error" in (out / "index.html").read_text()
    with open(out / "gradebook.csv", newline="") as f:
        assert {r["submission"]: r["toy status"] for r in csv.DictReader(f)}["s1"] == "grader-error"
    others = {e: json.loads((out / "submissions" / f"{e}.json").read_text())["score"] for e in entries - {"s1"}}
    assert others == {"s0": 12.5, "s2": others["s2"], "s3": 12.5, "s4": 12.5} and 0 < others["s2"] < 12.5
    assert _history_counts(out).get(("s1", "toy")) is None  # a grader error is not a grade
    assert _batch(root, out) == 0  # the next run tries it again, and only it
    assert json.loads((out / "submissions" / "s1.json").read_text())["score"] == 12.5
    assert _history_counts(out) == {(e, "toy"): 1 for e in entries}


def _two_assignment_course(root: Path) -> Path:
    """The toy course plus ``twin``, the same assignment under another id and file."""
    shutil.copytree(TOY, root)
    for folder in ("assignments", "reference"):
        shutil.copytree(root / folder / "toy", root / folder / "twin")
        (root / folder / "twin" / "toy.py").rename(root / folder / "twin" / "twin.py")
        suite = root / folder / "twin" / "suite.py"
        suite.write_text(suite.read_text().replace('"toy"', '"twin"').replace('"toy.py"', '"twin.py"'))
    return root


def _regrade_class(root: Path) -> Path:
    for name, source in {"alice": TOY_REFERENCE, "bob": TOY_BUGGY}.items():
        (root / name).mkdir(parents=True)
        (root / name / "toy.py").write_text(source)
        (root / name / "twin.py").write_text(source)
    return root


def _scores(out: Path) -> dict[tuple[str, str], float]:
    found = {}
    for path in (out / "submissions").glob("*.json"):
        data = json.loads(path.read_text())
        found.update({(data["submission"], a["id"]): a["score"] for a in data["assignments"]})
    return found


def test_editing_one_suite_regrades_that_assignment_only_keeps_history_and_reports_the_flips(
        tmp_path: Path, capsys) -> None:
    course = _two_assignment_course(tmp_path / "course")
    root = _regrade_class(tmp_path / "class")
    out = tmp_path / "out"
    args = ["batch", str(root), "--out", str(out), "--course", str(course), "--jobs", "2"]
    assert main(args) == 0
    before = _scores(out)
    assert before[("alice", "toy")] == before[("alice", "twin")] == 12.5
    assert not (out / "regrade.html").exists()  # nothing was ever graded twice

    # The instructor "fixes" a visible test of toy: scale must now triple. Everyone's scale
    # implementation doubles, so exactly that test flips from passed to failed, for both.
    suite = course / "assignments" / "toy" / "suite.py"
    suite.write_text(suite.read_text().replace("assert_close(student.scale(x), 2 * x)",
                                               "assert_close(student.scale(x), 3 * x)"))
    capsys.readouterr()
    assert main([*args, "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert "would grade alice toy: suite changed" in planned and "would grade bob toy: suite changed" in planned
    assert "twin" not in planned
    assert _scores(out) == before  # the dry run wrote nothing

    assert main(args) == 0
    after = _scores(out)
    from grader.course import load_course

    points = load_course(course).get("toy").test_points()["scale doubles"]
    assert after[("alice", "twin")] == before[("alice", "twin")] and after[("bob", "twin")] == before[("bob", "twin")]
    for student in ("alice", "bob"):
        assert after[(student, "toy")] == pytest.approx(before[(student, "toy")] - points)
    with sqlite3.connect(out / "grades.sqlite") as db:
        history = db.execute("SELECT entry, assignment, score FROM history ORDER BY id").fetchall()
    assert [(e, a) for e, a, _ in history].count(("alice", "toy")) == 2  # the old grade is kept
    assert [(e, a) for e, a, _ in history].count(("alice", "twin")) == 1  # twin was not regraded
    report = json.loads((out / "regrade.json").read_text())
    flips = {(r["entry"], r["assignment"]): [(f["test"], f["before"], f["after"]) for f in r["flips"]]
             for r in report["rows"]}
    assert flips == {("alice", "toy"): [("scale doubles", "passed", "failed")],
                     ("bob", "toy"): [("scale doubles", "passed", "failed")]}
    assert report["summary"]["down"] == 2 and report["summary"]["up"] == 0 and report["summary"]["regraded"] == 2
    assert all(r["reason"] == "suite changed" for r in report["rows"])
    assert 'href="regrade.html"' in (out / "index.html").read_text()
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert float(rows["alice"]["toy"]) == after[("alice", "toy")]
    assert "3 * x" not in (out / "regrade.html").read_text() and "scale doubles" in (out / "regrade.html").read_text()

    # --regrade keeps its meaning: everything again.
    assert main([*args, "--regrade"]) == 0
    with sqlite3.connect(out / "grades.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 4 + 2 + 4
