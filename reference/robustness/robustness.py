"""Reference solution of ``robustness`` (never released to students)."""

from __future__ import annotations

import math

import torch


def _is_norm_type(p) -> bool:
    return isinstance(p, (int, float)) and (p == math.inf or (math.isfinite(p) and p >= 1))


def clip_grad_norm(grads, max_norm, norm_type=2.0):
    if not grads:
        raise ValueError("grads is empty: there is no dtype or device for total_norm")
    if not max_norm >= 0 or not _is_norm_type(norm_type):
        raise ValueError("max_norm must be >= 0 and norm_type >= 1 or inf")
    per_tensor = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
    total = torch.linalg.vector_norm(per_tensor, norm_type)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    return [g * coef for g in grads], total


def spectral_norm(W, v0, n_iter):
    if W.dim() != 2 or v0.shape != (W.shape[1],) or n_iter < 0:
        raise ValueError("W must be (out, in), v0 (in,) and n_iter >= 0")
    v = v0 / torch.linalg.vector_norm(v0)
    for _ in range(n_iter):
        v = W.T @ (W @ v)
        v = v / torch.linalg.vector_norm(v)
    return torch.linalg.vector_norm(W @ v)


def lipschitz_bound(weights, v0s, n_iter):
    if not weights or len(v0s) != len(weights):
        raise ValueError("one initial vector per layer, and at least one layer")
    if any(W.dim() != 2 for W in weights) or any(b.shape[1] != a.shape[0] for a, b in zip(weights, weights[1:])):
        raise ValueError("layer shapes do not chain: weights[l + 1] must be (h, weights[l].shape[0])")
    bound = spectral_norm(weights[0], v0s[0], n_iter)
    for W, v0 in zip(weights[1:], v0s[1:]):
        bound = bound * spectral_norm(W, v0, n_iter)
    return bound


def fgsm(x, grad, eps):
    if eps < 0:
        raise ValueError("eps must be >= 0")
    return torch.clamp(x + eps * torch.sign(grad), 0.0, 1.0)


def _per_sample_norm(t):
    return torch.linalg.vector_norm(t.reshape(t.shape[0], -1), dim=1).reshape((-1,) + (1,) * (t.dim() - 1))


def pgd_step(x, x0, grad, step_size, eps, norm="inf"):
    if norm not in ("inf", "2"):
        raise ValueError(f"norm must be 'inf' or '2', got {norm!r}")
    if step_size < 0 or eps < 0:
        raise ValueError("step_size and eps must be >= 0")
    if norm == "inf":
        delta = torch.clamp(x + step_size * torch.sign(grad) - x0, -eps, eps)
    else:
        g_norm = _per_sample_norm(grad)
        y = x + step_size * torch.where(g_norm > 0, grad / g_norm, torch.zeros_like(grad))
        d_norm = _per_sample_norm(y - x0)
        delta = (y - x0) * torch.where(d_norm > eps, eps / d_norm, torch.ones_like(d_norm))
    return torch.clamp(x0 + delta, 0.0, 1.0)
