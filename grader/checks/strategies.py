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


def float_elements(dtype: torch.dtype, min_value: float = -10.0, max_value: float = 10.0, *,
                   specials: Sequence[float] = (), extreme: float | None = None) -> st.SearchStrategy[float]:
    """Elements for a tensor of ``dtype`` (SPEC §2: float64 draws carry float64 precision).

    float64 elements are drawn at full float64 width, so most are not representable in
    float32 (a ``width=32`` strategy for both dtypes would hide a float32 leak in the inputs).
    ``specials`` are mixed in often (e.g. ``(0.0, -0.0)`` where ReLU'(0) lives); ``extreme``
    adds magnitudes log-uniform in ``[1, extreme]`` of either sign (e.g. 1e4: where exp
    overflows), plus ``±extreme`` itself.
    """
    parts = [_float_elements(dtype, min_value, max_value)]
    if specials:
        parts.append(st.sampled_from([float(v) for v in specials]))
    if extreme is not None:
        big = st.tuples(st.sampled_from([-1.0, 1.0]), log_uniform(1.0, float(extreme))).map(
            lambda sv: _representable(sv[0] * sv[1], dtype))
        parts += [big, st.sampled_from([-float(extreme), float(extreme)])]
    return st.one_of(*parts) if len(parts) > 1 else parts[0]


def _representable(value: float, dtype: torch.dtype) -> float:
    return float(np.float32(value)) if dtype == torch.float32 else float(value)


def dtype_tensors(shape: Sequence[int] | st.SearchStrategy[Sequence[int]], *,
                  dtype: torch.dtype | st.SearchStrategy[torch.dtype] = torch.float64,
                  min_value: float = -10.0, max_value: float = 10.0, specials: Sequence[float] = (),
                  extreme: float | None = None) -> st.SearchStrategy[torch.Tensor]:
    """:func:`tensors` whose elements follow the drawn dtype (:func:`float_elements`)."""

    @st.composite
    def draw_tensor(draw: st.DrawFn) -> torch.Tensor:
        dt = draw(_as_strategy(dtype))
        elems = float_elements(dt, min_value, max_value, specials=specials, extreme=extreme)
        return draw(tensors(shape, dtype=dt, elements=elems))

    return draw_tensor()


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


__all__ += ["dtype_tensors", "float_elements", "log_uniform", "seeded_tensor"]
__all__.sort()
