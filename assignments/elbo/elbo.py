"""The VAE objective: a Gaussian encoder (mean and LOG-VARIANCE) and a Bernoulli decoder (logits).

Conventions (they win over the lecture notes):

* Batches are rows: ``x`` and ``logits`` are ``(N, D)`` (D pixels), ``mu`` and ``logvar`` are
  ``(N, L)`` (L latents). ``logvar`` is log sigma^2, the log of the VARIANCE: the standard
  deviation is ``exp(logvar / 2)``.
* Every per-sample result is SUMMED over the feature / latent dimension (the last one) and
  has shape ``(N,)``; ``vae_loss`` averages over the batch and is a 0-dim tensor.
* Tensors are float32 or float64, on CPU or CUDA; return tensors with the inputs' dtype and
  device. Do not modify the inputs in place.
* Natural logarithms throughout.
"""

from __future__ import annotations

import torch


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + exp(logvar / 2) * eps.

    Args:
        mu, logvar, eps: same shape, e.g. ``(N, L)``; ``eps`` is standard normal noise drawn
        by the caller (do not draw your own).

    Returns:
        ``z``, the shape of ``mu``.
    """
    raise NotImplementedError


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) = 1/2 * sum_j (exp(logvar_j) + mu_j^2 - 1 - logvar_j).

    Args:
        mu, logvar: ``(N, L)``.

    Returns:
        ``(N,)``, one KL per row (>= 0; exactly 0 where mu = 0 and logvar = 0).
    """
    raise NotImplementedError


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """sum_j [x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j))].

    Args:
        x: ``(N, D)`` with values in [0, 1] (not only 0 and 1).
        logits: ``(N, D)`` decoder logits l.

    Returns:
        ``(N,)``. Must be finite and accurate for |logits| up to 1e4: use
        ``log sigmoid(l) = -softplus(-l)`` and ``log(1 - sigmoid(l)) = -softplus(l)``, never
        ``log(sigmoid(l))``.
    """
    raise NotImplementedError


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """sum_j log N(x_j; mean_j, exp(logvar_j))
    = sum_j -1/2 (log(2 pi) + logvar_j + (x_j - mean_j)^2 / exp(logvar_j)).

    Args:
        x, mean, logvar: ``(N, D)``; ``logvar`` is the log of the variance.

    Returns:
        ``(N,)``.
    """
    raise NotImplementedError


def elbo(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, logvar).

    Args:
        x, logits: ``(N, D)``; mu, logvar: ``(N, L)``.

    Returns:
        ``(N,)``, the evidence lower bound per sample (a LOWER bound on log p(x)).
    """
    raise NotImplementedError


def vae_loss(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """-mean over the batch of elbo(x, logits, mu, logvar).

    Returns:
        a 0-dim tensor (shape ``()``, not ``(1,)``).
    """
    raise NotImplementedError


def importance_weighted_bound(log_weights: torch.Tensor) -> torch.Tensor:
    """log (1/S) sum_s exp(log_weights[s]) = logsumexp over dim 0 - log S.

    Args:
        log_weights: ``(S, N)``, S importance samples (rows) for each of N data points;
        may be of magnitude up to 1e4 (compute stably).

    Returns:
        ``(N,)``.
    """
    raise NotImplementedError
