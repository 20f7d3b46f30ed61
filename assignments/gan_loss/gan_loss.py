"""GAN losses on discriminator logits, and the theory of the optimal discriminator.

Conventions (they win over the lecture notes; see README.md):

- The discriminator D outputs *logits* l; its probability that an input is real is σ(l).
- Losses are means over the batch and are returned as 0-dim tensors in the inputs' dtype and
  on the inputs' device.
- Logs are natural logs. In sums over a distribution, 0·log 0 = 0.
- Tensors are float32 or float64, on CPU or CUDA; every function keeps dtype and device.
"""

from __future__ import annotations

import torch


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss, −mean log σ(real) − mean log(1 − σ(fake)).

    Args:
        real_logits: ``(N,)`` D's logits on real samples.
        fake_logits: ``(M,)`` D's logits on generated samples; M may differ from N.

    Returns:
        A 0-dim tensor: the mean over the real batch plus the mean over the fake batch.
        Must be finite and accurate for |logits| up to 1e4 (use -log σ(x) = softplus(-x)
        and -log(1 - σ(x)) = softplus(x); never take the log of a sigmoid).
    """
    raise NotImplementedError


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """The generator's loss on D's logits for generated samples ``(M,)``; 0-dim.

    ``kind="non_saturating"``: −mean log σ(fake)  (the loss used in practice; G minimises it).
    ``kind="saturating"``:     mean log(1 − σ(fake))  (the minimax term that G minimises).

    Raises:
        ValueError: for any other ``kind``.
    """
    raise NotImplementedError


def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_model(x)) for discrete distributions ``(K,)``.

    Returns a ``(K,)`` tensor; 0.5 where both probabilities are 0 (never NaN).
    """
    raise NotImplementedError


def jensen_shannon(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m) with m = ½(p + q); distributions ``(K,)``.

    Natural log, 0·log 0 = 0 (entries with zero mass contribute nothing, never NaN).
    Returns a 0-dim tensor in [0, log 2].
    """
    raise NotImplementedError


def gan_value_at_optimum(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """V(G, D*) = Σ_x p_data(x) log D*(x) + Σ_x p_model(x) log(1 − D*(x)); 0-dim.

    Computed from this definition with D* = optimal_discriminator(p_data, p_model); the
    inputs ``(K,)`` are normalised, and terms with zero mass contribute 0. It equals
    2·JS(p_data, p_model) − log 4 (a useful self-check).
    """
    raise NotImplementedError


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss mean(fake) − mean(real); ``(N,)`` and ``(M,)`` scores; 0-dim."""
    raise NotImplementedError


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss −mean(fake); ``(M,)`` scores; 0-dim."""
    raise NotImplementedError
