"""Initialisation variance: Xavier/Glorot and Kaiming/He (torch.nn.init conventions).

Weights use torch layouts: a Linear weight is (out, in), a ConvNd weight (out, in, *kernel).
Functions documented as returning int / float / tuple / list[float] return plain Python
values, never tensors. Read README.md: the lecture notes mix up fan_in and fan_out and drop
factors of 2 and 3 in places; the formulas below win.
"""

from __future__ import annotations

import torch


def fan_in_fan_out(shape) -> tuple[int, int]:
    """Fans of a weight of shape ``shape`` (a tuple of ints) in torch's layout.

    ``shape = (out, in, *kernel)``: with ``r = prod(kernel)`` (1 for a Linear weight),
    ``fan_in = in * r`` and ``fan_out = out * r``. Returns ``(fan_in, fan_out)``, a tuple of
    two Python ints (same as ``torch.nn.init._calculate_fan_in_and_fan_out``).

    Raises ValueError if ``len(shape) < 2``.
    """
    raise NotImplementedError


def xavier_std(fan_in, fan_out, gain=1.0) -> float:
    """Xavier/Glorot normal std: ``gain * sqrt(2 / (fan_in + fan_out))``, a Python float."""
    raise NotImplementedError


def xavier_uniform_bound(fan_in, fan_out, gain=1.0) -> float:
    """Xavier/Glorot uniform bound b of U(-b, b): ``gain * sqrt(6 / (fan_in + fan_out))``, a Python float.

    (U(-b, b) has variance b^2 / 3, so this is sqrt(3) times ``xavier_std``.)
    """
    raise NotImplementedError


def kaiming_std(fan_in, negative_slope=0.0) -> float:
    """Kaiming/He normal std for a (leaky) ReLU of slope a: ``sqrt(2 / ((1 + a^2) * fan_in))``, a Python float."""
    raise NotImplementedError


def kaiming_uniform_bound(fan_in, negative_slope=0.0) -> float:
    """Kaiming/He uniform bound: ``sqrt(6 / ((1 + a^2) * fan_in))``, a Python float."""
    raise NotImplementedError


def init_weight(shape, scheme, generator, dtype=torch.float32) -> torch.Tensor:
    """A new weight tensor of exactly ``shape``, drawn with ``generator``.

    ``scheme`` is one of:

    | scheme            | distribution                                     |
    |-------------------|--------------------------------------------------|
    | "xavier_normal"   | N(0, xavier_std(fan_in, fan_out)^2), gain 1      |
    | "xavier_uniform"  | U(-b, b), b = xavier_uniform_bound(fan_in, fan_out) |
    | "kaiming_normal"  | N(0, kaiming_std(fan_in)^2), negative_slope 0    |
    | "kaiming_uniform" | U(-b, b), b = kaiming_uniform_bound(fan_in)      |

    with the fans of ``fan_in_fan_out(shape)``. Every random number comes from ``generator``
    (a ``torch.Generator``; never the global RNG), so the same generator state gives the same
    tensor. The result has dtype ``dtype`` and lives on ``generator.device``.

    Raises ValueError for any other ``scheme``.
    """
    raise NotImplementedError


def relu_second_moments(x, depth, scheme, generator) -> list[float]:
    """The depth experiment: how the second moment of the pre-activations evolves.

    ``x`` is ``(N, D)``. Start from ``h = x``; for each of ``depth`` layers draw a fresh
    ``W = init_weight((D, D), scheme, generator, ...)`` (bias-free, D -> D), compute the
    pre-activation ``z = h @ W.T``, record ``mean(z**2)`` (over all N*D entries), then set
    ``h = relu(z)``. Returns the ``depth`` recorded values as a list of Python floats.

    The generator is on ``x``'s device; keep ``x``'s dtype and device.
    """
    raise NotImplementedError
