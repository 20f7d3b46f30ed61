"""Reference solution of ``optimizers`` (never released to students)."""

from __future__ import annotations

import math


def _check(params, grads, lr, weight_decay, eps=0.0, betas=(0.0, 0.0), alpha=0.0, momentum=0.0):
    if len(params) != len(grads) or any(p.shape != g.shape for p, g in zip(params, grads)):
        raise ValueError("params and grads must match in length and shapes")
    if lr < 0 or weight_decay < 0 or eps < 0 or momentum < 0 or not 0 <= alpha < 1:
        raise ValueError("invalid hyper-parameter")
    if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
        raise ValueError("invalid betas")


def sgd_step(params, grads, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    _check(params, grads, lr, weight_decay, momentum=momentum)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov needs momentum > 0 and dampening 0")
    step = 0 if state is None else state["step"]
    bufs = None if state is None else state["momentum_buffer"]
    new_params, new_bufs = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        d = g + weight_decay * p
        if momentum != 0:
            b = d.clone() if bufs is None else momentum * bufs[i] + (1 - dampening) * d
            new_bufs.append(b)
            d = d + momentum * b if nesterov else b
        new_params.append(p - lr * d)
    return new_params, {"step": step + 1, "momentum_buffer": new_bufs if momentum != 0 else None}


def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
    _check(params, grads, lr, weight_decay, eps=eps, alpha=alpha)
    step = 0 if state is None else state["step"]
    new_params, new_sq = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        g = g + weight_decay * p
        sq = g * g * (1 - alpha) if state is None else alpha * state["square_avg"][i] + (1 - alpha) * g * g
        new_sq.append(sq)
        new_params.append(p - lr * g / (sq.sqrt() + eps))
    return new_params, {"step": step + 1, "square_avg": new_sq}


def _adam(params, grads, state, lr, betas, eps, weight_decay, decoupled):
    _check(params, grads, lr, weight_decay, eps=eps, betas=betas)
    b1, b2 = betas
    step = (0 if state is None else state["step"]) + 1
    bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
    new_params, ms, vs = [], [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = (1 - b1) * g if state is None else b1 * state["exp_avg"][i] + (1 - b1) * g
        v = (1 - b2) * g * g if state is None else b2 * state["exp_avg_sq"][i] + (1 - b2) * g * g
        ms.append(m)
        vs.append(v)
        new_params.append(p - (lr / bc1) * m / (v.sqrt() / math.sqrt(bc2) + eps))
    return new_params, {"step": step, "exp_avg": ms, "exp_avg_sq": vs}


def adam_step(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return _adam(params, grads, state, lr, betas, eps, weight_decay, decoupled=False)


def adamw_step(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return _adam(params, grads, state, lr, betas, eps, weight_decay, decoupled=True)
