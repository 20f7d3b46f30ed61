"""Batch throughput against the naive approach, measured side by side in one run.

Builds a synthetic class of N submissions (all eight assignments each: a deterministic mix
of correct, buggy, crashing and stub files taken from tests/fixtures and assignments/; every
file gets a unique comment line, so no two submissions are identical and the batch's
identical-content reuse cannot flatter it), then measures:

  (a) ``grader batch`` (run_batch, local executor, default jobs = CPU count);
  (b) the naive approach: one fresh ``python -m pytest benchmarks/naive_checks.py`` process per
      submission, sequentially, running the same checks in-process. With ``--naive-sample K``
      only K evenly spaced submissions are run this way and its rate is measured on them.

Prints submissions/s for each, the ratio, the median per-submission time inside the batch,
and the median time to grade one full correct submission alone: cold (a fresh ``grader
grade`` process, with one core and with all) and warm (the same grading process again).

    python benchmarks/batch_throughput.py --n 50
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.batch import BatchOptions, run_batch  # noqa: E402
from grader.course import load_course  # noqa: E402
from grader.grading import GradeOptions, grade_submission  # noqa: E402

CRASHES = {
    "import_error": "raise RuntimeError('broken at import')\n",
    "segfault": "import ctypes\n\n\ndef __getattr__(name):\n    ctypes.string_at(0)\n",
    "infinite_loop_at_import": "while True:\n    pass\n",
}


def pick(kind: str, assignment, rng: random.Random) -> str:
    folder = ROOT / "tests" / "fixtures" / assignment.id
    if kind == "correct":
        options = sorted(folder.glob("correct_*.py"))
    elif kind == "buggy":
        options = sorted(folder.glob("buggy_*.py"))
    elif kind == "stub":
        return (ROOT / "assignments" / assignment.id / assignment.student_file).read_text()
    else:
        return CRASHES[rng.choice(sorted(CRASHES))]
    return rng.choice(options).read_text() if options else ""


def build_class(root: Path, n: int, course) -> None:
    rng = random.Random(20261123)
    profiles = ["correct"] * 4 + ["buggy"] * 3 + ["crash"] + ["stub"] * 2
    for i in range(n):
        folder = root / f"student_{i:04d}"
        folder.mkdir(parents=True)
        for assignment in course.assignments:
            kind = rng.choice(profiles)
            text = pick(kind, assignment, rng)
            if text:
                (folder / assignment.student_file).write_text(f"# synthetic submission {i}\n{text}")


def naive(root: Path, sample: int) -> tuple[int, float, list[str]]:
    entries = sorted(p for p in root.iterdir() if p.is_dir())
    step = max(1, len(entries) // sample)
    chosen = entries[::step][:sample]
    died: list[str] = []
    started = time.monotonic()
    # The grader importable from this checkout, installed or not.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for entry in chosen:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header",
                               str(ROOT / "benchmarks" / "naive_checks.py"), "--submission", str(entry),
                               "--rootdir", str(ROOT / "benchmarks"), "-c", os.devnull],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=ROOT / "benchmarks", env=env)
        # 0: every check passed, 1: some failed. Killed by a signal (a student's segfault) or
        # interrupted (a student's KeyboardInterrupt): the naive grader lost this submission,
        # as it would in a course. 3, 4, 5 (pytest's internal, usage, nothing collected): the
        # naive setup itself is broken and its time would measure nothing.
        if done.returncode in (3, 4, 5):
            raise SystemExit(f"the naive run on {entry.name} failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
        if done.returncode not in (0, 1):
            died.append(entry.name)
    return len(chosen), time.monotonic() - started, died


def one_full_submission(correct: Path, course, runs: int) -> list[str]:
    """Lines on grading one full correct submission alone, three ways.

    Cold, as a platform runs it: a fresh ``grader grade`` process (Python start, ``import
    torch``, fork server, no case yet remembered), with one core and with every core. Warm, as
    inside a batch: the same grading process again, its passing cases and reference answers
    remembered from the first run.
    """
    lines = []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for jobs in sorted({1, os.cpu_count() or 1}):
        times = []
        for _ in range(runs):
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-m", "grader", "grade", str(correct), "--quiet", "--jobs", str(jobs),
                            "--json", str(correct.parent / "alone.json"), "--course", str(ROOT)],
                           check=True, env=env, stdout=subprocess.DEVNULL)
            times.append(time.monotonic() - t0)
        lines.append(f"one full correct submission, cold (fresh `grader grade --jobs {jobs}`): "
                     f"median {statistics.median(times):.2f} s over {runs} runs {[round(t, 2) for t in times]}")
    grade_submission(correct, course, GradeOptions())  # the first run remembers the passing cases
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        result = grade_submission(correct, course, GradeOptions())
        times.append(time.monotonic() - t0)
    lines.append(f"one full correct submission, warm (same grading process, one core; score "
                 f"{result.score:g}/{result.max_score:g}): median {statistics.median(times):.2f} s "
                 f"over {runs} runs {[round(t, 2) for t in times]}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--naive-sample", type=int, default=None, help="naive runs on this many (default: all)")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--alone-runs", type=int, default=3, help="runs of each one-submission measure")
    args = parser.parse_args()
    course = load_course(ROOT)
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        build_class(work / "class", args.n, course)
        t0 = time.monotonic()
        summary = run_batch(work / "class", work / "out", course, BatchOptions(jobs=args.jobs, reports=False))
        batch_s = time.monotonic() - t0
        import sqlite3

        with sqlite3.connect(work / "out" / "grades.sqlite") as db:
            per_submission = [row[0] for row in db.execute("SELECT elapsed_s FROM submissions")]
        batch_rate = args.n / batch_s
        print(f"machine: {os.cpu_count()} cores; N = {args.n}; batch jobs = {args.jobs or os.cpu_count()}")
        print(f"batch: {args.n} submissions in {batch_s:.1f} s = {batch_rate:.3f} submissions/s "
              f"({len(summary.failed)} grader failures)")
        print(f"median per-submission time inside the batch: {statistics.median(per_submission):.2f} s", flush=True)
        n_naive, naive_s, died = naive(work / "class", args.naive_sample or args.n)
        naive_rate = n_naive / naive_s
        print(f"naive: {n_naive} submissions in {naive_s:.1f} s = {naive_rate:.3f} submissions/s"
              + (f" ({len(died)} of them killed the naive grader's process: {', '.join(died)})" if died else ""))
        print(f"ratio batch/naive: {batch_rate / naive_rate:.2f}x", flush=True)
        correct = work / "correct" / "submission"
        correct.mkdir(parents=True)
        for assignment in course.assignments:
            source = sorted((ROOT / "tests" / "fixtures" / assignment.id).glob("correct_*.py"))[0]
            shutil.copy(source, correct / assignment.student_file)
        for line in one_full_submission(correct, course, args.alone_runs):
            print(line, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
