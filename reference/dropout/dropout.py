"""Reference solution of ``dropout`` (never released to students): inverted dropout with a
mask drawn from the given generator, scaled at training time, identity in eval mode."""

from __future__ import annotations

import torch

__all__ = ["dropout", "dropout_backward", "dropout_mask"]


def _check(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")


def _scaled(values: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """values * mask / (1 - p); zeros for p = 1 (not 0 * inf = NaN)."""
    if p == 1.0:
        return torch.zeros_like(values)
    return torch.where(mask, values / (1.0 - p), torch.zeros_like(values))


def dropout_mask(shape, p, generator):
    """True (kept) where a uniform draw in [0, 1) is >= p: probability 1 - p, exactly 1 for p = 0."""
    _check(p)
    u = torch.rand(tuple(shape), generator=generator, device=generator.device, dtype=torch.float64)
    return u >= p


def dropout(x, p, training, generator):
    _check(p)
    if not training:
        return x.clone()
    return _scaled(x, dropout_mask(x.shape, p, generator), p)


def dropout_backward(grad_out, mask, p):
    return _scaled(grad_out, mask.bool(), p)
