"""Scaled dot-product attention and multi-head attention.

Conventions (they follow torch.nn.functional.scaled_dot_product_attention and win over the
lecture notes):

* ``q`` is ``(..., L, E)``, ``k`` is ``(..., S, E)``, ``v`` is ``(..., S, Ev)``: any number of
  leading batch dims (batch, heads, ...), shared by the three.
* Scores are ``q @ k^T * scale`` with ``scale = 1 / sqrt(E)`` by default (E = ``q.shape[-1]``);
  the softmax runs over the KEYS (the last dim), so each query's row of weights sums to 1.
* ``mask`` broadcasts to ``(..., L, S)``. A boolean mask is **True where a query may attend**
  (torch.nn.functional's convention; torch.nn.MultiheadAttention's boolean mask means the
  opposite). A floating mask is **added** to the scores before the softmax (``-inf`` blocks).
* ``is_causal=True``: query i may attend to keys j <= i, counted from the top-left corner
  (``torch.ones(L, S, dtype=torch.bool).tril()``), also when L != S. Giving both a mask and
  ``is_causal=True`` raises ValueError.
* A fully masked row (every key blocked) has weights 0 and output 0, never NaN.
* Tensors are float32 or float64, on CPU or CUDA; return tensors with the inputs' dtype and
  device. Do not modify the inputs in place. Stable for scores up to 1e4 in magnitude.
"""

from __future__ import annotations

import torch


def attention_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None,
                      is_causal: bool = False, scale: float | None = None) -> torch.Tensor:
    """The attention matrix ``softmax(q @ k^T * scale + mask)`` over the keys.

    Args:
        q: ``(..., L, E)`` queries; k: ``(..., S, E)`` keys.
        mask: None, a bool tensor (True = may attend) or a float tensor added to the scores,
            broadcastable to ``(..., L, S)``.
        is_causal: block keys j > i for query i (top-left aligned); ValueError with a mask.
        scale: multiplies the scores; None means ``1 / sqrt(E)``.

    Returns:
        ``(..., L, S)``: each row >= 0 and summing to 1, or all 0 where every key is masked.
    """
    raise NotImplementedError


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None, is_causal: bool = False,
                                 scale: float | None = None) -> torch.Tensor:
    """``attention_weights(q, k, mask, is_causal, scale) @ v``; matches
    ``torch.nn.functional.scaled_dot_product_attention`` (compare with it in your own scratch
    code; write yours from matrix products and a softmax).

    Args:
        q: ``(..., L, E)``; k: ``(..., S, E)``; v: ``(..., S, Ev)``; mask, is_causal, scale as in
        :func:`attention_weights`.

    Returns:
        ``(..., L, Ev)``; a fully masked query row gives a zero row.
    """
    raise NotImplementedError


def multi_head_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, num_heads: int,
                         in_proj_weight: torch.Tensor, in_proj_bias: torch.Tensor,
                         out_proj_weight: torch.Tensor, out_proj_bias: torch.Tensor,
                         attn_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head attention; matches ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)``
    loaded with these weights and called with ``need_weights=True``.

    Args:
        query: ``(N, L, E)``; key, value: ``(N, S, E)`` (batch first).
        num_heads: divides E (ValueError otherwise); each head has ``E // num_heads`` features.
        in_proj_weight: ``(3E, E)``, rows stacked W_q, W_k, W_v; in_proj_bias: ``(3E,)`` likewise.
        out_proj_weight: ``(E, E)``; out_proj_bias: ``(E,)``.
        attn_mask: None, or ``(L, S)`` bool (True = may attend, THIS assignment's convention) or
            float (added to every head's scores).

    Returns:
        ``(output (N, L, E), weights (N, L, S))``: ``q_h, k_h, v_h`` are the heads' slices of
        ``x @ W.T + b``; each head attends with scale ``1 / sqrt(E // num_heads)``; the heads'
        outputs are concatenated in head order and projected by ``out_proj``; ``weights`` is
        the attention matrix averaged over the heads.
    """
    raise NotImplementedError
