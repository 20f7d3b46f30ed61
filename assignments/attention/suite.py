"""Visible tests for ``attention``: oracles are torch.nn.functional.scaled_dot_product_attention
and torch.nn.MultiheadAttention (in float64, cast back), and invariants checked next to them.

The attention matrix itself comes from the same torch function: attending to the identity
matrix as values returns the weights (``softmax(...) @ I``), so no formula is re-written here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "attention",
    student_file="attention.py",
    title="Scaled dot-product and multi-head attention",
    functions=("attention_weights", "scaled_dot_product_attention", "multi_head_attention"),
    meta_safe=("attention_weights", "scaled_dot_product_attention", "multi_head_attention"),
    # torch's own attention (the oracles below) under every public name it has in torch 2.13
    forbidden_calls=(
        "torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.MultiheadAttention",
        "torch.nn.modules.MultiheadAttention",
        "torch.nn.modules.activation.MultiheadAttention",
        "torch._C._nn.scaled_dot_product_attention",
        "torch.ops.aten.scaled_dot_product_attention",
        "torch.ops.aten._scaled_dot_product_attention_math",
    ),
)

F64 = torch.float64


# ---------------------------------------------------------------------------- cases

def seeded_case(seed: int, batch: tuple, L: int, S: int, E: int, Ev: int, dtype=F64, mask: str = "none",
                scale: float = 1.0, masked_rows: int = 0) -> dict:
    """q (*batch, L, E), k (*batch, S, E), v (*batch, S, Ev) and a mask of the given kind.

    ``mask``: "none", "bool" (True = may attend), "additive" (finite values and -inf), "causal".
    Every row keeps at least one key unless ``masked_rows`` > 0 (then that many rows are fully
    masked, each with every key blocked)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(shape, generator=g, dtype=F64)

    case = {"q": (r(*batch, L, E) * scale).to(dtype), "k": (r(*batch, S, E) * scale).to(dtype),
            "v": r(*batch, S, Ev).to(dtype), "mask": None, "is_causal": mask == "causal"}
    if mask in ("bool", "additive"):
        shape = (L, S) if torch.rand((), generator=g) < 0.5 else (*batch, L, S)
        allowed = torch.rand(shape, generator=g) < 0.6
        allowed[..., torch.arange(L), torch.arange(L) % S] = True  # a key for every row
        allowed[..., :masked_rows, :] = False
        case["mask"] = allowed if mask == "bool" else torch.where(allowed, r(*shape) * 2, -math.inf).to(dtype)
    return case


@st.composite
def attention_case(draw, mask: str = "none", scale: float = 1.0, masked_rows: int = 0, min_l: int = 1) -> dict:
    batch = draw(st.sampled_from([(1,), (2,), (3,), (2, 2), (1, 3)]))
    L, S = draw(gst.dims(max(min_l, masked_rows + 1), 5)), draw(gst.dims(1, 5))
    E, Ev = draw(gst.dims(1, 6)), draw(gst.dims(1, 4))
    return seeded_case(draw(st.integers(0, 2**31 - 1)), batch, L, S, E, Ev, draw(gst.float_dtypes()),
                       mask, scale, masked_rows)


def seeded_mha_case(seed: int, N: int, L: int, S: int, heads: int, head_dim: int, dtype=F64,
                    mask: str = "none") -> dict:
    g = torch.Generator().manual_seed(seed)
    E = heads * head_dim

    def r(*shape, s=1.0):
        return (torch.randn(shape, generator=g, dtype=F64) * s).to(dtype)

    case = {"query": r(N, L, E), "key": r(N, S, E), "value": r(N, S, E), "num_heads": heads,
            "in_proj_weight": r(3 * E, E, s=0.7), "in_proj_bias": r(3 * E, s=0.5),
            "out_proj_weight": r(E, E, s=0.7), "out_proj_bias": r(E, s=0.5), "attn_mask": None}
    if mask != "none":
        allowed = torch.rand((L, S), generator=g) < 0.6
        allowed[torch.arange(L), torch.arange(L) % S] = True
        case["attn_mask"] = allowed if mask == "bool" else torch.where(allowed, r(L, S), -math.inf).to(dtype)
    return case


@st.composite
def mha_case(draw, mask: str = "none") -> dict:
    return seeded_mha_case(draw(st.integers(0, 2**31 - 1)), draw(gst.dims(1, 3)), draw(gst.dims(1, 4)),
                           draw(gst.dims(1, 4)), draw(gst.dims(1, 3)), draw(gst.dims(1, 3)),
                           draw(gst.float_dtypes()), mask)


# ---------------------------------------------------------------------------- oracles

def _mask64(mask):
    return mask if mask is None or mask.dtype == torch.bool else mask.to(F64)


def torch_attention(q, k, v, mask=None, is_causal=False, scale=None):
    """torch's answer in float64, cast back (fully masked rows: 0, torch's own convention)."""
    out = F.scaled_dot_product_attention(q.to(F64), k.to(F64), v.to(F64), attn_mask=_mask64(mask),
                                         is_causal=is_causal, scale=scale)
    return out.to(q.dtype)


def torch_weights(q, k, mask=None, is_causal=False, scale=None):
    """The attention matrix (*batch, L, S): attention to the identity matrix as values."""
    S = k.shape[-2]
    eye = torch.eye(S, dtype=F64, device=q.device).expand(*k.shape[:-2], S, S)
    return torch_attention(q, k, eye.to(q.dtype), mask, is_causal, scale)


def torch_mha(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
              attn_mask=None):
    E = query.shape[-1]
    mha = torch.nn.MultiheadAttention(E, num_heads, batch_first=True, device=query.device, dtype=F64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(in_proj_weight)
        mha.in_proj_bias.copy_(in_proj_bias)
        mha.out_proj.weight.copy_(out_proj_weight)
        mha.out_proj.bias.copy_(out_proj_bias)
        # torch's module blocks where a boolean mask is True: the opposite of this assignment's
        mask = None if attn_mask is None else (~attn_mask if attn_mask.dtype == torch.bool else attn_mask.to(F64))
        out, weights = mha(query.to(F64), key.to(F64), value.to(F64), attn_mask=mask, need_weights=True,
                           average_attn_weights=True)
    return out.to(query.dtype), weights.to(query.dtype)


def _pair(got, what: str):
    check(isinstance(got, (tuple, list)) and len(got) == 2, f"{what} must return a pair (output, weights)")
    return got


# ---------------------------------------------------------------------------- tests

@suite.test(
    "attention_weights matches softmax(q k^T / sqrt(E)) of torch's attention, every mask kind",
    functions=("attention_weights",),
    points=2,
    inputs=st.sampled_from(["none", "bool", "additive", "causal"]).flatmap(lambda m: attention_case(mask=m)),
    examples=[seeded_case(1, (2,), 3, 4, 5, 2), seeded_case(2, (1, 2), 4, 3, 2, 2, torch.float32, "bool"),
              seeded_case(3, (2,), 4, 4, 3, 1, mask="additive"), seeded_case(4, (1,), 5, 3, 2, 2, mask="causal")],
    max_examples=30,
    hint="Divide the scores by sqrt(E) (E = q.shape[-1]); softmax over the keys (the last dim); a boolean "
         "mask is True where a query MAY attend; an additive mask is added to the scores before softmax.",
)
def _(student, q, k, v, mask, is_causal):
    assert_close(student.attention_weights(q, k, mask, is_causal), torch_weights(q, k, mask, is_causal),
                 name="attention weights")


@suite.test(
    "scaled_dot_product_attention matches torch (no mask, boolean and additive masks)",
    functions=("scaled_dot_product_attention",),
    points=2,
    inputs=st.sampled_from(["none", "bool", "additive"]).flatmap(lambda m: attention_case(mask=m)),
    examples=[seeded_case(5, (2,), 3, 4, 5, 2), seeded_case(6, (2, 2), 2, 5, 3, 3, torch.float32, "bool"),
              seeded_case(7, (1,), 4, 2, 4, 2, mask="additive")],
    max_examples=30,
    hint="output = weights @ v, with the weights of attention_weights.",
)
def _(student, q, k, v, mask, is_causal):
    assert_close(student.scaled_dot_product_attention(q, k, v, mask), torch_attention(q, k, v, mask),
                 name="attention output")


@suite.test(
    "scaled_dot_product_attention with is_causal matches torch (top-left aligned when L != S)",
    functions=("scaled_dot_product_attention",),
    points=1.5,
    inputs=attention_case(mask="causal"),
    examples=[seeded_case(8, (1,), 4, 4, 2, 2, mask="causal"), seeded_case(9, (2,), 5, 3, 3, 2, mask="causal"),
              seeded_case(10, (1, 2), 2, 5, 2, 1, torch.float32, mask="causal")],
    max_examples=25,
    hint="Query i may attend to keys j <= i (the diagonal included), counted from the top-left corner "
         "even when L != S: torch.ones(L, S).tril().",
)
def _(student, q, k, v, mask, is_causal):
    assert_close(student.scaled_dot_product_attention(q, k, v, None, True), torch_attention(q, k, v, None, True),
                 name="causal attention output")


@suite.test(
    "attention_weights: every row is a distribution over the keys (>= 0, sums to 1)",
    functions=("attention_weights",),
    points=1,
    inputs=st.sampled_from(["none", "bool", "causal"]).flatmap(lambda m: attention_case(mask=m, scale=3.0)),
    max_examples=20,
)
def _(student, q, k, v, mask, is_causal):
    got = student.attention_weights(q, k, mask, is_causal)
    check(isinstance(got, torch.Tensor) and tuple(got.shape) == (*q.shape[:-1], k.shape[-2]),
          f"attention_weights must return a tensor of shape {(*q.shape[:-1], k.shape[-2])}")
    check(bool((got >= 0).all()), "attention weights must be >= 0")
    assert_close(got.sum(-1), torch.ones(q.shape[:-1], dtype=q.dtype, device=q.device), name="row sums")
    assert_close(got, torch_weights(q, k, mask, is_causal), name="attention weights")


@st.composite
def permuted_case(draw) -> dict:
    case = draw(attention_case(mask="none"))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    case.update(perm_q=torch.randperm(case["q"].shape[-2], generator=g),
                perm_k=torch.randperm(case["k"].shape[-2], generator=g))
    return case


@suite.test(
    "scaled_dot_product_attention without a mask: permuting queries permutes the output, "
    "permuting keys with values changes nothing",
    functions=("scaled_dot_product_attention",),
    points=1,
    inputs=permuted_case(),
    max_examples=20,
)
def _(student, q, k, v, mask, is_causal, perm_q, perm_k):
    base = student.scaled_dot_product_attention(q, k, v)
    assert_close(base, torch_attention(q, k, v), name="attention output")
    moved = student.scaled_dot_product_attention(q[..., perm_q, :], k[..., perm_k, :], v[..., perm_k, :])
    assert_close(moved, base[..., perm_q, :], name="output with permuted queries, keys and values")


@st.composite
def causal_change_case(draw) -> dict:
    case = draw(attention_case(mask="causal", min_l=2))
    L, S = case["q"].shape[-2], case["k"].shape[-2]
    t = draw(st.integers(0, min(L, S) - 1))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    for name in ("k", "v"):
        noise = torch.randn(case[name].shape, generator=g, dtype=F64).to(case[name].dtype)
        noise[..., : t + 1, :] = 0
        case[name + "_changed"] = case[name] + noise
    case["t"] = t
    return case


@suite.test(
    "scaled_dot_product_attention is causal: rows up to t ignore keys and values after t",
    functions=("scaled_dot_product_attention",),
    points=1,
    inputs=causal_change_case(),
    max_examples=20,
)
def _(student, q, k, v, mask, is_causal, k_changed, v_changed, t):
    base = student.scaled_dot_product_attention(q, k, v, None, True)
    assert_close(base, torch_attention(q, k, v, None, True), name="causal attention output")
    changed = student.scaled_dot_product_attention(q, k_changed, v_changed, None, True)
    assert_close(changed[..., : t + 1, :], base[..., : t + 1, :],
                 name=f"output rows 0..{t} after changing keys and values after {t}")


@suite.test(
    "a fully masked row gives zero weights and a zero output (no NaN), boolean or additive mask",
    functions=("attention_weights", "scaled_dot_product_attention"),
    points=1.5,
    inputs=st.sampled_from(["bool", "additive"]).flatmap(lambda m: attention_case(mask=m, masked_rows=1)),
    examples=[seeded_case(11, (2,), 3, 4, 3, 2, mask="bool", masked_rows=1),
              seeded_case(12, (1,), 3, 2, 2, 2, torch.float32, mask="additive", masked_rows=2)],
    max_examples=20,
    hint="Where every key of a row is masked, softmax of all -inf is NaN: this assignment (like torch) "
         "returns weights 0 and output 0 for that row; other rows are unaffected.",
)
def _(student, q, k, v, mask, is_causal):
    assert_close(student.attention_weights(q, k, mask), torch_weights(q, k, mask), name="attention weights")
    assert_close(student.scaled_dot_product_attention(q, k, v, mask), torch_attention(q, k, v, mask),
                 name="attention output")


@suite.test(
    "multi_head_attention matches torch.nn.MultiheadAttention (batch first, weights averaged over heads)",
    functions=("multi_head_attention",),
    points=2,
    inputs=st.sampled_from(["none", "bool", "additive"]).flatmap(lambda m: mha_case(mask=m)),
    examples=[seeded_mha_case(13, 2, 3, 4, 2, 2), seeded_mha_case(14, 1, 4, 3, 3, 1, torch.float32, "bool"),
              seeded_mha_case(15, 2, 2, 2, 2, 3, mask="additive")],
    max_examples=25,
    hint="Project with in_proj_weight rows [q; k; v], split E into num_heads heads of E / num_heads, scale "
         "by sqrt(E / num_heads), concatenate the heads, apply out_proj; return the weights averaged over heads.",
)
def _(student, query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
      attn_mask):
    args = (query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, attn_mask)
    out, weights = _pair(student.multi_head_attention(*args), "multi_head_attention")
    want_out, want_weights = torch_mha(*args)
    assert_close(weights, want_weights, name="weights averaged over heads")
    assert_close(out, want_out, name="output")
