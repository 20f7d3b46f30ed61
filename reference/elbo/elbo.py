"""Reference solution: the VAE objective (Gaussian encoder, Bernoulli decoder)."""

from __future__ import annotations

import math

import torch

__all__ = [
    "bernoulli_log_likelihood",
    "elbo",
    "gaussian_kl",
    "gaussian_log_likelihood",
    "importance_weighted_bound",
    "reparameterize",
    "vae_loss",
]

_LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps (same shape as mu)."""
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu, logvar):
    """KL(N(mu, diag e^logvar) || N(0, I)) = 1/2 sum(e^logvar + mu^2 - 1 - logvar), shape (N,)."""
    # expm1(lv) - lv keeps precision when logvar is close to 0
    return 0.5 * (torch.expm1(logvar) - logvar + mu * mu).sum(dim=-1)


def bernoulli_log_likelihood(x, logits):
    """sum[x log s(l) + (1 - x) log(1 - s(l))] = sum[x l - softplus(l)], shape (N,)."""
    # softplus(l) = max(l, 0) + log1p(exp(-|l|)): no overflow, and no threshold cut-off
    softplus = logits.clamp_min(0) + torch.log1p(torch.exp(-logits.abs()))
    return (x * logits - softplus).sum(dim=-1)


def gaussian_log_likelihood(x, mean, logvar):
    """sum log N(x; mean, e^logvar), shape (N,)."""
    return (-0.5 * (_LOG_2PI + logvar + (x - mean) ** 2 * torch.exp(-logvar))).sum(dim=-1)


def elbo(x, logits, mu, logvar):
    """bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, logvar), shape (N,)."""
    return bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, logvar)


def vae_loss(x, logits, mu, logvar):
    """-mean over the batch of the ELBO, a 0-dim tensor."""
    return -elbo(x, logits, mu, logvar).mean()


def importance_weighted_bound(log_weights):
    """logsumexp over the S samples (dim 0) minus log S, shape (N,)."""
    return torch.logsumexp(log_weights, dim=0) - math.log(log_weights.shape[0])
