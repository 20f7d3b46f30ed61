"""Independent copies of test data, fast for what tests hold: tensors in dicts, lists, tuples.

Replayed cases and cached reference answers are copied on every use, thousands of times per
submission, so that a test body which modifies its inputs cannot change what the next
submission sees. ``copy.deepcopy`` of a tensor goes through its storage's pickling protocol
(about ten times slower than ``clone``); plain tensors are cloned here and anything else
falls back to ``deepcopy``, with the same result.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

_ATOMS = (int, float, bool, str, bytes, complex, type(None))


def fresh(value: Any) -> Any:
    """A copy of ``value`` sharing no mutable part with it."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is torch.Tensor and value.layout is torch.strided and value.grad_fn is None:
        # detach + clone: deepcopy's leaf semantics (requires_grad kept, no history).
        return value.detach().clone().requires_grad_(value.requires_grad)
    if kind is dict:
        return {k: fresh(v) for k, v in value.items()}
    if kind is list:
        return [fresh(v) for v in value]
    if kind is tuple:
        return tuple(fresh(v) for v in value)
    return copy.deepcopy(value)


def to_device(value: Any, device: str) -> Any:
    """``value`` with every tensor in it (dicts, lists, tuples) on ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, list):
        return [to_device(v, device) for v in value]
    if isinstance(value, tuple):
        return tuple(to_device(v, device) for v in value)
    return value
