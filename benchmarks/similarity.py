"""``grader similarity`` on a synthetic class of N submissions × 8 assignments.

Each submission starts from the stubs (docstrings, signatures and imports kept, so the
handout's removal is exercised) and fills every function with its own body, written by a
small random grammar seeded per student (torch calls, arithmetic, loops and branches: what
independent solutions look like to the fingerprints, including the short idioms they
share). Of the submissions, ``--copy-share`` copy another's file, per assignment, disguised
as ``tests/test_similarity.py`` disguises them (names, function order, comments, layout);
``--stub-share`` hand in an untouched stub. The whole command is timed (entries read as
batch reads them, fingerprints on ``--jobs`` processes, the inverted index, the CSV, the
index page and up to 50 pair pages per assignment), ``--repeat`` times; the median is the
figure. Also printed: how many planted copies were flagged, and how many other pairs.

    python benchmarks/similarity.py --n 1000
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_similarity import disguise  # noqa: E402

from grader.course import load_course  # noqa: E402
from grader.similarity import run_similarity  # noqa: E402
from grader.similarity.tokens import defined_names  # noqa: E402

TORCH = ["sum", "mean", "amax", "amin", "cumsum", "logsumexp", "softmax", "argmax", "norm", "prod", "std", "var"]
ELEMENTWISE = ["exp", "log1p", "sigmoid", "tanh", "relu", "abs", "sqrt", "clamp_min", "square", "neg"]
METHODS = ["unsqueeze", "transpose", "flatten", "contiguous", "double", "float", "clone", "detach"]
OPS = ["+", "-", "*", "/"]


def _expression(rng: random.Random, names: list[str], depth: int = 0) -> str:
    a, b = rng.choice(names), rng.choice(names)
    choice = rng.randrange(7 if depth < 2 else 3)
    if choice == 0:
        return f"torch.{rng.choice(TORCH)}({a}, dim={rng.randrange(-1, 3)})"
    if choice == 1:
        return f"torch.{rng.choice(ELEMENTWISE)}({a})"
    if choice == 2:
        return f"{a} {rng.choice(OPS)} {b}"
    if choice == 3:
        return f"({_expression(rng, names, depth + 1)}) {rng.choice(OPS)} {rng.choice([a, str(rng.randrange(1, 9))])}"
    if choice == 4:
        return f"{a}.{rng.choice(METHODS)}()[:, {rng.randrange(4)}:]"
    if choice == 5:
        return f"torch.where({a} > {rng.randrange(3)}, {_expression(rng, names, depth + 1)}, {b})"
    return f"{a}[..., {rng.randrange(4)}] {rng.choice(OPS)} {_expression(rng, names, depth + 1)}"


def _body(rng: random.Random, params: list[str], indent: str = "    ", depth: int = 0) -> list[str]:
    names = list(params) or ["x"]
    lines = []
    for _ in range(rng.randrange(3, 8 if depth == 0 else 4)):
        kind = rng.randrange(6 if depth == 0 else 4)
        new = rng.choice(["out", "acc", "tmp", "h", "z", "res", "val", "w", "s", "m"]) + str(rng.randrange(20))
        if kind == 4:
            loop = rng.choice("ijk")
            lines.append(f"{indent}for {loop} in range({rng.choice(names)}.shape[{rng.randrange(2)}]):")
            lines += _body(rng, [*names, loop], indent + "    ", depth + 1)
        elif kind == 5:
            lines.append(f"{indent}if {rng.choice(names)}.numel() {rng.choice(['>', '<', '=='])} {rng.randrange(5)}:")
            lines += _body(rng, names, indent + "    ", depth + 1)
        else:
            lines.append(f"{indent}{new} = {_expression(rng, names)}")
            names.append(new)
    lines.append(f"{indent}return {rng.choice(names)}")
    return lines


def independent_solution(stub: str, rng: random.Random) -> str:
    """The stub with every ``raise NotImplementedError`` replaced by a body of its own."""
    params_at: dict[int, list[str]] = {}  # line of a stub's raise -> its function's parameters
    for node in ast.walk(ast.parse(stub)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            for child in node.body:
                if isinstance(child, ast.Raise):
                    params_at[child.lineno] = [p for p in params if p != "self"]
    out = []
    for number, line in enumerate(stub.splitlines(), 1):
        if number in params_at:
            out += _body(rng, params_at[number], line[:len(line) - len(line.lstrip())])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def build_class(root: Path, n: int, course, copy_share: float, stub_share: float,
                seed: int = 20261206) -> set[tuple[str, str, str]]:
    """Write N entries under ``root``; return the planted copies (assignment, a, b) with a < b."""
    rng = random.Random(seed)
    names = [f"student{i:04d}" for i in range(n)]
    planted: set[tuple[str, str, str]] = set()
    for spec in course.assignments:
        stub = (Path(spec.public_dir) / spec.student_file).read_text()
        api = set(defined_names(stub))
        texts: dict[str, str] = {}
        for i, name in enumerate(names):
            roll = rng.random()
            if roll < stub_share:
                texts[name] = stub
            elif roll < stub_share + copy_share and i > 0:
                source = names[rng.randrange(i)]
                if texts[source] == stub:
                    texts[name] = stub
                    continue
                texts[name] = disguise(texts[source], api, seed=i)
                planted.add((spec.id, *sorted((name, source))))
            else:
                texts[name] = independent_solution(stub, random.Random(f"{seed}-{spec.id}-{name}"))
        for name, text in texts.items():
            folder = root / name
            folder.mkdir(exist_ok=True)
            (folder / spec.student_file).write_text(text)
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--copy-share", type=float, default=0.08)
    parser.add_argument("--stub-share", type=float, default=0.04)
    args = parser.parse_args()
    course = load_course(ROOT, include_hidden=False)
    with tempfile.TemporaryDirectory(prefix="grader-similarity-bench-") as scratch:
        root, out = Path(scratch) / "class", Path(scratch) / "out"
        root.mkdir()
        started = time.monotonic()
        planted = build_class(root, args.n, course, args.copy_share, args.stub_share)
        print(f"built {args.n} submissions x {len(course.assignments)} assignments "
              f"({len(planted)} planted copies) in {time.monotonic() - started:.1f} s")
        times, compare_times = [], []
        for run in range(args.repeat):
            started = time.monotonic()
            result = run_similarity(root, out, course, jobs=args.jobs)
            times.append(time.monotonic() - started)
            compare_times.append(result.elapsed_s)
            print(f"run {run + 1}: {times[-1]:.1f} s (compare {result.elapsed_s:.1f} s, reports "
                  f"{times[-1] - result.elapsed_s:.1f} s), {len(result.pairs)} pairs flagged")
        flagged = {(p.assignment, p.submission_a, p.submission_b) for p in result.pairs}
        # A copy of a copy is a copy too: pairs within one planted group are true positives.
        groups: dict[tuple[str, str], str] = {}

        def find(key: tuple[str, str]) -> tuple[str, str]:
            while groups.get(key, key[1]) != key[1]:
                key = (key[0], groups[key])
            return key

        for assignment, a, b in sorted(planted):
            ra, rb = find((assignment, a)), find((assignment, b))
            if ra != rb:
                groups[ra] = rb[1]
        same_group = {f for f in flagged if find((f[0], f[1])) == find((f[0], f[2]))}
        found = len(planted & flagged)
        print(f"median {statistics.median(times):.1f} s for {args.n} submissions x {len(course.assignments)} "
              f"assignments on {args.jobs} processes (compare alone: median {statistics.median(compare_times):.1f} s)")
        print(f"planted copies flagged: {found} / {len(planted)}; other pairs in the same copy groups: "
              f"{len(same_group - planted)}; pairs of independent submissions flagged: {len(flagged - same_group)}")


if __name__ == "__main__":
    main()
