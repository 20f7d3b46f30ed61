"""Bug: conv2d rounds the division up (math.ceil) instead of down.

Caught by: conv2d_output_shape matches torch conv2d, and raises ValueError where torch refuses
Caught by: conv2d_output_shape matches the reference (dilation, asymmetric pairs, larger inputs)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "conv2d_output_shape",
    "conv2d_param_count",
    "conv_transpose2d_output_shape",
    "pool2d_output_shape",
    "receptive_field",
]

IntOrPair = int | Sequence[int]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pair(value: IntOrPair, name: str) -> tuple[int, int]:
    """An int ``v`` means ``(v, v)``; a pair stays a pair (as a tuple of ints)."""
    if _is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")


def _at_least(values: tuple[int, int], low: int, name: str) -> None:
    if min(values) < low:
        raise ValueError(f"{name} must be >= {low}, got {values}")


def _input(input_hw: Sequence[int]) -> tuple[int, int]:
    if _is_int(input_hw):
        raise ValueError(f"input_hw must be a pair (H, W), got {input_hw!r}")
    hw = _pair(input_hw, "input_hw")
    _at_least(hw, 1, "input_hw")  # torch refuses empty spatial inputs
    return hw


def _checked(out: tuple[int, int], what: str) -> tuple[int, int]:
    if min(out) < 1:
        raise ValueError(f"{what}: output size {out} is smaller than 1")
    return out


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """floor((H + 2P - D(K-1) - 1) / S) + 1 per dimension, like ``torch.nn.Conv2d``."""
    hw = _input(input_hw)
    k, s = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    _at_least(k, 1, "kernel_size")
    _at_least(s, 1, "stride")
    _at_least(d, 1, "dilation")
    _at_least(p, 0, "padding")
    # Python's // floors (rounds toward -inf), which is what torch does for a too-small input.
    out = tuple(math.ceil((hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1 for i in range(2))
    return _checked(out, "conv2d")  # type: ignore[arg-type]


def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0, output_padding=0,
                                  dilation=1) -> tuple[int, int]:
    """(H-1)S - 2P + D(K-1) + output_padding + 1 per dimension, like ``torch.nn.ConvTranspose2d``."""
    hw = _input(input_hw)
    k, s = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    op = _pair(output_padding, "output_padding")
    _at_least(k, 1, "kernel_size")
    _at_least(s, 1, "stride")
    _at_least(d, 1, "dilation")
    _at_least(p, 0, "padding")
    _at_least(op, 0, "output_padding")
    for i in range(2):
        if op[i] >= max(s[i], d[i]):
            raise ValueError(f"output_padding {op} must be smaller than max(stride, dilation) per dimension")
    out = tuple((hw[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(2))
    return _checked(out, "conv_transpose2d")  # type: ignore[arg-type]


def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False) -> tuple[int, int]:
    """``torch.nn.MaxPool2d``: stride defaults to kernel_size; ceil_mode keeps a last window
    only if it starts inside the input or its left padding."""
    hw = _input(input_hw)
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    _at_least(k, 1, "kernel_size")
    _at_least(s, 1, "stride")
    _at_least(d, 1, "dilation")
    _at_least(p, 0, "padding")
    for i in range(2):
        if p[i] > k[i] // 2:
            raise ValueError(f"padding {p} must be at most half the kernel size {k}")
    out = []
    for i in range(2):
        span = hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1
        n = (span + (s[i] - 1 if ceil_mode else 0)) // s[i] + 1
        if ceil_mode and (n - 1) * s[i] >= hw[i] + p[i]:
            n -= 1  # that window would start in the right padding
        out.append(n)
    return _checked((out[0], out[1]), "pool2d")


def conv2d_param_count(in_channels, out_channels, kernel_size, groups=1, bias=True) -> int:
    """Weight (out, in/groups, kh, kw) plus out biases, like ``torch.nn.Conv2d``."""
    k = _pair(kernel_size, "kernel_size")
    _at_least(k, 1, "kernel_size")
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if in_channels < 0 or out_channels < 0:
        raise ValueError("channel counts must be >= 0")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    weights = out_channels * (in_channels // groups) * k[0] * k[1]
    return int(weights + (out_channels if bias else 0))


def receptive_field(layers) -> int:
    """1 + sum_l d_l (k_l - 1) prod_{i<l} s_i, layers given input first as (k, s, d)."""
    field, jump = 1, 1
    for layer in layers:
        k, s, d = (int(v) for v in layer)
        if k < 1 or s < 1 or d < 1:
            raise ValueError(f"kernel, stride and dilation must be >= 1, got {tuple(layer)}")
        field += d * (k - 1) * jump
        jump *= s
    return field
