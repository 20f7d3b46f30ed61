"""Correct: hand-written stable softplus (max(x, 0) + log1p(exp(-|x|))), Python loops for the theory.
"""

from __future__ import annotations

import math

import torch


def _softplus(x):
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def discriminator_loss(real_logits, fake_logits):
    # -log sigmoid(x) = softplus(-x); -log(1 - sigmoid(x)) = softplus(x)
    return torch.mean(_softplus(-real_logits)) + torch.mean(_softplus(fake_logits))


def generator_loss(fake_logits, kind="non_saturating"):
    if kind == "non_saturating":
        return torch.mean(_softplus(-fake_logits))
    if kind == "saturating":
        return -torch.mean(_softplus(fake_logits))
    raise ValueError(kind)


def optimal_discriminator(p_data, p_model):
    values = []
    for a, b in zip(p_data.tolist(), p_model.tolist()):
        values.append(0.5 if a + b == 0 else a / (a + b))
    return torch.tensor(values, dtype=p_data.dtype, device=p_data.device)


def jensen_shannon(p, q):
    total = 0.0
    for a, b in zip(p.tolist(), q.tolist()):
        m = 0.5 * (a + b)
        if a > 0:
            total += 0.5 * a * math.log(a / m)
        if b > 0:
            total += 0.5 * b * math.log(b / m)
    return torch.tensor(total, dtype=p.dtype, device=p.device)


def gan_value_at_optimum(p_data, p_model):
    total = 0.0
    for a, b in zip(p_data.tolist(), p_model.tolist()):
        if a > 0:
            total += a * math.log(a / (a + b))
        if b > 0:
            total += b * math.log(b / (a + b))
    return torch.tensor(total, dtype=p_data.dtype, device=p_data.device)


def wasserstein_critic_loss(real_scores, fake_scores):
    return fake_scores.sum() / fake_scores.numel() - real_scores.sum() / real_scores.numel()


def wasserstein_generator_loss(fake_scores):
    return -(fake_scores.sum() / fake_scores.numel())
