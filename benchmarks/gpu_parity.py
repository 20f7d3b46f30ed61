"""GPU parity: every reference, correct and buggy fixture graded on the CPU and on CUDA.

For each assignment it grades ``reference/<id>/<file>``, every ``tests/fixtures/<id>/correct_*``
and every ``buggy_*`` once with ``--device cpu`` and once with ``--device cuda``, and prints
the score on both, every test whose verdict (passed or not) differs, and the wall time of
each grading. Parity holds when:

- the reference and every correct fixture score full marks on both devices;
- every device-bug fixture (``buggy_device_*``) is caught on CUDA, its ``Caught by:`` tests
  failing (and on the CPU too: those bugs sit in meta-safe functions);
- every other buggy fixture gets the same verdict on every test on both devices.

A buggy fixture that a short search (``--max-examples``) misses on both devices is reported,
not counted as a parity failure: ``tests/test_fixtures.py`` checks catching with the full
search. Exit 0 when parity holds, 1 when it fails (or the time limit cut the run short),
2 when it could not run (no GPU).

    python benchmarks/gpu_parity.py --quick              # about 6 minutes on one H100, 16 cores
    python benchmarks/gpu_parity.py --max-examples 20 --only iou --only lstm
    python benchmarks/gpu_parity.py --second-device cpu --only iou --quick   # the plumbing, no GPU

Gradings run in ``--jobs`` processes started with ``spawn`` (never ``fork``: a CUDA context
cannot survive one), each grading one file on one device at a time.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_course: Any = None


def _caught_by(path: Path) -> list[str]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return [line.split(":", 1)[1].strip() for line in doc.splitlines() if line.strip().lower().startswith("caught by:")]


def grade_one(assignment: str, path: str, device: str, max_examples: int) -> dict[str, Any]:
    """In a pool process: grade one file on one device; plain data back."""
    global _course
    from grader.course import load_course
    from grader.grading import GradeOptions, grade_submission

    if _course is None:
        _course = load_course(ROOT)
    spec = _course.get(assignment)
    folder = Path(tempfile.mkdtemp(prefix="gpu-parity-"))
    try:
        shutil.copy(path, folder / spec.student_file)
        started = time.monotonic()
        result = grade_submission(folder, _course, GradeOptions(only=(assignment,), device=device,
                                                                max_examples=max_examples, jobs=1))
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    (graded,) = result.assignments
    return {"assignment": assignment, "path": path, "device": device, "score": graded.score,
            "max_score": graded.max_score, "status": graded.status, "elapsed_s": round(elapsed, 2),
            "message": graded.message[:300],
            "tests": {t.name: {"status": t.status, "message": t.message[:240]} for t in graded.tests}}


def files_of(assignment: str, student_file: str) -> list[Path]:
    folder = ROOT / "tests" / "fixtures" / assignment
    return ([ROOT / "reference" / assignment / student_file] + sorted(folder.glob("correct_*.py"))
            + sorted(folder.glob("buggy_*.py")))


def kind_of(path: Path) -> str:
    if path.parts[-3] == "reference":
        return "reference"
    if path.name.startswith("correct_"):
        return "correct"
    return "device" if path.name.startswith("buggy_device_") else "buggy"


def judge(path: Path, cpu: dict[str, Any], gpu: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(parity failures, verdict differences, notes) for one file graded on both devices."""
    kind, failures, notes = kind_of(path), [], []
    passed = {d: {n: t["status"] == "passed" for n, t in r["tests"].items()} for d, r in (("cpu", cpu), ("gpu", gpu))}
    differ = [n for n in passed["cpu"] if passed["cpu"][n] != passed["gpu"].get(n)]
    lines = []
    for n in differ:
        on_gpu = gpu["tests"].get(n, {})
        why = (on_gpu.get("message") or cpu["tests"][n]["message"])[:160]
        lines.append(f"    verdict differs: {n!r}: cpu {cpu['tests'][n]['status']}, {gpu['device']} "
                     f"{on_gpu.get('status')} ({why})")
    full = {d: r["score"] == r["max_score"] for d, r in (("cpu", cpu), ("gpu", gpu))}
    if kind in ("reference", "correct"):
        for d, r in (("cpu", cpu), (gpu["device"], gpu)):
            if r["score"] != r["max_score"]:
                lost = [f"{n} ({t['status']}: {t['message'][:120]})"
                        for n, t in r["tests"].items() if t["status"] != "passed"]
                failures.append(f"{path.name}: {kind} lost points on {d}: {'; '.join(lost[:3])}")
    elif kind == "device":
        named = _caught_by(path)
        for d, r in (("cpu", cpu), (gpu["device"], gpu)):
            missed = [n for n in named if r["tests"].get(n, {}).get("status") == "passed"]
            if r["score"] == r["max_score"] or missed:
                failures.append(f"{path.name}: device bug not caught on {d}" + (f" by {missed}" if missed else ""))
    else:
        if differ:
            failures.append(f"{path.name}: {len(differ)} verdict(s) differ between cpu and {gpu['device']}")
        if full["cpu"] and full["gpu"]:
            notes.append(f"    note: {path.name} was not caught on either device with this many examples")
    return failures, lines, notes


def device_banner(device: str) -> str:
    import torch

    parts = [f"torch {torch.__version__}", f"CUDA build {torch.version.cuda or 'none'}"]
    if device.startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index or 0
        parts.append(f"card {torch.cuda.get_device_name(index)}")
        smi = shutil.which("nvidia-smi")
        if smi:
            out = subprocess.run([smi, "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=20)
            parts.append(f"driver {out.stdout.strip().splitlines()[0] if out.stdout.strip() else '?'}")
    parts.append(f"{os.cpu_count()} cores")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="the GPU to compare with the CPU (default cuda)")
    parser.add_argument("--second-device", default=None, metavar="DEVICE",
                        help="compare the CPU with this device instead (cpu: test the script without a GPU)")
    parser.add_argument("--max-examples", type=int, default=10, help="examples per test (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 examples per test: the whole run in ~6 min")
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="only this assignment")
    parser.add_argument("--jobs", type=int, default=min(16, os.cpu_count() or 1), help="grading processes")
    parser.add_argument("--time-limit-s", type=float, default=480.0,
                        help="start no grading after this many seconds (default 480); a cut run fails")
    parser.add_argument("--json", default=None, metavar="FILE", help="write every grading's result here")
    args = parser.parse_args(argv)
    max_examples = 3 if args.quick else args.max_examples
    other = args.second_device or args.device

    import torch

    if other.startswith("cuda") and not torch.cuda.is_available():
        print(f"gpu_parity: no CUDA GPU here (torch {torch.__version__}, CUDA build {torch.version.cuda or 'none'}, "
              "torch.cuda.is_available() is False): nothing was graded. The GPU parity run is still owed; "
              "run it on a machine with a GPU (benchmarks/README.md, 'GPU parity').")
        return 2

    from grader.course import load_course

    course = load_course(ROOT)
    assignments = [a for a in course.offered or course.assignments if not args.only or a.id in args.only]
    jobs_list = [(a.id, path) for a in assignments for path in files_of(a.id, a.student_file)]
    print(f"gpu parity: cpu vs {other}; {device_banner(other)}")
    print(f"{len(jobs_list)} files in {len(assignments)} assignments, {max_examples} examples per test, "
          f"{args.jobs} grading processes, time limit {args.time_limit_s:.0f} s", flush=True)

    started = time.monotonic()
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    # slot 0: the CPU, slot 1: the other device (``cpu`` again when testing the script)
    todo = [(aid, str(p), slot) for aid, p in jobs_list for slot in (0, 1)]
    cut = 0
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        running: dict[Any, tuple[str, str, int]] = {}
        while todo or running:
            while todo and len(running) < args.jobs * 2:
                if time.monotonic() - started > args.time_limit_s:
                    cut, todo = len(todo), []
                    break
                job = todo.pop(0)
                device = "cpu" if job[2] == 0 else other
                running[pool.submit(grade_one, job[0], job[1], device, max_examples)] = job
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    results[job] = future.result()
                except Exception as exc:  # noqa: BLE001 - a grader crash is a parity failure, reported
                    results[job] = {"error": f"{type(exc).__name__}: {exc}"}
    wall = time.monotonic() - started

    failures: list[str] = []
    totals = [0.0, 0.0]  # grading seconds per slot (cpu, other)
    for a in assignments:
        files = [p for aid, p in jobs_list if aid == a.id]
        print(f"\n== {a.id}: {len(files)} files")
        print(f"   {'file':44} {'cpu':>11} {other:>11} {'cpu s':>7} {other + ' s':>9}")
        spent = [0.0, 0.0]
        for path in files:
            cpu, gpu = results.get((a.id, str(path), 0)), results.get((a.id, str(path), 1))
            label = path.stem if kind_of(path) != "reference" else f"reference ({path.name})"
            if cpu is None or gpu is None:
                print(f"   {label:44} not graded (time limit)")
                continue
            if "error" in cpu or "error" in gpu:
                failures.append(f"{path.name}: the grader crashed: {cpu.get('error') or gpu.get('error')}")
                print(f"   {label:44} grader crashed: {cpu.get('error') or gpu.get('error')}")
                continue
            spent[0] += cpu["elapsed_s"]
            spent[1] += gpu["elapsed_s"]
            scores = [f"{r['score']:>5.2f}/{r['max_score']:<5g}" for r in (cpu, gpu)]
            print(f"   {label:44} {scores[0]} {scores[1]} {cpu['elapsed_s']:>7.1f} {gpu['elapsed_s']:>9.1f}")
            file_failures, lines, notes = judge(path, cpu, gpu)
            for line in lines + notes:
                print(line)
            failures += [f"{a.id}/{f}" for f in file_failures]
        print(f"   wall time of the gradings: cpu {spent[0]:.1f} s, {other} {spent[1]:.1f} s")
        totals = [totals[0] + spent[0], totals[1] + spent[1]]

    print(f"\ntotal grading time: cpu {totals[0]:.1f} s, {other} {totals[1]:.1f} s; "
          f"wall {wall:.1f} s with {args.jobs} processes")
    if args.json:
        Path(args.json).write_text(json.dumps([{**v, "key": list(k)} for k, v in results.items()], indent=1))
    if cut:
        failures.append(f"the time limit cut the run short: {cut} gradings not started (raise --time-limit-s, "
                        "lower --max-examples or pass --only)")
    if failures:
        print(f"\nPARITY FAILED ({len(failures)}):")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"\nparity holds: every reference and correct fixture full marks on cpu and {other}, every device bug "
          f"caught on both, every other verdict equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
