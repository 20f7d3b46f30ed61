"""The builder a suite module uses to declare its tests.

Usage (``assignments/iou/suite.py``)::

    suite = Suite("iou", student_file="iou.py", functions=("box_area", "box_iou"))

    @suite.test("box_area matches width * height", functions=("box_area",), points=1,
                inputs=st.fixed_dictionaries({"boxes": gst.boxes()}),
                examples=[{"boxes": torch.zeros(1, 4)}])
    def _(student, boxes):
        assert_close(student.box_area(boxes), (boxes[:, 2] - boxes[:, 0]) * ...)

| keyword         | meaning                                                           | default |
|-----------------|-------------------------------------------------------------------|---------|
| ``points``      | weight of the test inside its assignment                          | 1.0     |
| ``functions``   | the student functions the body calls (reported in the grade JSON) | required|
| ``inputs``      | hypothesis strategy drawing the body's keyword arguments (a dict) | None    |
| ``examples``    | hand-picked cases, run before the search                          | ()      |
| ``max_examples``| how many drawn cases at most                                      | 40      |
| ``timeout_s``   | wall-clock budget for the whole test (all its cases)              | course  |
| ``hint``        | shown to the student when the test fails                          | None    |

``Suite(..., meta_safe=("box_area", ...))`` names the functions whose device discipline is
checked on a CPU-only machine: each test calling one also runs it once with its tensor inputs
on torch's ``meta`` device (:mod:`grader.checks.device`). Only functions whose work follows
from shapes, dtypes and devices qualify: value-dependent control flow (NMS, beam search), a
``torch.Generator`` argument or plain-number inputs do not.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.checks.reference_cache import CachedReference
from grader.errors import SuiteError
from grader.spec.model import TestSpec


class Suite:
    """Collects the tests one suite module declares; the course loader freezes them."""

    def __init__(
        self,
        id: str,
        *,
        student_file: str | None = None,
        functions: Iterable[str] = (),
        title: str = "",
        forbidden_calls: Iterable[str] = (),
        meta_safe: Iterable[str] = (),
    ) -> None:
        self.id = id
        self.student_file = student_file
        self.functions = tuple(functions)
        self.title = title
        self.forbidden_calls = tuple(forbidden_calls)
        self.meta_safe = tuple(meta_safe)
        unknown = [f for f in self.meta_safe if f not in self.functions]
        if unknown:
            raise SuiteError(f"suite {id!r}: meta_safe names functions not in functions=: {unknown}")
        self.tests: list[TestSpec] = []

    def test(
        self,
        name: str,
        *,
        functions: Iterable[str],
        points: float = 1.0,
        inputs: Any = None,
        examples: Iterable[Mapping[str, Any]] = (),
        max_examples: int = 40,
        timeout_s: float | None = None,
        hint: str | None = None,
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        # sys._getframe, not inspect.stack(): the latter reads source files for every frame.
        caller = sys._getframe(1)
        source = f"{caller.f_code.co_filename}:{caller.f_lineno}"

        def register(body: Callable[..., None]) -> Callable[..., None]:
            if any(t.name == name for t in self.tests):
                raise SuiteError(f"{source}: test name {name!r} is declared twice in suite {self.id!r}")
            if not isinstance(points, (int, float)) or points < 0:
                raise SuiteError(f"{source}: test {name!r}: points must be a number >= 0, got {points!r}")
            if max_examples < 1:
                raise SuiteError(f"{source}: test {name!r}: max_examples must be >= 1")
            fns = tuple(functions)
            if not fns:
                raise SuiteError(f"{source}: test {name!r}: functions=... must name the student functions it calls")
            self.tests.append(
                TestSpec(
                    assignment=self.id,
                    name=name,
                    body=body,
                    functions=fns,
                    points=float(points),
                    inputs=inputs,
                    examples=tuple(dict(e) for e in examples),
                    max_examples=max_examples,
                    timeout_s=timeout_s,
                    hint=hint,
                    source=source,
                )
            )
            return body

        return register


def suite_module_name(tag: str, assignment_id: str) -> str:
    """The private module name a suite file is imported under (``visible`` or ``hidden``)."""
    return f"_grader_suite_{tag}_{assignment_id}"


def import_file(name: str, path: Path) -> ModuleType:
    """Import the Python file at ``path`` as module ``name`` (registered in ``sys.modules``
    before it runs, as an import would); what it raises while running propagates."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SuiteError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_references: dict[str, CachedReference] = {}  # per process: each reference loaded (and cached) once


def reference_beside(suite_file: str, student_file: str) -> ModuleType:
    """Import the reference solution that sits next to a hidden suite file.

    The module gets a private name, so it can never shadow the student's module of the same
    file name in the grader's process. Its functions are memoised per input
    (:mod:`grader.checks.reference_cache`): a batch pays for each reference answer once.
    """
    path = Path(suite_file).resolve().parent / student_file
    if not path.is_file():
        raise SuiteError(f"{suite_file}: reference solution {path} does not exist")
    name = f"_grader_reference_{path.parent.name}_{path.stem}"
    if name in _references:
        return _references[name]
    _references[name] = CachedReference(import_file(name, path))
    return _references[name]  # type: ignore[return-value]


def visible_suite_of(hidden_suite_file: str) -> ModuleType:
    """The visible suite module of the assignment whose hidden suite is ``hidden_suite_file``
    (``reference/<id>/suite.py`` -> ``assignments/<id>/suite.py``), so the hidden suite reuses
    its oracles and strategies instead of copying them: it adds tests, not copies.

    The module is the one the course loads (same private name), imported once; its ``suite``
    stays the visible suite, so nothing it registers is counted twice."""
    hidden = Path(hidden_suite_file).resolve()
    path = hidden.parent.parent.parent / "assignments" / hidden.parent.name / "suite.py"
    if not path.is_file():
        raise SuiteError(f"{hidden_suite_file}: no visible suite at {path}")
    name = suite_module_name("visible", path.parent.name)
    module = sys.modules.get(name)
    if module is not None and Path(getattr(module, "__file__", "") or "").resolve() == path:
        return module
    return import_file(name, path)
