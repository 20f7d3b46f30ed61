"""Builds a torch.dtype on the worker's side (the wire carries tensors and plain data, not dtypes).

A test passes ``dtype_arg(torch.float64)`` where a student function takes a dtype; the worker
rebuilds ``torch.float64`` from its name with :func:`torch_dtype`.
"""

from __future__ import annotations

import torch

_ALLOWED = {"float32": torch.float32, "float64": torch.float64}


def torch_dtype(name: str) -> torch.dtype:
    return _ALLOWED[name]
