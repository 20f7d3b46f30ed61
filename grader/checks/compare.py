"""Comparisons that explain themselves.

Every check raises :class:`Mismatch` (an ``AssertionError``) whose message a student can act
on (shape, dtype, device, how many elements differ, the worst absolute and relative error and
where, NaN/Inf positions) and whose ``details`` the reports render (expected vs got side by
side with the differing elements marked).

Default tolerances per dtype; ``scale`` multiplies ``atol`` for results whose error grows with
the magnitude of the inputs (e.g. losses at |logits| = 1e4):

| dtype    | rtol  | atol  |
|----------|-------|-------|
| float16  | 1e-2  | 1e-3  |
| bfloat16 | 2e-2  | 1e-2  |
| float32  | 1e-4  | 1e-5  |
| float64  | 1e-10 | 1e-12 |

Why float64 is that tight (SPEC §2, "float64 means float64"): float64 rounding is 1.1e-16 per
operation, so a correct float64 result written another way (loops, another stable formula,
another summation order) differs from the oracle by ~1e-15 relative to the magnitude of its
terms, far inside rtol 1e-10. A float32 constant or intermediate in a float64 call leaves a
relative error of ~6e-8 (float32's eps/2), which the old rtol 1e-7 let through; 1e-10 fails it
with a margin of 500x on each side. atol 1e-12 covers results that cancel to ~0 (|terms| ~ 1e3
times 1e-16 per operation), and ``scale`` grows it where the terms are larger. Python floats
(``int``/``float`` results) are float64 values and get the float64 tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from grader.checks.student import StudentRaised

__all__ = [
    "DEFAULT_TOLERANCES",
    "Mismatch",
    "assert_close",
    "assert_equal",
    "assert_raises",
    "check",
    "tolerances",
]

DEFAULT_TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
    torch.float32: (1e-4, 1e-5),
    torch.float64: (1e-10, 1e-12),
}

_SHOW_MAX_ELEMENTS = 64  # tensors up to this size travel whole into the report


class Mismatch(AssertionError):
    """A result differs from what was expected; ``details`` is plain data for the report."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def tolerances(dtype: torch.dtype) -> tuple[float, float]:
    return DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))


def check(condition: bool, message: str, **details: Any) -> None:
    """Fail with ``message`` unless ``condition`` holds (for invariants)."""
    if not condition:
        raise Mismatch(message, **details)


def _index(flat: int, shape: Sequence[int]) -> list[int]:
    out = []
    for size in reversed(shape):
        out.append(flat % size if size else 0)
        flat //= max(size, 1)
    return list(reversed(out))


def _fmt(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else str(x)


def _type_name(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return type(value).__name__


def _compare_tensors(got: Any, want: torch.Tensor, *, rtol: float | None, atol: float | None,
                     scale: float, name: str, check_dtype: bool, check_device: bool,
                     equal_nan: bool) -> None:
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{name}: expected a tensor of shape {tuple(want.shape)}, got {_type_name(got)}",
                       name=name, kind="type")
    if tuple(got.shape) != tuple(want.shape):
        raise Mismatch(
            f"{name}: shape {tuple(got.shape)}, expected {tuple(want.shape)}",
            name=name, kind="shape", got_shape=list(got.shape), expected_shape=list(want.shape),
        )
    if check_dtype and got.dtype != want.dtype:
        raise Mismatch(f"{name}: dtype {got.dtype}, expected {want.dtype} (return the inputs' dtype)",
                       name=name, kind="dtype", got_dtype=str(got.dtype), expected_dtype=str(want.dtype))
    if check_device and got.device.type != want.device.type:
        raise Mismatch(f"{name}: on device {got.device.type}, expected {want.device.type} (return the inputs' device)",
                       name=name, kind="device")
    dtype = want.dtype
    if not (dtype.is_floating_point or dtype.is_complex):
        if not torch.equal(got.cpu(), want.cpu()):
            bad = (got.cpu() != want.cpu()).flatten().nonzero().flatten()
            first = int(bad[0])
            idx = _index(first, want.shape)
            raise Mismatch(
                f"{name}: {bad.numel()} of {want.numel()} elements differ; first at {idx}: "
                f"got {got.cpu().flatten()[first].item()}, expected {want.cpu().flatten()[first].item()}",
                name=name, kind="values", **_side_by_side(got, want, got.cpu() != want.cpu()),
            )
        return
    d_rtol, d_atol = tolerances(dtype)
    rtol = d_rtol if rtol is None else rtol
    atol = (d_atol if atol is None else atol) * max(scale, 1.0)
    g = got.detach().to("cpu", torch.float64)
    w = want.detach().to("cpu", torch.float64)
    # The common case first, in three ops: every expected element finite and every element
    # within tolerance (a NaN or Inf in ``got`` then fails the comparison by itself).
    if bool(torch.isfinite(w).all()) and bool(((g - w).abs() <= atol + rtol * w.abs()).all()):
        return
    g_nan, w_nan = torch.isnan(g), torch.isnan(w)
    g_inf, w_inf = torch.isinf(g), torch.isinf(w)
    nan_bad = g_nan & ~(w_nan & torch.tensor(equal_nan))
    inf_bad = (g_inf | w_inf) & ~(g_inf & w_inf & (torch.sign(g) == torch.sign(w)))
    finite = ~(g_nan | w_nan | g_inf | w_inf)
    abs_err = torch.where(finite, (g - w).abs(), torch.zeros_like(g))
    allowed = atol + rtol * w.abs()
    val_bad = finite & (abs_err > allowed)
    bad = val_bad | nan_bad | inf_bad | (w_nan & ~g_nan)
    if not bool(bad.any()):
        return
    n_bad = int(bad.sum())
    parts = [f"{name}: {n_bad} of {w.numel()} elements differ (rtol={rtol:g}, atol={atol:g})"]
    details: dict[str, Any] = {"name": name, "kind": "values", "mismatched": n_bad, "total": w.numel(),
                               "rtol": rtol, "atol": atol}
    if bool(nan_bad.any()) or bool((g_inf & ~w_inf).any()):
        nonfinite = (nan_bad | (g_inf & ~w_inf)).flatten().nonzero().flatten()[:8].tolist()
        where = [_index(i, w.shape) for i in nonfinite]
        parts.append(f"got NaN/Inf at {where}" if w.dim() else "got NaN/Inf for the scalar result")
        details["nonfinite_at"] = where
    if bool(val_bad.any()):
        flat_err = torch.where(val_bad, abs_err, torch.zeros_like(abs_err)).flatten()
        i_abs = int(flat_err.argmax())
        rel = flat_err / w.abs().flatten().clamp_min(1e-300)
        i_rel = int(torch.where(val_bad.flatten(), rel, torch.zeros_like(rel)).argmax())
        gf, wf = g.flatten(), w.flatten()
        parts.append(
            f"worst absolute error {_fmt(flat_err[i_abs])} at {_index(i_abs, w.shape)} "
            f"(got {_fmt(gf[i_abs])}, expected {_fmt(wf[i_abs])})"
        )
        if i_rel != i_abs:
            parts.append(
                f"worst relative error {_fmt(rel[i_rel])} at {_index(i_rel, w.shape)} "
                f"(got {_fmt(gf[i_rel])}, expected {_fmt(wf[i_rel])})"
            )
        details.update(
            worst_abs={"index": _index(i_abs, w.shape), "error": float(flat_err[i_abs]),
                       "got": float(gf[i_abs]), "expected": float(wf[i_abs])},
            worst_rel={"index": _index(i_rel, w.shape), "error": float(rel[i_rel]),
                       "got": float(gf[i_rel]), "expected": float(wf[i_rel])},
        )
    details.update(_side_by_side(g, w, bad))
    raise Mismatch("; ".join(parts), **details)


def _side_by_side(got: torch.Tensor, want: torch.Tensor, bad: torch.Tensor) -> dict[str, Any]:
    if want.numel() > _SHOW_MAX_ELEMENTS:
        return {}
    return {"got": got.cpu().tolist(), "expected": want.cpu().tolist(), "differs": bad.cpu().tolist()}


def assert_close(got: Any, want: Any, *, rtol: float | None = None, atol: float | None = None,
                 scale: float = 1.0, name: str = "result", check_dtype: bool = True,
                 check_device: bool = True, equal_nan: bool = False) -> None:
    """``got`` matches ``want`` within tolerance; recurses into tuples and lists.

    A float ``want`` accepts a Python number (a 0-dim tensor is refused: plain values were
    documented). ``scale`` grows ``atol`` for inputs of large magnitude.
    """
    if isinstance(want, torch.Tensor):
        _compare_tensors(got, want, rtol=rtol, atol=atol, scale=scale, name=name,
                         check_dtype=check_dtype, check_device=check_device, equal_nan=equal_nan)
    elif isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise Mismatch(f"{name}: expected a {type(want).__name__} of {len(want)} items, got {_type_name(got)}",
                           name=name, kind="type")
        if len(got) != len(want):
            raise Mismatch(f"{name}: expected {len(want)} items, got {len(got)}", name=name, kind="length")
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rtol=rtol, atol=atol, scale=scale, name=f"{name}[{i}]",
                         check_dtype=check_dtype, check_device=check_device, equal_nan=equal_nan)
    elif isinstance(want, bool) or want is None:
        assert_equal(got, want, name=name)
    elif isinstance(want, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise Mismatch(f"{name}: expected a Python number, got {_type_name(got)}", name=name, kind="type")
        # a Python float is a float64 value: float64's tolerances (a float32 leak fails)
        d_rtol, d_atol = DEFAULT_TOLERANCES[torch.float64]
        rtol = d_rtol if rtol is None else rtol
        atol = (d_atol if atol is None else atol) * max(scale, 1.0)
        g, w = float(got), float(want)
        if math.isnan(w) and math.isnan(g) and equal_nan:
            return
        if not math.isfinite(g) or not math.isfinite(w):
            if g != w:
                raise Mismatch(f"{name}: got {_fmt(g)}, expected {_fmt(w)}", name=name, kind="scalar",
                               got=g, expected=w)
            return
        if abs(g - w) > atol + rtol * abs(w):
            raise Mismatch(f"{name}: got {_fmt(g)}, expected {_fmt(w)} (absolute error {_fmt(abs(g - w))})",
                           name=name, kind="scalar", got=g, expected=w)
    else:
        assert_equal(got, want, name=name)


def assert_equal(got: Any, want: Any, *, name: str = "result") -> None:
    """Exact equality for ints, strings, lists and integer tensors; type-checked."""
    if isinstance(want, torch.Tensor):
        _compare_tensors(got, want, rtol=0.0, atol=0.0, scale=1.0, name=name, check_dtype=True,
                         check_device=True, equal_nan=False)
        return
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise Mismatch(f"{name}: got {got!r}, expected {want!r}", name=name, kind="value",
                           got=repr(got), expected=repr(want))
        for i, (g, w) in enumerate(zip(got, want)):
            assert_equal(g, w, name=f"{name}[{i}]")
        return
    if isinstance(want, bool) and not isinstance(got, bool):
        raise Mismatch(f"{name}: expected a bool, got {_type_name(got)}", name=name, kind="type")
    if isinstance(want, int) and not isinstance(want, bool) and (isinstance(got, bool) or not isinstance(got, int)):
        raise Mismatch(f"{name}: expected a Python int ({want!r}), got {_type_name(got)} {got!r}",
                       name=name, kind="type")
    if got != want:
        raise Mismatch(f"{name}: got {got!r}, expected {want!r}", name=name, kind="value",
                       got=repr(got), expected=repr(want))


def assert_raises(exception: type[BaseException] | str, call: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> None:
    """The student's ``call(*args, **kwargs)`` raises ``exception`` (a subclass counts)."""
    wanted = exception if isinstance(exception, str) else exception.__name__
    try:
        result = call(*args, **kwargs)
    except StudentRaised as raised:
        if wanted in raised.type_names:
            return
        raise Mismatch(f"expected {wanted}, but it raised {raised.type_name}: {raised.message}",
                       kind="exception", expected=wanted, got=raised.type_name) from None
    shown = repr(result)
    if len(shown) > 200:
        shown = shown[:200] + "…"
    raise Mismatch(f"expected {wanted} to be raised, but it returned {shown}", kind="exception",
                   expected=wanted, got="returned")
