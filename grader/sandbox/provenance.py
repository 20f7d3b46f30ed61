"""Worker side: where the meta device cannot go, follow which tensors come from the inputs.

A meta run stops at the first value read (``.item()``, ``.tolist()``, ``float(t)``, ``if t:``):
meta tensors have no values. Those reads are legal on a GPU, but what follows them often is
not: ``torch.tensor(x.tolist())`` or ``torch.tensor(loss.item())`` is a new tensor on the CPU.
So :func:`run_tracking_inputs` calls the function once more on the real CPU inputs and tags
every tensor a torch call makes from a tagged one (or with ``device=``): the tensors that would
be on the inputs' device on a GPU. An untagged n-dim tensor meeting a tagged one, or an
untagged tensor in the result, is what a GPU would refuse or return on the wrong device. The
report has the shape of a meta report (:mod:`grader.sandbox.meta`): ``status``, ``mixed``,
``misplaced``, ``created``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

# Calls whose result stays on the CPU whatever their input: they move data off the device.
_LEAVES = frozenset({"Tensor.cpu", "Tensor.numpy", "Tensor.tolist", "Tensor.item"})


def _tensors(args: Any, kwargs: Any) -> list[torch.Tensor]:
    found = []
    for value in (*args, *(kwargs or {}).values()):
        for t in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(t, torch.Tensor):
                found.append(t)
    return found


class _Provenance(TorchFunctionMode):
    def __init__(self, paths: tuple[str, str], inputs: list[torch.Tensor]) -> None:
        super().__init__()
        from grader.sandbox import meta

        self._meta = meta
        self.paths = paths
        self._tagged: dict[int, weakref.ref[torch.Tensor]] = {}
        self.mixed: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        for t in inputs:
            self.tag(t)

    def tag(self, t: torch.Tensor) -> None:
        self._tagged[id(t)] = weakref.ref(t)

    def is_tagged(self, t: torch.Tensor) -> bool:
        ref = self._tagged.get(id(t))
        return ref is not None and ref() is t

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = self._meta._name_of(func)
        given = _tensors(args, kwargs)
        tagged = [t for t in given if self.is_tagged(t)]
        if (tagged and not self.mixed and name not in self._meta._MAY_MIX
                and any(not self.is_tagged(t) and t.dim() > 0 for t in given)):
            self.mixed.append({"what": name, **(self._watch_caller() or {})})
        result = func(*args, **(kwargs or {}))
        options = (*args[1:], *(kwargs or {}).values())
        wants_device = (kwargs or {}).get("device") is not None or (
            name == "Tensor.to" and any(isinstance(a, (torch.device, str)) for a in options))
        follows = (bool(tagged) or wants_device) and name not in _LEAVES
        for _, t in self._meta.tensors_in(result):
            if follows:
                self.tag(t)
            elif not self.is_tagged(t) and len(self.created) < self._meta.MAX_CREATED:
                self.created.append({"what": name, **(self._watch_caller() or {})})
        return result

    def _watch_caller(self) -> dict[str, Any] | None:
        return self._meta._Watch._caller(self)  # type: ignore[arg-type]


def run_tracking_inputs(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
                        paths: tuple[str, str]) -> dict[str, Any]:
    """Call ``fn`` on its CPU inputs, following which tensors come from them."""
    from grader.sandbox.meta import tensors_in

    inputs = [t for _, t in tensors_in([list(args), list(kwargs.values())])]
    mode = _Provenance(paths, inputs)
    try:
        with mode:
            value = fn(*args, **kwargs)
    except BaseException:  # noqa: BLE001 - only what it did before raising is evidence
        return {"status": "raised", "mixed": mode.mixed, "created": mode.created, "error": {"message": ""}}
    misplaced = [[where, "cpu"] for where, t in tensors_in(value) if not mode.is_tagged(t)][:5]
    return {"status": "returned", "mixed": mode.mixed, "created": mode.created, "misplaced": misplaced}
