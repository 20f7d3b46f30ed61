"""Inverted dropout by hand: the mask, the forward in train and eval mode, the backward.

Conventions (see README.md):

* ``p`` is the DROP probability, a Python float in ``[0, 1]``: each element is kept, on its
  own and independently of every other, with probability ``1 - p``. ValueError outside [0, 1].
* Inverted dropout: the kept elements are scaled by ``1 / (1 - p)`` at TRAINING time, so
  ``E[out] = x``; eval mode is the identity (no mask, no scaling). p = 1 drops everything:
  the output (and the gradient) is all zeros, never NaN.
* Every random number comes from ``generator`` (a ``torch.Generator`` on x's device): pass
  ``generator=generator, device=generator.device`` to ``torch.rand`` / ``torch.bernoulli``.
  Never the global RNG (no ``torch.rand`` without a generator, no ``torch.nn.functional.dropout``,
  which may not be called here), never a generator of your own.
* Tensors are float32 or float64, on CPU or CUDA; results keep x's dtype and device. Inputs
  are never modified in place.
"""

from __future__ import annotations

import torch


def dropout_mask(shape: tuple[int, ...], p: float, generator: torch.Generator) -> torch.Tensor:
    """The keep-mask of one dropout draw.

    Args:
        shape: the mask's shape (a tuple or ``torch.Size`` of ints; a size may be 0).
        p: drop probability in [0, 1].
        generator: the only source of randomness; the mask lives on ``generator.device``.

    Returns:
        A ``torch.bool`` tensor of exactly ``shape``: True where the element is KEPT, each True
        with probability ``1 - p`` independently (all True for p = 0, all False for p = 1).
        Two generators in the same state give the same mask.

    Raises ValueError if p is outside [0, 1].
    """
    raise NotImplementedError


def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout of ``x`` (any shape).

    training=True: draw ``mask = dropout_mask(x.shape, p, generator)`` (exactly this call, and
        no other random draw) and return ``x * mask / (1 - p)``: kept elements scaled by
        ``1 / (1 - p)``, dropped ones exactly 0; all zeros for p = 1.
    training=False: return x's values unchanged (generator may be None and is not used).

    Raises ValueError if p is outside [0, 1], in either mode (as torch.nn.functional.dropout).
    """
    raise NotImplementedError


def dropout_backward(grad_out: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """dL/dx of the training-mode forward, given ``grad_out = dL/dout`` and the forward's mask.

    Args:
        grad_out: the upstream gradient, of the mask's shape.
        mask: the bool mask the forward used (True = kept): reuse it, never draw a new one.
        p: the forward's drop probability.

    Returns:
        ``grad_out * mask / (1 - p)`` (all zeros for p = 1), in grad_out's dtype and device.
    """
    raise NotImplementedError
