"""Correct: computes in float64 and casts back; Bernoulli via -binary_cross_entropy_with_logits, x*l - softplus form checked; sum over the last dim."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def reparameterize(mu, logvar, eps):
    return (mu.double() + (0.5 * logvar.double()).exp() * eps.double()).to(mu.dtype)


def gaussian_kl(mu, logvar):
    m, lv = mu.double(), logvar.double()
    return (-0.5 * (1 + lv - m.pow(2) - lv.exp()).sum(-1)).to(mu.dtype)


def bernoulli_log_likelihood(x, logits):
    bce = F.binary_cross_entropy_with_logits(logits.double(), x.double(), reduction="none")
    return (-bce.sum(-1)).to(x.dtype)


def gaussian_log_likelihood(x, mean, logvar):
    x64, m64, lv64 = x.double(), mean.double(), logvar.double()
    d = x.shape[-1]
    quad = ((x64 - m64) ** 2 * torch.exp(-lv64)).sum(-1)
    return (-0.5 * (d * math.log(2 * math.pi) + lv64.sum(-1) + quad)).to(x.dtype)


def elbo(x, logits, mu, logvar):
    return bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, logvar)


def vae_loss(x, logits, mu, logvar):
    return (-elbo(x, logits, mu, logvar).double().mean()).to(x.dtype)


def importance_weighted_bound(log_weights):
    s = log_weights.shape[0]
    return (torch.logsumexp(log_weights.double(), dim=0) - math.log(s)).to(log_weights.dtype)
