"""Meta-device operations without ``torch._dynamo``: a second off every fork server's boot.

Many of torch's meta kernels are Python references (``torch._refs``) wrapped by
``torch._disable_dynamo``, which imports ``torch._dynamo`` (about a second of CPU, hundreds of
modules) on a wrapper's first call only to wrap the function in ``torch._dynamo.disable``:
"do not trace this while compiling". Nothing is compiled in a worker (the suites never call
``torch.compile``; a student who does compiles their own code, and at worst dynamo traces into
a reference it would have skipped), so the disabled function is the function itself.
:func:`install` records exactly that on every wrapper that exists and on every wrapper made
from now on; the fork server runs it before it warms meta up
(:data:`grader.sandbox.fork_server.PRELOAD`), so workers inherit it.

Where a later torch changes ``_disable_dynamo`` so the stand-in cannot be placed, nothing is
changed: the first meta operation imports ``torch._dynamo`` in the server as before (slower,
never wrong), and :func:`install` says so by returning 0.
"""

from __future__ import annotations

import functools
import gc
import types
from typing import Any

import torch

_DISABLE_ATTR = "__dynamo_disable"  # the attribute torch._compile._disable_dynamo caches on


def _wrapper_code(original: Any) -> tuple[types.CodeType, int] | None:
    """The code of ``original``'s wrapper and the closure slot of its function, where the
    wrapper still has the shape this module knows: a closure over ``fn`` that caches the
    disabled function on ``fn.__dynamo_disable``."""
    code = getattr(original(lambda: None), "__code__", None)
    if code is None or "fn" not in code.co_freevars or _DISABLE_ATTR not in code.co_names:
        return None
    return code, code.co_freevars.index("fn")


def _give_stand_in(fn: Any) -> bool:
    if not callable(fn) or getattr(fn, _DISABLE_ATTR, None) is not None:
        return False
    try:
        setattr(fn, _DISABLE_ATTR, fn)
    except (AttributeError, TypeError):  # a builtin or a class with slots: left to dynamo
        return False
    return True


def install() -> int:
    """Give every ``_disable_dynamo`` wrapper its function as the disabled one; returns how many
    (0 where installed already or where torch's wrapper has another shape)."""
    original = getattr(getattr(torch, "_compile", None), "_disable_dynamo", None)
    if original is None or getattr(original, "_grader_stand_in", False):
        return 0
    found = _wrapper_code(original)
    if found is None:
        return 0
    code, slot = found
    count = 0
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType and obj.__code__ is code and obj.__closure__:
            count += _give_stand_in(obj.__closure__[slot].cell_contents)

    @functools.wraps(original)
    def disable_dynamo(fn: Any = None, recursive: bool = True) -> Any:
        # Wrappers made later (a module torch imports lazily) get the stand-in too.
        if fn is not None:
            _give_stand_in(fn)
            return original(fn, recursive)
        return functools.partial(disable_dynamo, recursive=recursive)

    disable_dynamo._grader_stand_in = True  # type: ignore[attr-defined]
    torch._compile._disable_dynamo = disable_dynamo
    torch._disable_dynamo = disable_dynamo
    return count
