"""Reference solution: pairwise distances, contrastive loss (same = similar) and triplet loss
(torch.nn.TripletMarginLoss's distances, eps added to the difference)."""

from __future__ import annotations

import torch

__all__ = ["contrastive_loss", "pairwise_distances", "triplet_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_item: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_item.mean()
    if reduction == "sum":
        return per_item.sum()
    return per_item


def _check(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def pairwise_distances(x, y=None, squared=False):
    """(N, M) Euclidean distances from the differences (identical rows give exactly 0)."""
    y = x if y is None else y
    sq = ((x[:, None, :] - y[None, :, :]) ** 2).sum(dim=-1)
    return sq if squared else torch.sqrt(sq)


def contrastive_loss(x1, x2, same, margin=1.0, reduction="mean"):
    """same * d^2 + (1 - same) * max(0, margin - d)^2, d = ||x1 - x2||."""
    _check(reduction)
    d = torch.linalg.vector_norm(x1 - x2, dim=-1)
    per_pair = torch.where(same.bool(), d ** 2, torch.clamp(margin - d, min=0) ** 2)
    return _reduce(per_pair, reduction)


def triplet_loss(anchor, positive, negative, margin=1.0, swap=False, eps=1e-6, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d(u, w) = ||u - w + eps||; swap uses min(d(a, n), d(p, n))."""
    _check(reduction)

    def dist(u, w):
        return torch.linalg.vector_norm(u - w + eps, dim=-1)

    d_an = dist(anchor, negative)
    if swap:
        d_an = torch.minimum(d_an, dist(positive, negative))
    return _reduce(torch.clamp(dist(anchor, positive) - d_an + margin, min=0), reduction)
