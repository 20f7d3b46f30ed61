"""Batch normalisation by hand: forward in train and eval mode, backward for x, gamma, beta.

Conventions (see README.md):

* ``x`` has shape ``(N, C)``, ``(N, C, L)`` (BatchNorm1d) or ``(N, C, H, W)`` (BatchNorm2d);
  statistics are per channel ``C``, over every other dimension (n = x.numel() / C values).
  ``gamma``, ``beta``, ``running_mean``, ``running_var`` have shape ``(C,)``.
* float32 or float64, CPU or CUDA; results keep x's dtype and device. Inputs are never
  modified in place (new running statistics are returned, not written into the arguments).
* torch's batch norm (``torch.nn.functional.batch_norm``, ``BatchNorm1d/2d``) and autograd
  may not be called.
"""

from __future__ import annotations

import torch


def batch_norm_forward(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
                       running_var: torch.Tensor, training: bool, momentum: float = 0.1,
                       eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(y, new_running_mean, new_running_var)`` as ``torch.nn.BatchNorm1d/2d`` computes them.

    training: mu, var = batch mean and *biased* variance (divide by n) per channel;
        y = gamma * (x - mu) / sqrt(var + eps) + beta;
        new_running_mean = (1 - momentum) * running_mean + momentum * mu;
        new_running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)  (unbiased).
    eval: y uses running_mean and running_var in place of mu and var; the running statistics
        are returned unchanged (as new tensors).

    Raises ValueError if x has fewer than 2 dimensions, or, in training, n < 2.
    """
    raise NotImplementedError


def batch_norm_backward(dy: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor,
                        eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(dx, dgamma, dbeta)`` of the training-mode forward (batch statistics), given
    ``dy = dL/dy`` of x's shape. dgamma and dbeta have shape ``(C,)``."""
    raise NotImplementedError
