"""Reference solution: scaled dot-product and multi-head attention (masks True = may attend)."""

from __future__ import annotations

import math

import torch

__all__ = ["attention_weights", "multi_head_attention", "scaled_dot_product_attention"]


def _scores(q, k, mask, is_causal, scale):
    if is_causal and mask is not None:
        raise ValueError("give either a mask or is_causal=True, not both")
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * factor
    if is_causal:
        L, S = q.shape[-2], k.shape[-2]
        mask = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
    if mask is None:
        return scores
    if mask.dtype == torch.bool:
        return scores.masked_fill(~mask, -math.inf)
    return scores + mask


def attention_weights(q, k, mask=None, is_causal=False, scale=None):
    """softmax over the keys of q k^T * scale (+ mask); a fully masked row is 0."""
    scores = _scores(q, k, mask, is_causal, scale)
    blocked = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores, dim=-1)
    return torch.where(blocked, torch.zeros_like(weights), weights)


def scaled_dot_product_attention(q, k, v, mask=None, is_causal=False, scale=None):
    """attention_weights(q, k, ...) @ v: (..., L, Ev)."""
    return attention_weights(q, k, mask, is_causal, scale) @ v


def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias, attn_mask=None):
    """torch.nn.MultiheadAttention(batch_first=True) with the given weights: (output, mean weights)."""
    N, L, E = query.shape
    S = key.shape[1]
    if num_heads < 1 or E % num_heads:
        raise ValueError(f"embedding size {E} is not divisible by num_heads={num_heads}")
    head_dim = E // num_heads
    W_q, W_k, W_v = in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = in_proj_bias.chunk(3, dim=0)

    def heads(x, W, b, length):
        return (x @ W.T + b).reshape(N, length, num_heads, head_dim).transpose(1, 2)  # (N, heads, len, hd)

    q, k, v = heads(query, W_q, b_q, L), heads(key, W_k, b_k, S), heads(value, W_v, b_v, S)
    weights = attention_weights(q, k, attn_mask)
    out = (weights @ v).transpose(1, 2).reshape(N, L, E)
    return out @ out_proj_weight.T + out_proj_bias, weights.mean(dim=1)
