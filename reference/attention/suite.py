"""Hidden tests for ``attention``: the visible suite's oracles and cases, on harder inputs
(large scores, broadcast masks, head counts), argument checks and the reference."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite, reference_beside, visible_suite_of

visible = visible_suite_of(__file__)
ref = reference_beside(__file__, "attention.py")
suite = Suite("attention")


def _score_scale(q, k) -> float:
    """The largest |score|: a correct float32 softmax is accurate to eps32 times it."""
    return max(1.0, float((q.to(torch.float64) @ k.to(torch.float64).transpose(-2, -1)).abs().max())
               / q.shape[-1] ** 0.5)


@suite.test(
    "scaled_dot_product_attention is stable for scores in the thousands",
    functions=("scaled_dot_product_attention", "attention_weights"),
    points=1.5,
    inputs=st.sampled_from(["none", "bool", "causal"]).flatmap(lambda m: visible.attention_case(mask=m, scale=30.0)),
    examples=[visible.seeded_case(21, (2,), 3, 4, 6, 2, scale=40.0),
              visible.seeded_case(22, (1,), 4, 4, 3, 2, torch.float32, "causal", scale=40.0)],
    max_examples=20,
)
def _(student, q, k, v, mask, is_causal):
    # error in a score moves a weight by (weight x that error): tolerances grow with the scores
    rtol, atol = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-10, 1e-12)}[q.dtype]
    s = _score_scale(q, k)
    assert_close(student.attention_weights(q, k, mask, is_causal), visible.torch_weights(q, k, mask, is_causal),
                 rtol=rtol * s, atol=atol * s, name="attention weights")
    assert_close(student.scaled_dot_product_attention(q, k, v, mask, is_causal),
                 visible.torch_attention(q, k, v, mask, is_causal), rtol=rtol * s, atol=atol * s,
                 name="attention output")


@st.composite
def scaled_case(draw) -> dict:
    case = draw(visible.attention_case(mask=draw(st.sampled_from(["none", "additive", "causal"]))))
    case["scale"] = draw(st.sampled_from([0.1, 1.0, 2.5]))
    return case


@suite.test(
    "scale replaces 1 / sqrt(E) when given",
    functions=("attention_weights", "scaled_dot_product_attention"),
    points=1,
    inputs=scaled_case(),
    examples=[{**visible.seeded_case(23, (2,), 3, 3, 4, 2), "scale": 1.0}],
    max_examples=20,
)
def _(student, q, k, v, mask, is_causal, scale):
    assert_close(student.attention_weights(q, k, mask, is_causal, scale),
                 visible.torch_weights(q, k, mask, is_causal, scale), name="attention weights")
    assert_close(student.scaled_dot_product_attention(q, k, v, mask, is_causal, scale),
                 visible.torch_attention(q, k, v, mask, is_causal, scale), name="attention output")


@suite.test(
    "multi_head_attention matches the reference (one head, several heads, masks, L != S)",
    functions=("multi_head_attention",),
    points=1.5,
    inputs=st.sampled_from(["none", "bool", "additive"]).flatmap(lambda m: visible.mha_case(mask=m)),
    examples=[visible.seeded_mha_case(24, 1, 3, 5, 1, 4), visible.seeded_mha_case(25, 2, 4, 2, 4, 1, mask="bool"),
              visible.seeded_mha_case(26, 3, 1, 3, 2, 2, torch.float32, "additive")],
    max_examples=20,
)
def _(student, query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
      attn_mask):
    args = (query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, attn_mask)
    got = student.multi_head_attention(*args)
    check(isinstance(got, (tuple, list)) and len(got) == 2, "multi_head_attention must return (output, weights)")
    assert_close(tuple(got), ref.multi_head_attention(*args), name="(output, weights)")


@suite.test(
    "multi_head_attention: every head's weights are rows summing to 1, so their average is too",
    functions=("multi_head_attention",),
    points=0.5,
    inputs=visible.mha_case(mask="bool"),
    max_examples=10,
)
def _(student, query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
      attn_mask):
    args = (query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, attn_mask)
    got = student.multi_head_attention(*args)
    check(isinstance(got, (tuple, list)) and len(got) == 2, "multi_head_attention must return (output, weights)")
    weights = got[1]
    want = visible.torch_mha(*args)[1]
    assert_close(weights, want, name="weights averaged over heads")
    assert_close(weights.sum(-1), torch.ones_like(want.sum(-1)), name="row sums of the averaged weights")


def _arg_errors():
    q, k, v = torch.randn(1, 2, 4, dtype=torch.float64), torch.randn(1, 3, 4, dtype=torch.float64), \
        torch.randn(1, 3, 2, dtype=torch.float64)
    mha = visible.seeded_mha_case(27, 1, 2, 3, 2, 2)
    mha["num_heads"] = 3  # E = 4
    return {"q": q, "k": k, "v": v, "mask": torch.ones(2, 3, dtype=torch.bool), "mha": mha}


@suite.test(
    "ValueError for a mask with is_causal=True, and for num_heads not dividing E",
    functions=("attention_weights", "scaled_dot_product_attention", "multi_head_attention"),
    points=1,
    inputs=None,
)
def _(student):
    case = _arg_errors()
    assert_raises(ValueError, student.attention_weights, case["q"], case["k"], case["mask"], True)
    assert_raises(ValueError, student.scaled_dot_product_attention, case["q"], case["k"], case["v"], case["mask"], True)
    m = case["mha"]
    assert_raises(ValueError, student.multi_head_attention, m["query"], m["key"], m["value"], m["num_heads"],
                  m["in_proj_weight"], m["in_proj_bias"], m["out_proj_weight"], m["out_proj_bias"])
    # and the calls that are valid still give the oracle's value
    assert_close(student.attention_weights(case["q"], case["k"], None, True),
                 visible.torch_weights(case["q"], case["k"], None, True), name="causal weights")


@suite.test(
    "several fully masked rows: zero rows, a finite output, the rest matches the reference",
    functions=("scaled_dot_product_attention",),
    points=1,
    inputs=st.sampled_from(["bool", "additive"]).flatmap(lambda m: visible.attention_case(mask=m, masked_rows=2)),
    max_examples=15,
)
def _(student, q, k, v, mask, is_causal):
    got = student.scaled_dot_product_attention(q, k, v, mask)
    assert_close(got, ref.scaled_dot_product_attention(q, k, v, mask), name="attention output")
    check(bool(torch.isfinite(got).all()), "the output must be finite (fully masked rows give 0, not NaN)")
