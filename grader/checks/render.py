"""Counterexamples as Python a student can paste and run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from grader.checks.built import BuildSpec
from grader.checks.student import RecordedCall

_MAX_ELEMENTS = 400  # beyond this a tensor is described, not written out


def _float(x: float) -> str:
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "float('-inf')"
    return repr(float(x))


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    if isinstance(values, bool):
        return repr(values)
    if isinstance(values, float):
        return _float(values)
    return repr(values)


def python_literal(value: Any) -> str:
    """Source text that rebuilds ``value``."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype)
        device = "" if value.device.type == "cpu" else f', device="{value.device.type}"'
        if value.numel() > _MAX_ELEMENTS:
            return (f"torch.empty({tuple(value.shape)}, dtype={dtype}{device})"
                    f"  # {value.numel()} elements, too many to print")
        body = _nested(value.detach().cpu().tolist())
        if value.numel() == 0:
            return f"torch.empty({tuple(value.shape)}, dtype={dtype}{device})"
        return f"torch.tensor({body}, dtype={dtype}{device})"
    if isinstance(value, torch.Generator):
        return f"torch.Generator(device={str(value.device)!r})  # state as in the test (seed {value.initial_seed()})"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BuildSpec):
        args = ", ".join(f"{k}={python_literal(v)}" for k, v in value.data.items())
        return f"{_module_stem(value)}.{value.factory}({args})"
    return repr(value)


def _module_stem(spec: BuildSpec) -> str:
    from pathlib import Path

    return Path(spec.module_path).stem


def _name_for(value: Any, case: Mapping[str, Any]) -> str | None:
    for key, candidate in case.items():
        if candidate is value:
            return key
    return None


def render_calls(calls: Sequence[RecordedCall], module: str, case: Mapping[str, Any]) -> str:
    """A runnable snippet reproducing ``calls``: imports, named inputs, then each call."""
    if not calls:
        return ""
    fns = sorted({c.fn for c in calls})
    lines = ["import torch"]
    built_modules = sorted({_module_stem(v) for c in calls for v in (*c.args, *c.kwargs.values())
                            if isinstance(v, BuildSpec)})
    lines += [f"import {m}" for m in built_modules]
    lines.append(f"from {module} import {', '.join(fns)}")
    lines.append("")
    defined: dict[int, str] = {}
    rendered_calls = []
    for call in calls:
        parts = []
        for i, arg in enumerate(call.args):
            parts.append(_argument(arg, case, defined, lines, f"arg{i}"))
        for key, arg in call.kwargs.items():
            parts.append(f"{key}={_argument(arg, case, defined, lines, key)}")
        rendered_calls.append(f"{call.fn}({', '.join(parts)})")
    lines.append("")
    lines += rendered_calls
    return "\n".join(lines)


def _argument(value: Any, case: Mapping[str, Any], defined: dict[int, str], lines: list[str],
              fallback: str) -> str:
    """Short values inline; longer ones bound once to a name (the case's key where it is one)."""
    if id(value) in defined:
        return defined[id(value)]
    literal = python_literal(value)
    if not isinstance(value, (torch.Tensor, BuildSpec, list, tuple, dict)) or len(literal) < 40:
        return literal
    name = _name_for(value, case) or fallback
    taken = set(defined.values())
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    defined[id(value)] = name
    lines.append(f"{name} = {literal}")
    return name
