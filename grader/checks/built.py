"""Objects a test passes to student code that cannot travel as data, such as a model.

A :class:`BuildSpec` names a factory function in a module of the assignment's *public*
folder and the plain data to call it with. The worker rebuilds the object on its side
(so a student's ``step_fn`` argument is a real callable there), and the grader builds the
same object locally for its oracle. Only modules inside the assignment's public folder may
be named, so a test cannot make the worker import anything else.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.errors import SuiteError


@dataclass(frozen=True)
class BuildSpec:
    module_path: str  # absolute path of a .py file in an assignment's public folder
    factory: str
    data: dict[str, Any]

    def build(self) -> Any:
        """The object, built in this process (the grader's side)."""
        return getattr(load_module_file(self.module_path), self.factory)(**self.data)

    def __repr__(self) -> str:  # shown in counterexamples
        args = ", ".join(f"{k}={v!r}" for k, v in self.data.items())
        return f"{Path(self.module_path).stem}.{self.factory}({args})"


def built(beside: str, module_file: str, factory: str, **data: Any) -> BuildSpec:
    """A BuildSpec for ``factory`` in ``module_file``, a file next to ``beside`` (a suite's ``__file__``)."""
    path = (Path(beside).resolve().parent / module_file).resolve()
    if not path.is_file():
        raise SuiteError(f"{beside}: {module_file} does not exist next to it")
    return BuildSpec(str(path), factory, dict(data))


def load_module_file(path: str) -> ModuleType:
    name = "_grader_built_" + Path(path).stem + f"_{abs(hash(path)) & 0xFFFFFF:x}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise SuiteError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
