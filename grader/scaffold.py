"""``grader new ID``: the folders of a new assignment, graded at once.

It writes what an assignment is made of (see docs/authoring.md), around one placeholder
function (``scale(x, factor)``) that the author replaces:

    assignments/ID/ID.py       the stub students receive (docstrings say the contract)
    assignments/ID/README.md   the handout
    assignments/ID/suite.py    the visible suite: strategies and oracles, defined once
    reference/ID/ID.py         the reference solution (never released)
    reference/ID/suite.py      the hidden suite: reuses the visible one's oracles, adds tests
    tests/fixtures/ID/         a buggy and a correct fixture, scored by tests/test_fixtures.py

Nothing existing is overwritten: an id already in use is an error naming the folder.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from grader.errors import CourseError

__all__ = ["scaffold"]

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")

_STUB = '''"""{title}.

Conventions:

* ``x`` is a float32 or float64 tensor of any shape, on CPU or CUDA; return a tensor with its
  shape, dtype and device. Do not modify the inputs in place.
"""

from __future__ import annotations

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``x`` multiplied by ``factor``, elementwise.

    Args:
        x: a tensor of any shape.
        factor: a Python float.

    Returns:
        ``factor * x``, with ``x``'s shape, dtype and device.
    """
    raise NotImplementedError
'''

_REFERENCE = '''"""Reference solution of ``{id}`` (never released to students)."""

from __future__ import annotations

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x * factor
'''

_HANDOUT = '''# {title}

Implement the functions of `{id}.py`. Replace this handout with the assignment's: the
conventions (shapes, dtypes, devices), the formulas, and the traps of the lecture notes.

## `scale(x, factor)`

Returns `factor * x` elementwise, with `x`'s shape, dtype and device.

## Grading notes

Each test draws its cases from a fixed seed, so every student sees the same cases and a
rerun gives the same grade. Values are compared with tolerances of the inputs' dtype.
Check your work with `grader check` in the folder holding `{id}.py`.
'''

_VISIBLE = '''"""Visible tests for ``{id}``: strategies and oracles are defined here, once; the hidden
suite (reference/{id}/suite.py) imports them with ``visible_suite_of`` and adds tests."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close
from grader.spec import Suite

suite = Suite("{id}", student_file="{id}.py", title="{title}", functions=("scale",))


# ---------------------------------------------------------------------------- cases

@st.composite
def scale_case(draw) -> dict:
    """A tensor of 1 to 3 dimensions and a factor."""
    dtype = draw(gst.float_dtypes())
    shape = draw(gst.shapes(draw(st.integers(1, 3)), max_side=5))
    x = draw(gst.tensors(shape, dtype=dtype, min_value=-10, max_value=10))
    return {{"x": x, "factor": draw(st.floats(-4, 4, allow_nan=False))}}


# ---------------------------------------------------------------------------- oracles

def torch_scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """In float64, cast back: the exact answer at the inputs' precision."""
    return (x.to(torch.float64) * factor).to(x.dtype)


# ---------------------------------------------------------------------------- tests

@suite.test("scale multiplies every element by the factor", functions=("scale",), points=1,
            inputs=scale_case(), examples=[{{"x": torch.ones(2, 3), "factor": 2.0}}], max_examples=30,
            hint="Return factor * x; keep x's dtype.")
def _(student, x, factor):
    assert_close(student.scale(x, factor), torch_scale(x, factor))
'''

_HIDDEN = '''"""Hidden tests for ``{id}``: the visible suite's strategies and oracles, more tests."""

from __future__ import annotations

import torch

from grader.checks.compare import assert_close
from grader.spec import Suite, reference_beside, visible_suite_of

visible = visible_suite_of(__file__)
ref = reference_beside(__file__, "{id}.py")
suite = Suite("{id}")


# A test without inputs= runs once; its body makes its own hand-picked cases.
@suite.test("scale agrees with the reference on empty and large tensors", functions=("scale",), points=1)
def _(student):
    for x, factor in ((torch.zeros(0, 3), 3.0), (torch.full((4,), 1e30), 0.5)):
        assert_close(student.scale(x, factor), ref.scale(x, factor))
        assert_close(student.scale(x, factor), visible.torch_scale(x, factor))
'''

_BUGGY = '''"""Forgets the factor.

Caught by: scale multiplies every element by the factor
"""

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x.clone()
'''

_CORRECT = '''"""Correct: in float64, cast back."""

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return (x.double() * factor).to(x.dtype)
'''


def scaffold(course_root: Path, assignment_id: str) -> list[Path]:
    """Write the new assignment's files under ``course_root``; the paths written."""
    if not _ID.fullmatch(assignment_id) or keyword.iskeyword(assignment_id):
        raise CourseError(f"{assignment_id!r} is not a usable assignment id: expected a lowercase Python name "
                          f"(letters, digits, underscores; at most 40), like 'batch_norm'")
    for folder in ("assignments", "reference"):
        if (course_root / folder / assignment_id).exists():
            raise CourseError(f"{course_root / folder / assignment_id} already exists: choose another id")
    title = assignment_id.replace("_", " ").capitalize()
    values = {"id": assignment_id, "title": title}
    files = {
        Path("assignments", assignment_id, f"{assignment_id}.py"): _STUB,
        Path("assignments", assignment_id, "README.md"): _HANDOUT,
        Path("assignments", assignment_id, "suite.py"): _VISIBLE,
        Path("reference", assignment_id, f"{assignment_id}.py"): _REFERENCE,
        Path("reference", assignment_id, "suite.py"): _HIDDEN,
        Path("tests", "fixtures", assignment_id, "buggy_forgets_factor.py"): _BUGGY,
        Path("tests", "fixtures", assignment_id, "correct_float64.py"): _CORRECT,
    }
    written = []
    for relative, template in files.items():
        path = course_root / relative
        if path.exists():
            raise CourseError(f"{path} already exists: choose another id")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
        written.append(path)
    return written
