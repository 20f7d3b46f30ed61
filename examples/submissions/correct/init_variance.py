"""Correct: draws in float64 then casts to dtype, gain-over-sqrt formulas, torch.where ReLU, einsum layers."""

from __future__ import annotations

import math
from functools import reduce

import torch

_SCHEMES = {
    "xavier_normal": ("xavier", "normal"),
    "xavier_uniform": ("xavier", "uniform"),
    "kaiming_normal": ("kaiming", "normal"),
    "kaiming_uniform": ("kaiming", "uniform"),
}


def fan_in_fan_out(shape):
    dims = [int(s) for s in shape]
    if len(dims) < 2:
        raise ValueError("a weight needs an (out, in) part")
    r = reduce(lambda a, b: a * b, dims[2:], 1)
    return dims[1] * r, dims[0] * r


def xavier_std(fan_in, fan_out, gain=1.0):
    return gain / math.sqrt((fan_in + fan_out) / 2.0)


def xavier_uniform_bound(fan_in, fan_out, gain=1.0):
    return gain * math.sqrt(6.0) / math.sqrt(fan_in + fan_out)


def kaiming_std(fan_in, negative_slope=0.0):
    gain = math.sqrt(2.0 / (1 + negative_slope**2))
    return gain / math.sqrt(fan_in)


def kaiming_uniform_bound(fan_in, negative_slope=0.0):
    gain = math.sqrt(2.0 / (1 + negative_slope**2))
    return gain * math.sqrt(3.0 / fan_in)


def init_weight(shape, scheme, generator, dtype=torch.float32):
    try:
        family, law = _SCHEMES[scheme]
    except (KeyError, TypeError):
        raise ValueError(f"unknown scheme: {scheme!r}") from None
    fan_in, fan_out = fan_in_fan_out(shape)
    opts = dict(generator=generator, dtype=torch.float64, device=generator.device)
    if law == "normal":
        std = xavier_std(fan_in, fan_out) if family == "xavier" else kaiming_std(fan_in)
        w = torch.randn(*shape, **opts) * std
    else:
        b = xavier_uniform_bound(fan_in, fan_out) if family == "xavier" else kaiming_uniform_bound(fan_in)
        w = (torch.rand(*shape, **opts) - 0.5) * (2.0 * b)
    return w.to(dtype)


def relu_second_moments(x, depth, scheme, generator):
    d = x.size(1)
    h = x
    result = []
    for _ in range(depth):
        w = init_weight((d, d), scheme, generator, dtype=x.dtype)
        z = torch.einsum("nk,jk->nj", h, w)
        result.append(z.pow(2).mean().item())
        h = torch.where(z > 0, z, torch.zeros_like(z))
    return result
