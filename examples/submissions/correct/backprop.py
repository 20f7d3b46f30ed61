"""Correct: explicit Python loops over the batch and the layers, torch.where masks, 1/(1+exp(-z))."""

from __future__ import annotations

import torch


def linear_forward(x, W, b):
    rows = [W @ x[n] + b for n in range(x.shape[0])]
    return torch.stack(rows)


def linear_backward(dz, x, W):
    dx = torch.zeros_like(x)
    dW = torch.zeros_like(W)
    db = torch.zeros(W.shape[0], dtype=dz.dtype, device=dz.device)
    for n in range(x.shape[0]):
        dx[n] = W.T @ dz[n]
        dW += torch.outer(dz[n], x[n])
        db += dz[n]
    return dx, dW, db


def relu_forward(z):
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_backward(dout, z):
    return torch.where(z > 0, dout, torch.zeros_like(dout))


def _sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_backward(dout, z):
    s = _sigmoid(z)
    return dout * s * (1.0 - s)


def tanh_backward(dout, z):
    return dout * (1.0 - torch.tanh(z) ** 2)


def softmax_cross_entropy(logits, y):
    n, c = logits.shape
    total = logits.new_zeros(())
    dlogits = torch.empty_like(logits)
    for i in range(n):
        row = logits[i]
        m = row.max()
        e = torch.exp(row - m)
        s = e.sum()
        label = int(y[i])
        total = total + (torch.log(s) + m - row[label])
        p = e / s
        p[label] = p[label] - 1.0
        dlogits[i] = p / n
    return total / n, dlogits


_FORWARD = {"relu": relu_forward, "sigmoid": _sigmoid, "tanh": torch.tanh}
_BACKWARD = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}


def mlp_forward(x, params, activation="relu"):
    if activation not in _FORWARD:
        raise ValueError(f"unknown activation: {activation}")
    h = x
    for i in range(len(params)):
        W, b = params[i]
        h = linear_forward(h, W, b)
        if i != len(params) - 1:
            h = _FORWARD[activation](h)
    return h


def mlp_loss_and_grads(x, y, params, activation="relu"):
    if activation not in _FORWARD:
        raise ValueError(f"unknown activation: {activation}")
    cache = []
    h = x
    for i in range(len(params)):
        W, b = params[i]
        z = linear_forward(h, W, b)
        cache.append((h, z))
        h = _FORWARD[activation](z) if i != len(params) - 1 else z
    loss, d = softmax_cross_entropy(h, y)
    grads = []
    for i in reversed(range(len(params))):
        h_in, _ = cache[i]
        dx, dW, db = linear_backward(d, h_in, params[i][0])
        grads.insert(0, (dW, db))
        if i > 0:
            d = _BACKWARD[activation](dx, cache[i - 1][1])
    return loss, grads
