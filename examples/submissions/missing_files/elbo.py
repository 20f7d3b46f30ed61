"""Correct: built on torch.distributions (Normal, Bernoulli(logits=...) without argument validation, kl_divergence, Independent)."""

from __future__ import annotations

import math

import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence


def _normal(mean, logvar):
    return Independent(Normal(mean, torch.exp(0.5 * logvar), validate_args=False), 1)


def reparameterize(mu, logvar, eps):
    return mu + Normal(mu, torch.exp(0.5 * logvar), validate_args=False).stddev * eps


def gaussian_kl(mu, logvar):
    prior = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu), validate_args=False), 1)
    return kl_divergence(_normal(mu, logvar), prior)


def bernoulli_log_likelihood(x, logits):
    return Independent(Bernoulli(logits=logits, validate_args=False), 1).log_prob(x)


def gaussian_log_likelihood(x, mean, logvar):
    return _normal(mean, logvar).log_prob(x)


def elbo(x, logits, mu, logvar):
    return bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, logvar)


def vae_loss(x, logits, mu, logvar):
    return torch.mean(-elbo(x, logits, mu, logvar))


def importance_weighted_bound(log_weights):
    return torch.logsumexp(log_weights, 0) - torch.log(torch.tensor(float(log_weights.shape[0]))).item()
