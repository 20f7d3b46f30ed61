"""No points for a function that is wrong everywhere (STYLE: "a relation is a strong test only
next to a value check").

For every assignment, a submission whose functions are ALL degenerate of one kind is built
from the stub's signatures (read with ``ast``, names from the assignment's ``functions``), and
must score 0 on every test, visible and hidden: each test calls some function, and a test that
a degenerate function passes checks a relation (symmetry, linearity, invariance, monotonicity)
without checking what makes a value right.

The kinds, and why each exists:

- ``constant``: returns -7 whatever it is given; passes a test that only compares calls with
  each other (f(x) == f(y) for a symmetry or an invariance).
- ``zeros``: zeros shaped like the first tensor argument (0 if it is not a tensor); passes a
  linearity or homogeneity test (0 = a·0 + 0), a "sums to 0" or "is >= 0" check, and a shape
  check.
- ``identity``: returns its first input; passes a test where the answer is (close to) an
  input, or a shape/dtype check alone.
- ``mutated``: a mutated COPY of its first input (+1, sign flipped: arguments untouched);
  passes a test that checks only that something input-shaped and finite came back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from paths import ROOT

from grader.grading import GradeOptions, grade_submission

# every offered assignment (each folder of assignments/ with a suite), not only the course's selection
ASSIGNMENTS = tuple(sorted(p.parent.name for p in (ROOT / "assignments").glob("*/suite.py")))

_BODIES = {
    "constant": "    return -7\n",
    "zeros": (
        "    first = _first(args)\n"
        "    return torch.zeros_like(first) if isinstance(first, torch.Tensor) else 0\n"
    ),
    "identity": "    return _first(args)\n",
    "mutated": "    return _mutated(_first(args))\n",
}

_PRELUDE = '''"""A degenerate submission (tests/test_degenerate.py): every function is {kind}."""
import torch


def _first(args):
    return args[0] if args else None


def _mutated(value):
    if isinstance(value, torch.Tensor):
        out = value.clone()
        return -out + 1 if out.dtype.is_floating_point else out + 1
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return -value + 1
    if isinstance(value, (tuple, list)):
        return type(value)(_mutated(v) for v in value)
    return value
'''


def _stub_functions(course, assignment: str) -> list[str]:
    """The assignment's functions, in order, as they stand in its stub (by ``ast``)."""
    spec = course.get(assignment)
    stub = ROOT / "assignments" / assignment / spec.student_file
    defined = {node.name for node in ast.parse(stub.read_text()).body if isinstance(node, ast.FunctionDef)}
    names = list(spec.functions)
    missing = [n for n in names if n not in defined]
    assert not missing, f"{assignment}: the stub lacks {missing}"
    return names


def degenerate_source(functions: list[str], kind: str) -> str:
    parts = [_PRELUDE.format(kind=kind)]
    for name in functions:
        # *args/**kwargs: any call signature the tests use reaches the degenerate body
        parts.append(f"\n\ndef {name}(*args, **kwargs):\n{_BODIES[kind]}")
    return "".join(parts)


@pytest.mark.parametrize("kind", sorted(_BODIES))
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_degenerate_submission_scores_zero_everywhere(assignment: str, kind: str, course, tmp_path: Path) -> None:
    spec = course.get(assignment)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / spec.student_file).write_text(degenerate_source(_stub_functions(course, assignment), kind))
    result = grade_submission(submission, course, GradeOptions(only=(assignment,)))
    (graded,) = result.assignments
    assert graded.status == "graded", (graded.status, [t.message for t in graded.tests][:3])
    passed = [t.name for t in graded.tests if t.status == "passed" or t.score > 0]
    assert not passed, f"{assignment}: a submission whose functions are all '{kind}' passed {passed}"
    assert graded.score == 0


def test_the_builder_keeps_the_stub_signatures_callable(tmp_path: Path) -> None:
    # the degenerate file is importable and each kind answers as documented
    path = tmp_path / "degenerate.py"
    path.write_text(degenerate_source(["f"], "mutated"))
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own generated text
    import torch

    x = torch.tensor([1.0, -2.0])
    assert namespace["f"](x).tolist() == [0.0, 3.0] and x.tolist() == [1.0, -2.0]
    assert namespace["f"]((2, 3)) == (-1, -2)
