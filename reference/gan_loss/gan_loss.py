"""Reference solution: GAN losses on discriminator logits, and the optimal-discriminator theory.

Every loss is written with softplus / logsigmoid so it stays finite and accurate for
|logits| up to 1e4:  -log σ(x) = softplus(-x)  and  -log(1 - σ(x)) = softplus(x).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GENERATOR_KINDS = ("non_saturating", "saturating")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """−mean log σ(real) − mean log(1 − σ(fake)); 0-dim, in the logits' dtype."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """non_saturating: −mean log σ(fake); saturating: mean log(1 − σ(fake))."""
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "saturating":
        return -F.softplus(fake_logits).mean()
    raise ValueError(f"unknown generator loss kind {kind!r}; expected one of {GENERATOR_KINDS}")


def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data / (p_data + p_model), and 0.5 where both are 0."""
    total = p_data + p_model
    is_empty = total == 0
    safe_total = torch.where(is_empty, torch.ones_like(total), total)
    return torch.where(is_empty, torch.full_like(total, 0.5), p_data / safe_total)


def _xlogy_ratio(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Σ p log(p / q) with 0·log 0 = 0 (q > 0 wherever p > 0 by construction)."""
    has_mass = p > 0
    safe_p = torch.where(has_mass, p, torch.ones_like(p))
    safe_q = torch.where(has_mass, q, torch.ones_like(q))
    return torch.where(has_mass, p * torch.log(safe_p / safe_q), torch.zeros_like(p)).sum()


def jensen_shannon(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½(p + q); natural log; 0-dim."""
    m = 0.5 * (p + q)
    return 0.5 * _xlogy_ratio(p, m) + 0.5 * _xlogy_ratio(q, m)


def gan_value_at_optimum(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """V(G, D*) = Σ p_data log D* + Σ p_model log(1 − D*), zero-mass terms contributing 0.

    1 − D* is taken as p_model / (p_data + p_model), not computed by subtraction, so it keeps
    its relative precision when D* is close to 1.
    """
    total = p_data + p_model
    # where p_data > 0 (resp. p_model > 0) the total is > 0, so the ratios are well defined
    return _xlogy_ratio(p_data, total) + _xlogy_ratio(p_model, total)


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean(fake) − mean(real): the critic minimises it (raises real scores, lowers fake ones)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """−mean(fake)."""
    return -fake_scores.mean()

