"""Reference solution of ``batch_norm`` (never released to students)."""

from __future__ import annotations

import torch


def _dims(x):
    if x.dim() < 2:
        raise ValueError("x must have shape (N, C, *spatial)")
    return [0] + list(range(2, x.dim()))


def _per_channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.dim() - 2))


def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    dims = _dims(x)
    n = x.numel() // x.shape[1]
    if training:
        if n < 2:
            raise ValueError("more than one value per channel is needed in training")
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, unbiased=False)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.clone(), running_var.clone()
    xhat = (x - _per_channel(mean, x)) / torch.sqrt(_per_channel(var, x) + eps)
    return _per_channel(gamma, x) * xhat + _per_channel(beta, x), new_mean, new_var


def batch_norm_backward(dy, x, gamma, eps=1e-5):
    dims = _dims(x)
    mean = _per_channel(x.mean(dim=dims), x)
    inv = 1 / torch.sqrt(_per_channel(x.var(dim=dims, unbiased=False), x) + eps)
    xhat = (x - mean) * inv
    dbeta = dy.sum(dim=dims)
    dgamma = (dy * xhat).sum(dim=dims)
    dxhat = dy * _per_channel(gamma, x)
    dx = inv * (dxhat - dxhat.mean(dim=dims, keepdim=True) - xhat * (dxhat * xhat).mean(dim=dims, keepdim=True))
    return dx, dgamma, dbeta
