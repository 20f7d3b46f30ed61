"""Hypothesis strategies for the inputs of deep-learning functions.

Tensors are drawn element by element (through numpy arrays), so hypothesis shrinks them to
small shapes and simple values such as 0.0, which is where sign conventions and
derivative-at-zero bugs show. Every strategy returns CPU tensors; the driver moves a drawn
case to the grading device before the test body sees it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.built import BuildSpec, built

FLOAT_DTYPES = (torch.float32, torch.float64)

_NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64}

__all__ = [
    "FLOAT_DTYPES",
    "BuildSpec",
    "built",
    "dims",
    "float_dtypes",
    "int_tensors",
    "shapes",
    "tensors",
]


def float_dtypes() -> st.SearchStrategy[torch.dtype]:
    """float32 or float64 (float64 first, so shrinking prefers the more exact dtype)."""
    return st.sampled_from([torch.float64, torch.float32])


def dims(min_value: int = 1, max_value: int = 6) -> st.SearchStrategy[int]:
    return st.integers(min_value=min_value, max_value=max_value)


def shapes(ndim: int, min_side: int = 1, max_side: int = 6) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[dims(min_side, max_side) for _ in range(ndim)])


def _as_strategy(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _float_elements(dtype: torch.dtype, min_value: float, max_value: float) -> st.SearchStrategy[float]:
    width = 32 if dtype == torch.float32 else 64
    return st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=width,
    )


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: Sequence[int] | st.SearchStrategy[Sequence[int]],
    *,
    dtype: torch.dtype | st.SearchStrategy[torch.dtype] = torch.float64,
    min_value: float = -10.0,
    max_value: float = 10.0,
    elements: st.SearchStrategy[float] | None = None,
    unique: bool = False,
) -> torch.Tensor:
    """A CPU float tensor of ``shape`` with finite elements in ``[min_value, max_value]``.

    ``shape`` and ``dtype`` may be strategies. ``elements`` replaces the default floats
    (e.g. ``st.sampled_from([0.0, 1.0])``); ``unique`` draws distinct elements.
    """
    dt = draw(_as_strategy(dtype))
    shp = tuple(int(s) for s in draw(_as_strategy(shape)))
    elems = elements if elements is not None else _float_elements(dt, min_value, max_value)
    array = draw(hnp.arrays(_NUMPY_DTYPE[dt], shp, elements=elems, unique=unique))
    return torch.from_numpy(np.ascontiguousarray(array)).to(dt)


@st.composite
def int_tensors(
    draw: st.DrawFn,
    shape: Sequence[int] | st.SearchStrategy[Sequence[int]],
    *,
    low: int,
    high: int,
) -> torch.Tensor:
    """A CPU int64 tensor of ``shape`` with elements in ``[low, high]`` (both included)."""
    shp = tuple(int(s) for s in draw(_as_strategy(shape)))
    array = draw(hnp.arrays(np.int64, shp, elements=st.integers(low, high)))
    return torch.from_numpy(np.ascontiguousarray(array))


def seeded_tensor(shape: Sequence[int], seed: int, *, dtype: torch.dtype = torch.float64,
                  scale: float = 1.0) -> torch.Tensor:
    """A normal tensor from an explicit seed: for large inputs where element shrinking is useless."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float64).mul_(scale).to(dtype)


def log_uniform(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    """Positive floats spread evenly over orders of magnitude."""
    lo, hi = math.log(min_value), math.log(max_value)
    return st.floats(lo, hi).map(math.exp)


__all__ += ["log_uniform", "seeded_tensor"]
__all__.sort()
