"""Reference solution: Xavier/Glorot and Kaiming/He initialisation (torch.nn.init conventions)."""

from __future__ import annotations

import math

import torch

SCHEMES = ("xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform")


def fan_in_fan_out(shape) -> tuple[int, int]:
    dims = tuple(int(s) for s in shape)
    if len(dims) < 2:
        raise ValueError(f"fan_in_fan_out needs a shape with at least 2 dimensions, got {dims}")
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


def xavier_std(fan_in, fan_out, gain=1.0) -> float:
    return float(gain) * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_bound(fan_in, fan_out, gain=1.0) -> float:
    return float(gain) * math.sqrt(6.0 / float(fan_in + fan_out))


def kaiming_std(fan_in, negative_slope=0.0) -> float:
    return math.sqrt(2.0 / ((1.0 + float(negative_slope) ** 2) * float(fan_in)))


def kaiming_uniform_bound(fan_in, negative_slope=0.0) -> float:
    return math.sqrt(6.0 / ((1.0 + float(negative_slope) ** 2) * float(fan_in)))


def init_weight(shape, scheme, generator, dtype=torch.float32) -> torch.Tensor:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    fan_in, fan_out = fan_in_fan_out(shape)
    size = tuple(int(s) for s in shape)
    device = generator.device
    if scheme == "xavier_normal":
        std = xavier_std(fan_in, fan_out)
        return torch.randn(size, generator=generator, dtype=dtype, device=device).mul_(std)
    if scheme == "kaiming_normal":
        std = kaiming_std(fan_in)
        return torch.randn(size, generator=generator, dtype=dtype, device=device).mul_(std)
    bound = xavier_uniform_bound(fan_in, fan_out) if scheme == "xavier_uniform" else kaiming_uniform_bound(fan_in)
    return torch.empty(size, dtype=dtype, device=device).uniform_(-bound, bound, generator=generator)


def relu_second_moments(x, depth, scheme, generator) -> list[float]:
    d = x.shape[1]
    h = x
    moments: list[float] = []
    for _ in range(int(depth)):
        w = init_weight((d, d), scheme, generator, dtype=x.dtype)
        z = h @ w.T
        moments.append(float(z.square().mean()))
        h = torch.relu(z)
    return moments
