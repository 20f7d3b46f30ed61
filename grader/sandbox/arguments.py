"""Did a call modify its arguments? (SPEC §2: a function never changes its arguments in place.)

Runs in the worker, next to the call: before it, :func:`snapshot` copies every tensor the
call can reach through its arguments (a tensor argument, or one inside a list, tuple or dict
argument, a few levels deep) and the length of every list; after it, :func:`changes` lists
what differs, each change with the argument's name (``dout``, ``params[1][0]``) and the first
changed index. Only what the call was handed is copied, so the cost is one copy of the inputs.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

_MAX_DEPTH = 3
_MAX_REPORTED = 5


def _names(fn: Any, n_args: int, kwargs: dict[str, Any]) -> list[str]:
    """The parameter names the positional arguments bind to (``args[i]`` where unknown)."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i].name if i < len(params) else f"args[{i}]" for i in range(n_args)]


def _collect(root: int | str, label: str, value: Any, out: list[tuple[int | str, str, Any, Any]], depth: int) -> None:
    """Copies of what ``value`` holds, each with its argument (``root``: a positional index or
    a keyword) and where inside it sits (``label``: ``""``, ``"[1][0]"``)."""
    if isinstance(value, torch.Tensor):
        out.append((root, label, value, value.detach().clone()))
    elif depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        if isinstance(value, list):
            out.append((root, label, value, len(value)))
        for i, item in enumerate(value):
            _collect(root, f"{label}[{i}]", item, out, depth + 1)
    elif depth < _MAX_DEPTH and isinstance(value, dict):
        for key, item in value.items():
            _collect(root, f"{label}[{key!r}]", item, out, depth + 1)


def snapshot(fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Snapshot:
    """What the call gets, with a copy of it: a tensor's clone, a list's length."""
    out: list[tuple[int | str, str, Any, Any]] = []
    for i, value in enumerate(args):
        _collect(i, "", value, out, 0)
    for name, value in kwargs.items():
        _collect(name, "", value, out, 0)
    return Snapshot(fn, len(args), kwargs, out)


class Snapshot:
    """The copies :func:`snapshot` took. A positional argument is known by its index until a
    change is reported: the parameter names (``inspect.signature``, the costliest part of a
    snapshot) are looked up only then, once."""

    def __init__(self, fn: Any, n_args: int, kwargs: dict[str, Any],
                 copies: list[tuple[int | str, str, Any, Any]]) -> None:
        self.fn, self.n_args, self.kwargs, self.copies = fn, n_args, kwargs, copies
        self._names: list[str] | None = None

    def label(self, root: int | str, inside: str) -> str:
        if isinstance(root, str):
            return root + inside
        if self._names is None:
            self._names = _names(self.fn, self.n_args, self.kwargs)
        return self._names[root] + inside


def _first_difference(now: torch.Tensor, before: torch.Tensor) -> dict[str, Any] | None:
    if now.shape != before.shape or now.dtype != before.dtype:
        return {"what": f"its shape or dtype changed from {tuple(before.shape)} {before.dtype} "
                        f"to {tuple(now.shape)} {now.dtype}"}
    if now.numel() == 0:
        return None
    now = now.detach()
    if torch.equal(now, before):  # the common case in one op; NaN (never equal) takes the long way
        return None
    differs = now != before
    if now.is_floating_point() or now.is_complex():
        differs &= ~(torch.isnan(now) & torch.isnan(before))  # NaN stays NaN: unchanged
    if not bool(differs.any()):
        return None
    index = [int(i) for i in differs.nonzero()[0].tolist()]
    where = tuple(index)
    return {"index": index, "before": before[where].item(), "after": now[where].item(),
            "count": int(differs.sum())}


def changes(before: Snapshot) -> list[dict[str, Any]]:
    """What the call changed, as plain data for the reply (at most a few entries)."""
    found: list[dict[str, Any]] = []
    for root, inside, obj, copy in before.copies:
        if isinstance(obj, list):
            if len(obj) != copy:
                found.append({"argument": before.label(root, inside),
                              "what": f"the list's length changed from {copy} to {len(obj)}"})
        else:
            try:
                diff = _first_difference(obj, copy)
            except RuntimeError as exc:  # a tensor the student made unreadable (resized storage, ...)
                diff = {"what": f"it can no longer be read ({exc})"[:200]}
            if diff is not None:
                found.append({"argument": before.label(root, inside), **diff})
        if len(found) >= _MAX_REPORTED:
            break
    return found
