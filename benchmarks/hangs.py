"""What hangs and slow code cost: fresh ``grader grade`` processes, as a platform runs them.

Submissions (built from the reference solutions, so every function not made to hang is correct):

- ``iou3``: ``iou.py`` whose ``box_iou``, ``generalized_box_iou`` and ``nms`` loop forever;
- ``iou_all``: ``iou.py`` whose every function loops forever;
- ``all8``: all eight files, every function looping forever;
- ``import_loop``: ``iou.py`` with an infinite loop at import;
- ``slow20``: ``iou.py`` whose every function is the reference made 20 times slower (it must keep
  every point).

``--engine DIR`` grades with another checkout of the grader (e.g. the commit before, exported
with ``git archive``), so old and new are timed alternately in one run:

```
python benchmarks/hangs.py --cases iou3 iou_all slow20 --engine /tmp/base --engine .
```
"""

from __future__ import annotations

import argparse
import ast
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


def _public_functions(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def _hang(source: str, names: list[str]) -> str:
    """The source with each named function's body preceded by an infinite loop."""
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in sorted((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names),
                       key=lambda n: -n.body[0].lineno):
        first = node.body[0]
        indent = " " * first.col_offset
        lines.insert(first.lineno - 1, f"{indent}while True:\n{indent}    pass")
    return "\n".join(lines) + "\n"


def _slow(source: str, factor: int) -> str:
    """Every public function computed ``factor`` times (the last answer returned)."""
    names = _public_functions(source)
    # Only the outermost call is repeated: the module's own calls of its functions stay as they were.
    wrap = [f"\n_depth = [0]\n\ndef _slowed(fn):\n    def call(*a, **k):\n        if _depth[0]:\n"
            "            return fn(*a, **k)\n        _depth[0] += 1\n        try:\n"
            f"            for _ in range({factor - 1}):\n                fn(*a, **k)\n            return fn(*a, **k)\n"
            "        finally:\n            _depth[0] -= 1\n    return call\n"]
    wrap += [f"{n} = _slowed({n})\n" for n in names]
    return source + "".join(wrap)


def build(case: str, folder: Path) -> None:
    folder.mkdir(parents=True)
    iou = (ROOT / "reference" / "iou" / "iou.py").read_text()
    if case == "iou3":
        (folder / "iou.py").write_text(_hang(iou, ["box_iou", "generalized_box_iou", "nms"]))
    elif case == "iou_all":
        (folder / "iou.py").write_text(_hang(iou, _public_functions(iou)))
    elif case == "all8":
        for aid in ASSIGNMENTS:
            source = (ROOT / "reference" / aid / f"{aid}.py").read_text()
            (folder / f"{aid}.py").write_text(_hang(source, _public_functions(source)))
    elif case == "import_loop":
        (folder / "iou.py").write_text(iou + "\nwhile True:\n    pass\n")
    elif case == "slow20":
        (folder / "iou.py").write_text(_slow(iou, 20))
    else:
        raise SystemExit(f"unknown case {case}")


def grade_once(engine: Path, submission: Path, jobs: int) -> tuple[float, dict]:
    out = submission.parent / "result.json"
    env = dict(os.environ, PYTHONPATH=str(engine))
    only = [] if (submission / "backprop.py").exists() else ["--only", "iou"]
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "--course", str(engine), *only,
                    "--jobs", str(jobs), "--json", str(out)], cwd=engine, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    took = time.monotonic() - started
    data = json.loads(out.read_text()) if out.exists() else {}
    out.unlink(missing_ok=True)
    return took, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["iou3", "iou_all", "import_loop", "slow20"])
    parser.add_argument("--engine", action="append", type=Path, help="a grader checkout (repeat to compare)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    engines = [e.resolve() for e in (args.engine or [ROOT])]
    work = Path(tempfile.mkdtemp(prefix="bench-hangs-"))
    try:
        for case in args.cases:
            build(case, work / case / "submission")
            times: dict[Path, list[float]] = {e: [] for e in engines}
            scores: dict[Path, str] = {}
            for _ in range(args.runs):
                for engine in engines:  # alternately, so load on the machine hits both alike
                    took, data = grade_once(engine, work / case / "submission", args.jobs)
                    times[engine].append(took)
                    statuses: dict[str, int] = {}
                    for a in data.get("assignments", []):
                        for t in a["tests"]:
                            statuses[t["status"]] = statuses.get(t["status"], 0) + 1
                    scores[engine] = f"score {data.get('score')}/{data.get('max_score')} {statuses}"
            for engine in engines:
                runs = ", ".join(f"{t:.1f}" for t in times[engine])
                print(f"{case:12s} {str(engine):28s} median {statistics.median(times[engine]):6.1f} s "
                      f"[{runs}]  {scores[engine]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
