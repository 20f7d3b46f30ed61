"""One full correct submission graded cold, as a platform runs it: a fresh process each time.

Measured alternately in one run, so the figures share the machine's state:

- ``python -c "import torch"``: the floor any grader in Python pays;
- ``grader grade`` of the eight reference files, with each ``--engine`` (a checkout of the
  grader, e.g. the commit before, exported with ``git archive``), and ``--no-corpus``;
- ``grader check`` of the same files from a student release (its shipped visible corpus),
  and ``--no-corpus``;
- warm: the same submission graded again inside one grading process (as in a batch).

```
git archive 7538d1e | (mkdir -p /tmp/base && tar -x -C /tmp/base)
python benchmarks/cold_start.py --runs 5 --engine /tmp/base --engine .
```
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ("backprop", "init_variance", "conv_shapes", "lstm", "elbo", "gan_loss", "iou", "beam_search")


def _submission(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for a in ASSIGNMENTS:
        shutil.copy(ROOT / "reference" / a / f"{a}.py", folder / f"{a}.py")
    return folder


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def _score(path: Path) -> str:
    data = json.loads(path.read_text())
    return f"{data['score']:g}/{data['max_score']:g}"


def _warm(env: dict[str, str], submission: Path, runs: int) -> list[float]:
    """Seconds per grading of ``submission`` inside one process, after a first one."""
    code = (
        "import sys, time, json\n"
        "from grader.course import load_course\n"
        "from grader.grading import GradeOptions, grade_submission\n"
        f"course = load_course({str(ROOT)!r})\n"
        f"sub = {str(submission)!r}\n"
        "grade_submission(sub, course, GradeOptions(jobs=1))\n"
        "times = []\n"
        f"for _ in range({runs}):\n"
        "    t = time.perf_counter(); r = grade_submission(sub, course, GradeOptions(jobs=1))\n"
        "    times.append(time.perf_counter() - t)\n"
        "    assert r.score == r.max_score, r.score\n"
        "print(json.dumps(times))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=submission.parent)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", action="append", default=None, help="grader checkout (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    engines = [Path(e).resolve() for e in (args.engine or ["."])]
    work = Path(tempfile.mkdtemp(prefix="grader-cold-"))
    submission = _submission(work / "submission")
    base_env = {**os.environ, "GRADER_CACHE_DIR": str(work / "cache")}
    base_env.pop("GRADER_COURSE", None)

    def env_for(engine: Path) -> dict[str, str]:
        # A cache of its own per engine: engines of two corpus formats would replace each
        # other's files at every run, and every grading would search.
        cache = work / f"cache-{engines.index(engine)}"
        return {**base_env, "PYTHONPATH": str(engine), "GRADER_CACHE_DIR": str(cache)}

    current = engines[-1]
    sys.path.insert(0, str(current))
    from grader.release import build_release

    release = build_release(ROOT, work / "release")
    modes: dict[str, list[str]] = {"import torch": [sys.executable, "-c", "import torch"]}
    outputs: dict[str, Path] = {}
    for engine in engines:
        has_corpus = (engine / "grader" / "corpus").is_dir()
        label = "." if engine == ROOT else str(engine)
        grade = [sys.executable, "-m", "grader", "grade", str(submission), "--course", str(ROOT), "--quiet",
                 "--jobs", str(args.jobs)]
        modes[f"grade [{label}]"] = grade
        if has_corpus:
            modes[f"grade --no-corpus [{label}]"] = grade + ["--no-corpus"]
    check = [sys.executable, "-m", "grader", "check", str(submission), "--course", str(release), "--no-html",
             "--jobs", str(args.jobs)]
    modes["check from the release"] = check
    modes["check from the release --no-corpus"] = check + ["--no-corpus"]
    for name, cmd in modes.items():
        if cmd[2:4] in (["grader", "grade"], ["grader", "check"]):
            outputs[name] = work / f"{len(outputs)}.json"
            cmd += ["--json", str(outputs[name])]
    engine_of = {name: next((e for e in engines if f"[{'.' if e == ROOT else e}]" in name), current) for name in modes}

    # The lazily built cache corpus: one grading with each engine, before timing.
    for engine in engines:
        subprocess.run(modes[f"grade [{'.' if engine == ROOT else engine}]"], env=env_for(engine), check=True,
                       capture_output=True, cwd=work)
    for engine in engines:  # which grader each run imports (not the checkout's, by accident)
        where = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], env=env_for(engine),
                               cwd=work, capture_output=True, text=True).stdout.strip()
        print(f"engine {engine}: imports {where}")
    times: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(args.runs):
        for name, cmd in modes.items():
            # Not from the checkout: `python -m` puts the working folder first on sys.path.
            times[name].append(_timed(cmd, env_for(engine_of[name]), work))
    floor = statistics.median(times["import torch"])
    print(f"machine: {os.cpu_count()} cores; {args.runs} runs each, alternating; grading --jobs {args.jobs}")
    for name, values in times.items():
        median = statistics.median(values)
        score = f"; score {_score(outputs[name])}" if name in outputs else ""
        print(f"{name}: median {median:.2f} s = {median / floor:.2f}x import torch "
              f"[{', '.join(f'{v:.2f}' for v in values)}]{score}")
    for engine in engines:
        warm = _warm(env_for(engine), submission, args.runs)
        print(f"warm [{'.' if engine == ROOT else engine}] (same grading process, one core): median "
              f"{statistics.median(warm):.2f} s [{', '.join(f'{v:.2f}' for v in warm)}]")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
