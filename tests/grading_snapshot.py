"""Grades, statuses and counterexamples of the fixtures and hostile files, as plain JSON.

The fidelity test (``test_grading_fidelity.py``) grades these submissions and compares the
snapshot with the one recorded before the engine's speed work (``data/grading_golden.json``):
what a student is told must not change when the grader gets faster. Timings are left out,
and so is the message of a ``timeout`` test or import (it states the limit, which is what
changed: per-call limits and the import's CPU limit, issue 16).

Record anew (only when a grade is meant to change; recorded with the versions it names):
``python tests/grading_snapshot.py tests/data/grading_golden.json.gz``
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading import GradeOptions, grade_submission  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
HOSTILE = ROOT / "tests" / "hostile"
FIXTURE_OPTIONS = dict(max_examples=4)
HOSTILE_OPTIONS = dict(only=("conv_shapes", "iou"), test_timeout_s=1.5, import_timeout_s=4.0,
                       submission_timeout_s=40.0, max_examples=2)
# Hostile files whose outcome depends on the machine (memory, process counts, timing), not on the
# grader: their grade (0) is checked by test_hostile.py, their statuses are not compared here.
MACHINE_DEPENDENT = {"memory_bomb", "fork_bomb", "disk_filler", "parent_memory", "huge_print", "deep_recursion",
                     "background_process", "daemon_thread", "escape_process_group", "kill_parent"}


def fixture_cases() -> list[tuple[str, Path]]:
    return [(f"{p.parent.name}/{p.stem}", p) for p in sorted(FIXTURES.glob("*/*.py"))
            if p.name.startswith(("buggy_", "correct_"))]


def hostile_cases() -> list[tuple[str, Path]]:
    return [(f"hostile/{p.stem}", p) for p in sorted(HOSTILE.glob("*.py")) if p.stem not in MACHINE_DEPENDENT]


def _scrub(value: Any, folder: str) -> Any:
    if isinstance(value, str):
        return value.replace(folder, "<SUBMISSION>")
    if isinstance(value, dict):
        return {k: _scrub(v, folder) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, folder) for v in value]
    return value


def snapshot(result: Any, folder: str) -> list[dict[str, Any]]:
    """Per assignment: status, score, message and per test what the student reads."""
    out = []
    for assignment in asdict(result)["assignments"]:
        tests = []
        for t in assignment["tests"]:
            kept = {k: t[k] for k in ("name", "status", "score", "counterexample", "details", "stdout",
                                      "is_implemented")}
            if t["status"] != "timeout":
                kept["message"] = t["message"]
            tests.append(kept)
        out.append(_scrub({"id": assignment["id"], "status": assignment["status"], "score": assignment["score"],
                           "message": "<import timeout>" if tests and all(t["status"] == "timeout" for t in tests)
                           and assignment["status"] == "error" else assignment["message"],
                           "tests": tests}, folder))
    return out


def grade_case(course: Any, key: str, path: Path, options: GradeOptions | None = None) -> list[dict[str, Any]]:
    """Grade one fixture (alone) or hostile file (as ``iou.py`` beside a correct ``conv_shapes.py``)."""
    folder = Path(tempfile.mkdtemp(prefix="snapshot-"))
    try:
        if key.startswith("hostile/"):
            source = (path.read_text().replace("__CANARY__", str(folder / "canary")).replace("__REPO__", str(ROOT))
                      .replace("__PORT__", "9").replace("__GRADER_PID__", "1"))
            (folder / "iou.py").write_text(source)
            shutil.copy(ROOT / "reference" / "conv_shapes" / "conv_shapes.py", folder / "conv_shapes.py")
            options = options or GradeOptions(**HOSTILE_OPTIONS)
        else:
            spec = course.get(path.parent.name)
            shutil.copy(path, folder / spec.student_file)
            options = options or GradeOptions(only=(spec.id,), **FIXTURE_OPTIONS)
        return snapshot(grade_submission(folder, course, options, submission_id=key), str(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def suite_digests(root: Path = ROOT) -> dict[str, str]:
    """Per assignment, a digest of its suites, references and helpers (what decides its grades)."""
    import hashlib

    out = {}
    for folder in sorted((root / "assignments").iterdir()):
        digest = hashlib.sha256()
        for part in ("assignments", "reference"):
            for path in sorted((root / part / folder.name).glob("*.py")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        out[folder.name] = digest.hexdigest()[:16]
    return out


def versions() -> dict[str, str]:
    import hypothesis
    import torch

    return {"hypothesis": hypothesis.__version__, "torch": torch.__version__.split("+")[0]}


def main(out: str) -> None:
    from grader.course import load_course

    course = load_course(ROOT)
    cases = fixture_cases() + hostile_cases()
    recorded = {"versions": versions(), "seed": course.seed, "suites": suite_digests(), "results": {}}
    for key, path in cases:
        recorded["results"][key] = grade_case(course, key, path)
        print(key, flush=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(recorded, indent=1, sort_keys=True) + "\n"
    if out.endswith(".gz"):
        Path(out).write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        Path(out).write_text(text)


def load(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)


_ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def _nan_as_text(value: Any) -> Any:
    """NaN as a string, so that two snapshots compare equal where both hold a NaN."""
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, str):
        return _ADDRESS.sub("0x…", value)  # a repr's object address differs between runs
    if isinstance(value, dict):
        return {k: _nan_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_as_text(v) for v in value]
    return value


def normalise(snap: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A recorded snapshot brought to the current rules of :func:`snapshot` (idempotent)."""
    snap = _nan_as_text(snap)
    out = []
    for a in snap:
        tests = [{k: v for k, v in t.items() if not (k == "message" and t["status"] == "timeout")} for t in a["tests"]]
        timed_out = a["status"] == "error" and tests and all(t["status"] == "timeout" for t in tests)
        out.append(dict(a, tests=tests, message="<import timeout>" if timed_out else a["message"]))
    return out


if __name__ == "__main__":
    main(sys.argv[1])
