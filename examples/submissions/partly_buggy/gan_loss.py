"""Bug: JS as Σ p log(p/m) without masking: 0·log 0 gives NaN for zero-mass entries.

Caught by: jensen_shannon: matches its definition, symmetric, in [0, log 2], 0 iff equal, log 2 when disjoint
Caught by: jensen_shannon matches the reference (natural log, zero-mass entries)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits, fake_logits):
    real_term = -F.logsigmoid(real_logits).mean()
    fake_term = -F.logsigmoid(-fake_logits).mean()
    return real_term + fake_term


def generator_loss(fake_logits, kind="non_saturating"):
    if kind == "non_saturating":
        return -F.logsigmoid(fake_logits).mean()
    elif kind == "saturating":
        return F.logsigmoid(-fake_logits).mean()
    raise ValueError(f"unknown kind: {kind}")


def optimal_discriminator(p_data, p_model):
    denom = p_data + p_model
    d = p_data / denom.clamp_min(torch.finfo(denom.dtype).tiny)
    return torch.where(denom > 0, d, torch.full_like(d, 0.5))


def _kl(p, q):
    return (p * torch.log(p / q)).sum()


def jensen_shannon(p, q):
    m = (p + q) / 2
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def gan_value_at_optimum(p_data, p_model):
    d = optimal_discriminator(p_data, p_model)
    data_term = torch.xlogy(p_data, d).sum()
    model_term = torch.xlogy(p_model, p_model / (p_data + p_model).clamp_min(torch.finfo(d.dtype).tiny)).sum()
    return data_term + model_term


def wasserstein_critic_loss(real_scores, fake_scores):
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores):
    return -fake_scores.mean()
