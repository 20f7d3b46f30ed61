"""Robustness and stability: gradient clipping, a Lipschitz bound by power iteration, and one
FGSM / projected-gradient step.

Conventions (see README.md; they win over the lecture notes):

* Tensors are float32 or float64, on CPU or CUDA; the tensors of one call share a dtype and a
  device, and every result keeps them. No argument is modified in place (the functions are pure:
  ``clip_grad_norm`` returns new tensors, unlike ``torch.nn.utils.clip_grad_norm_``).
* Norms of several tensors are GLOBAL: the norm of all their entries seen as one vector.
* Weights follow ``torch.nn.Linear``: ``W`` has shape ``(out, in)``.
* Images ``x`` are batches ``(N, ...)`` with values in ``[0, 1]``; attacks ASCEND the loss
  (``grad`` is the gradient of the loss with respect to ``x``) and clamp the result to ``[0, 1]``.
* torch's ``clip_grad_norm_`` (and ``get_total_norm``), ``torch.linalg.matrix_norm``, SVDs and
  eigendecompositions may not be called.
"""

from __future__ import annotations

import torch


def clip_grad_norm(grads: list[torch.Tensor], max_norm: float,
                   norm_type: float = 2.0) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Clip gradients by their global norm, as ``torch.nn.utils.clip_grad_norm_`` does.

    Args:
        grads: a non-empty list of tensors of any shapes (0-dim included).
        max_norm: the largest global norm allowed, ``>= 0``.
        norm_type: ``p >= 1`` (finite) or ``math.inf``.

    Returns:
        ``(clipped, total_norm)``: ``total_norm`` is the global p-norm of ``grads`` (0-dim tensor;
        for inf, the largest ``|entry|``); ``clip_coef = max_norm / (total_norm + 1e-6)`` clamped
        to at most 1, and ``clipped`` is the list of NEW tensors ``g * clip_coef`` (the same factor
        for every tensor; ``grads`` is left unchanged).

    Raises ValueError if ``grads`` is empty, ``max_norm < 0`` or ``norm_type`` is not ``>= 1``.
    """
    raise NotImplementedError


def spectral_norm(W: torch.Tensor, v0: torch.Tensor, n_iter: int) -> torch.Tensor:
    """The power-iteration estimate of the largest singular value of ``W (out, in)``.

    Starting from ``v = v0 / ||v0||`` (``v0`` has shape ``(in,)``, nonzero), ``n_iter`` times:
    ``v = W^T W v`` then ``v = v / ||v||``; return ``||W v||_2`` as a 0-dim tensor. With
    ``n_iter = 0`` that is ``||W v0|| / ||v0||``. Never above ``torch.linalg.matrix_norm(W, ord=2)``.

    Raises ValueError if ``W`` is not 2-D, ``v0`` does not have shape ``(in,)``, or ``n_iter < 0``.
    """
    raise NotImplementedError


def lipschitz_bound(weights: list[torch.Tensor], v0s: list[torch.Tensor], n_iter: int) -> torch.Tensor:
    """Upper bound of the Lipschitz constant (l2 to l2) of the MLP
    ``x -> W_L phi(... phi(W_1 x + b_1) ...) + b_L`` with 1-Lipschitz activations phi (ReLU, tanh):
    the PRODUCT over layers of ``spectral_norm(weights[l], v0s[l], n_iter)``, a 0-dim tensor.

    ``weights[0]`` is the first layer, ``(h_1, d)``; ``weights[l]`` is ``(h_{l+1}, h_l)``.
    Raises ValueError if ``weights`` is empty, ``v0s`` has another length, or consecutive layers'
    shapes do not chain (``weights[l + 1].shape[1] != weights[l].shape[0]``).
    """
    raise NotImplementedError


def fgsm(x: torch.Tensor, grad: torch.Tensor, eps: float) -> torch.Tensor:
    """Fast gradient sign method: ``clamp(x + eps * sign(grad), 0, 1)`` (a new tensor of x's shape).

    ``sign(0) = 0`` (``torch.sign``). Raises ValueError if ``eps < 0``.
    """
    raise NotImplementedError


def pgd_step(x: torch.Tensor, x0: torch.Tensor, grad: torch.Tensor, step_size: float, eps: float,
             norm: str = "inf") -> torch.Tensor:
    """One step of projected gradient ASCENT inside the eps-ball around the clean input ``x0``.

    ``x`` (the current iterate), ``x0`` and ``grad`` have the same shape ``(N, ...)``; each of the N
    samples has its own ball, and l2 norms are taken per sample over all dimensions but the first.

    ``norm="inf"``: ``y = x + step_size * sign(grad)``; ``delta = clamp(y - x0, -eps, eps)``.
    ``norm="2"``:   ``y = x + step_size * grad / ||grad||`` (per sample, exactly: no eps added to the
    norm; no move where ``||grad|| = 0``); ``delta = (y - x0) * min(1, eps / ||y - x0||)`` (per
    sample; unchanged where ``||y - x0|| <= eps``).
    Returns ``clamp(x0 + delta, 0, 1)``: inside the ball and inside ``[0, 1]``.

    Raises ValueError if ``norm`` is not ``"inf"`` or ``"2"``, or ``step_size`` or ``eps`` is < 0.
    """
    raise NotImplementedError
