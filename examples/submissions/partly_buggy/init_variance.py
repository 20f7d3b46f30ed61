"""Bug: Kaiming variance 1/((1+a^2) fan_in), missing the factor 2 that compensates the ReLU.

Caught by: kaiming_std and kaiming_uniform_bound match torch.nn.init (leaky ReLU slopes too)
Caught by: init_weight: mean, variance, bound and shape of the distribution for every scheme
"""

from __future__ import annotations

import math

import torch


def fan_in_fan_out(shape):
    shape = list(shape)
    if len(shape) < 2:
        raise ValueError(f"shape {shape} has fewer than 2 dimensions")
    receptive = 1
    for k in shape[2:]:
        receptive = receptive * int(k)
    fan_in = int(shape[1]) * receptive
    fan_out = int(shape[0]) * receptive
    return (fan_in, fan_out)


def xavier_std(fan_in, fan_out, gain=1.0):
    variance = 2.0 / (fan_in + fan_out)
    return float(gain * variance**0.5)


def xavier_uniform_bound(fan_in, fan_out, gain=1.0):
    variance = gain * gain * 2.0 / (fan_in + fan_out)
    return math.sqrt(3.0 * variance)  # Var U(-b, b) = b^2 / 3


def kaiming_std(fan_in, negative_slope=0.0):
    gain_sq = 1.0 / (1.0 + negative_slope * negative_slope)
    return math.sqrt(gain_sq / fan_in)


def kaiming_uniform_bound(fan_in, negative_slope=0.0):
    return math.sqrt(3.0 * 1.0 / (1.0 + negative_slope * negative_slope) / fan_in)


def init_weight(shape, scheme, generator, dtype=torch.float32):
    known = ["xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"]
    if scheme not in known:
        raise ValueError("scheme must be one of " + ", ".join(known))
    fan_in, fan_out = fan_in_fan_out(shape)
    size = tuple(shape)
    dev = generator.device
    if scheme == "xavier_normal":
        return torch.normal(0.0, xavier_std(fan_in, fan_out), size=size, generator=generator, dtype=dtype, device=dev)
    if scheme == "kaiming_normal":
        return torch.normal(0.0, kaiming_std(fan_in), size=size, generator=generator, dtype=dtype, device=dev)
    if scheme == "xavier_uniform":
        b = xavier_uniform_bound(fan_in, fan_out)
    else:
        b = kaiming_uniform_bound(fan_in)
    u = torch.rand(size, generator=generator, dtype=dtype, device=dev)
    return u * (2 * b) - b


def relu_second_moments(x, depth, scheme, generator):
    n, d = x.shape
    moments = []
    h = x
    for layer in range(depth):
        w = init_weight((d, d), scheme, generator, x.dtype)
        z = torch.matmul(h, w.t())
        moments.append(float((z * z).sum()) / (n * d))
        h = z.clamp_min(0)
    return moments
