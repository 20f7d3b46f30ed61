"""What a corpus was drawn for: everything that can change a test's examples or the reference's
answers, and nothing that cannot (points, messages, visibility settings, time limits).

Two scopes: ``full`` (every test, and the reference's answers: the suite folders of
``assignments/<id>/`` and ``reference/<id>/``) and ``visible`` (the visible tests only, which
depend on ``assignments/<id>/`` alone), so a student release, which has no ``reference/``,
checks its shipped corpus against the same fingerprint the instructor's course gave it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from pathlib import Path

import hypothesis
import numpy
import torch

from grader.digests import assignment_files_digest, engine_digest
from grader.spec.model import AssignmentSpec

FULL, VISIBLE = "full", "visible"
FOLDERS = {FULL: ("assignments", "reference"), VISIBLE: ("assignments",)}


def scope_tests(spec: AssignmentSpec, scope: str) -> list[str]:
    return [t.key for t in spec.tests if scope == FULL or t.visibility == "visible"]


def course_root_of(spec: AssignmentSpec) -> Path | None:
    """The course folder of ``spec`` (``assignments/<id>`` is its public folder)."""
    return Path(spec.public_dir).resolve().parent.parent if spec.public_dir else None


@cache
def _files(root: Path, assignment: str, scope: str, student_file: str) -> str:
    # What students have and edit in assignments/<id>/ draws no case: the stub (their work file,
    # which a release's students fill in place), its notebook, the handout, reports.
    stem = Path(student_file).stem
    return assignment_files_digest(root, assignment, FOLDERS[scope],
                                   ignore=(student_file, f"{stem}.ipynb", "*.md", "*.html"))


def fingerprint(spec: AssignmentSpec, *, seed: int, device: str, scope: str, root: Path | None = None) -> str:
    """The digest a corpus of ``spec`` in ``scope`` must carry to be used."""
    root = root or course_root_of(spec)
    if root is None:
        raise ValueError(f"{spec.id}: no course folder, so no corpus")
    tests = [[t.name, t.max_examples, len(t.examples)] for t in spec.tests
             if scope == FULL or t.visibility == "visible"]
    data = {
        "assignment": spec.id, "scope": scope, "seed": seed, "device": device, "tests": tests,
        "student_file": spec.student_file, "files": _files(root, spec.id, scope, spec.student_file),
        "engine": engine_digest(),
        "python": list(sys.version_info[:2]), "hypothesis": hypothesis.__version__, "torch": torch.__version__,
        "numpy": numpy.__version__,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def forget() -> None:
    """Drop the memoised file digests (a test that edits a suite file in place)."""
    _files.cache_clear()
