"""``grader batch``: entries, outputs, the resumable SQLite store, and the Dask executor."""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.batch import BatchOptions, run_batch
from grader.cli import main
from grader.course import load_course
from grader.grading import GradeOptions

COURSE_DIR = Path(__file__).parent / "engine_course"
REFERENCE = (COURSE_DIR / "reference" / "toy" / "toy.py").read_text()
STUB = (COURSE_DIR / "assignments" / "toy" / "toy.py").read_text()
BUGGY = REFERENCE + "\n\ndef relu_backward(dout, z):\n    return dout * (z >= 0).to(dout.dtype)\n"
CRASHING = REFERENCE + "\n\ndef scale(x):\n    import os\n    os._exit(3)\n"
FAST = GradeOptions(test_timeout_s=5.0, import_timeout_s=10.0)


@pytest.fixture(scope="module")
def toy_course():
    return load_course(COURSE_DIR)


def make_class(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, source in {"alice": REFERENCE, "bob": BUGGY, "carol": STUB, "dave": CRASHING,
                         "alice_copy": REFERENCE}.items():
        (root / name).mkdir()
        (root / name / "toy.py").write_text(source)
    with zipfile.ZipFile(root / "erin.zip", "w") as zf:
        zf.writestr("erin-export/toy.py", BUGGY)  # zip exports add one nested folder
    with zipfile.ZipFile(root / "mallory.zip", "w") as zf:
        zf.writestr("../../escaped.py", "print('zip slip')")
    return root


def db_rows(out: Path) -> dict[str, tuple]:
    with sqlite3.connect(out / "grades.sqlite") as db:
        return {row[0]: row[1:] for row in db.execute("SELECT entry, score, content_hash, graded_at FROM submissions")}


def test_batch_grades_every_entry_and_writes_every_output(toy_course, tmp_path):
    root = make_class(tmp_path / "class")
    out = tmp_path / "out"
    summary = run_batch(root, out, toy_course, BatchOptions(jobs=2, grade=FAST))
    names = {"alice", "alice_copy", "bob", "carol", "dave", "erin", "mallory"}
    assert summary.entries == 7 and not summary.failed
    assert summary.reused == 2  # alice_copy has alice's files, erin's zip bob's: each graded once
    scores = {name: json.loads((out / "submissions" / f"{name}.json").read_text()) for name in names}
    assert all(scores[n]["submission"] == n for n in names)
    assert scores["alice"]["score"] == scores["alice_copy"]["score"] == 12.5
    assert 0 < scores["bob"]["score"] < 12.5 and scores["erin"]["score"] == scores["bob"]["score"]
    assert scores["carol"]["score"] == 0
    dave = {t["name"]: t for t in scores["dave"]["assignments"][0]["tests"]}
    assert dave["scale doubles"]["status"] == "error" and 0 < scores["dave"]["score"] < 12.5
    mallory = scores["mallory"]["assignments"][0]
    assert mallory["status"] == "error" and "mallory.zip" in mallory["message"]
    assert not (tmp_path / "escaped.py").exists() and not (out / "escaped.py").exists()
    for name in names:
        assert (out / "submissions" / f"{name}.html").is_file()
        assert (out / "submissions" / f"{name}.student.html").is_file()
    with open(out / "gradebook.csv") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert set(rows) == names and float(rows["alice"]["total"]) == 12.5
    assert (out / "canvas.csv").is_file() and (out / "summary.json").is_file()
    dashboard = (out / "index.html").read_text()
    assert "submissions/dave.html" in dashboard
    with sqlite3.connect(out / "grades.sqlite") as db:
        n_tests = db.execute("SELECT COUNT(*) FROM test_results WHERE entry = 'bob'").fetchone()[0]
    assert n_tests == len(toy_course.get("toy").tests)


def test_rerun_skips_unchanged_entries_and_regrades_changed_ones(toy_course, tmp_path):
    root = make_class(tmp_path / "class")
    out = tmp_path / "out"
    run_batch(root, out, toy_course, BatchOptions(jobs=2, grade=FAST))
    before = db_rows(out)
    (root / "carol" / "toy.py").write_text(REFERENCE)  # carol finished her work
    summary = run_batch(root, out, toy_course, BatchOptions(jobs=2, grade=FAST))
    after = db_rows(out)
    assert summary.skipped == 6 and summary.graded == 0 and summary.reused == 1  # carol's files now equal alice's
    assert after["carol"][0] == 12.5
    assert {k: v for k, v in after.items() if k != "carol"} == {k: v for k, v in before.items() if k != "carol"}
    forced = run_batch(root, out, toy_course, BatchOptions(jobs=2, regrade=True, grade=FAST))
    # alice/alice_copy/carol share one grading, bob/erin another; mallory's zip is refused, not graded
    assert forced.skipped == 0 and forced.graded == 3 and forced.reused == 3


def test_a_killed_batch_keeps_what_it_graded_and_resumes(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for i in range(6):
        (root / f"s{i}").mkdir()
        # distinct files, so no entry is a copy of another
        (root / f"s{i}" / "toy.py").write_text(REFERENCE + f"\n# student {i}\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "batch", str(root), "--out", str(out), "--jobs", "1",
           "--course", str(COURSE_DIR)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if (out / "grades.sqlite").exists() and len(db_rows(out)) >= 2:
                break
        except sqlite3.OperationalError:
            pass  # the file exists before its tables do: the batch is just starting
        time.sleep(0.2)
    import os

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = db_rows(out)
    assert 2 <= len(kept) < 6
    subprocess.run(cmd, check=True, timeout=600, stdout=subprocess.DEVNULL)
    final = db_rows(out)
    assert len(final) == 6 and all(row[0] == 12.5 for row in final.values())
    assert all(final[k] == v for k, v in kept.items())  # what was graded before the kill was not redone


def test_gradescope_export_maps_entries_to_students(toy_course, tmp_path):
    root = tmp_path / "export"
    for sub, source in {"submission_101": REFERENCE, "submission_102": BUGGY}.items():
        (root / sub).mkdir(parents=True)
        (root / sub / "toy.py").write_text(source)
    (root / "submission_metadata.yml").write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :email: ada@example.edu\n    :sid: '1815'\n"
        "  :created_at: 2026-11-20 10:00:00 UTC\n"
        "submission_102:\n  :submitters:\n  - :name: Alan Turing\n    :email: alan@example.edu\n    :sid: '1912'\n")
    out = tmp_path / "out"
    run_batch(root, out, toy_course, BatchOptions(jobs=1, grade=FAST))
    with sqlite3.connect(out / "grades.sqlite") as db:
        people = dict(db.execute("SELECT entry, student_email FROM submissions"))
    assert people == {"submission_101": "ada@example.edu", "submission_102": "alan@example.edu"}
    canvas = (out / "canvas.csv").read_text()
    assert "Ada Lovelace" in canvas and "ada@example.edu" in canvas


def test_cli_batch_prints_a_summary_and_the_dashboard(tmp_path, capsys):
    root = tmp_path / "class"
    (root / "a").mkdir(parents=True)
    (root / "a" / "toy.py").write_text(REFERENCE)
    out = tmp_path / "out"
    assert main(["batch", str(root), "--out", str(out), "--jobs", "1", "--course", str(COURSE_DIR)]) == 0
    printed = capsys.readouterr().out
    assert "1 entries: 1 graded" in printed and f"dashboard: {out}/index.html" in printed
    assert main(["batch", str(root), "--out", str(out), "--course", str(COURSE_DIR), "--executor", "dask"]) == 2


def test_dask_executor_on_a_local_cluster(toy_course, tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    root = make_class(tmp_path / "class")
    out = tmp_path / "out"
    # Dask workers are daemonic by default, and daemonic processes may not start the sandbox's workers.
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            summary = run_batch(root, out, toy_course,
                                BatchOptions(executor="dask", scheduler=cluster.scheduler_address, grade=FAST))
    assert summary.entries == 7 and not summary.failed
    rows = db_rows(out)
    assert rows["alice"][0] == 12.5 and rows["carol"][0] == 0 and 0 < rows["bob"][0] < 12.5
