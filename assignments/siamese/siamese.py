"""Siamese networks: pairwise distances, the contrastive loss and the triplet loss.

Conventions (they win over the lecture notes):

* Embeddings are rows: ``x (N, D)``, ``y (M, D)``; pairs and triplets are rows of equal-shaped
  ``(N, D)`` tensors.
* Distances are Euclidean and computed from the DIFFERENCES: identical rows are at distance
  exactly 0 (no eps inside the square root, no ``||x||^2 + ||y||^2 - 2 x.y`` expansion).
* ``same`` is a bool tensor ``(N,)``: True for a SIMILAR pair (the notes' y = 0 convention is
  not this one).
* ``triplet_loss`` matches ``torch.nn.TripletMarginLoss(margin, p=2, eps, swap, reduction)``:
  its distance is ``d(u, w) = ||u - w + eps||_2`` (torch.nn.functional.pairwise_distance).
* ``reduction`` is "mean" (default), "sum" or "none" (per pair/triplet, shape ``(N,)``);
  ValueError otherwise. Reduced results are 0-dim tensors.
* Tensors are float32 or float64, on CPU or CUDA; return tensors with the inputs' dtype and
  device. Do not modify the inputs in place.
"""

from __future__ import annotations

import torch


def pairwise_distances(x: torch.Tensor, y: torch.Tensor | None = None, squared: bool = False) -> torch.Tensor:
    """All Euclidean distances between the rows of x and the rows of y.

    Args:
        x: ``(N, D)``; y: ``(M, D)``, or None for ``y = x``.
        squared: return squared distances.

    Returns:
        ``(N, M)`` with ``D[i, j] = ||x_i - y_j||_2`` (squared if asked): >= 0, exactly 0 where
        ``x_i == y_j``, symmetric when y is None. Matches ``torch.cdist(x, y)``.
    """
    raise NotImplementedError


def contrastive_loss(x1: torch.Tensor, x2: torch.Tensor, same: torch.Tensor, margin: float = 1.0,
                     reduction: str = "mean") -> torch.Tensor:
    """Contrastive loss (Hadsell, Chopra & LeCun), without the factor 1/2.

    Args:
        x1, x2: ``(N, D)`` the two embeddings of each pair.
        same: ``(N,)`` bool, True where the pair is similar.
        margin: dissimilar pairs farther apart than this cost nothing.
        reduction: "mean", "sum" or "none".

    Returns:
        The reduction of ``L_i = d_i^2`` (similar) or ``max(0, margin - d_i)^2`` (dissimilar),
        ``d_i = ||x1_i - x2_i||_2``.
    """
    raise NotImplementedError


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 1.0,
                 swap: bool = False, eps: float = 1e-6, reduction: str = "mean") -> torch.Tensor:
    """Triplet margin loss; matches ``torch.nn.TripletMarginLoss(margin=margin, p=2, eps=eps,
    swap=swap, reduction=reduction)``.

    Args:
        anchor, positive, negative: ``(N, D)``.
        margin: the gap wanted between d(a, n) and d(a, p).
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (the distance swap).
        eps: added to each difference: ``d(u, w) = ||u - w + eps||_2``, with u the first argument
            (``d(a, p)``, ``d(a, n)``, ``d(p, n)``).
        reduction: "mean", "sum" or "none".

    Returns:
        The reduction of ``max(d(a, p) - d(a, n) + margin, 0)``.
    """
    raise NotImplementedError
