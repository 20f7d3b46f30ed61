"""The attention reference against torch.nn.functional.scaled_dot_product_attention and
torch.nn.MultiheadAttention (no sandbox), and graded: the reference full marks, the stub 0 quietly."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import torch.nn.functional as F
from paths import ROOT

from grader.grading import GradeOptions, grade_submission

_PATH = ROOT / "reference" / "attention" / "attention.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_attention", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["none", "bool", "additive", "causal"])
def test_attention_matches_torch(dtype, kind):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, n, d, generator=g, dtype=dtype) for n, d in ((4, 5), (6, 5), (6, 2)))
    mask = None
    if kind != "none":
        allowed = torch.rand(4, 6, generator=g) < 0.5
        allowed[:, 0] = True
        mask = allowed if kind == "bool" else torch.where(allowed, 0.5, -torch.inf).to(dtype)
    if kind == "causal":
        mask = None
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=kind == "causal")
    got = ref.scaled_dot_product_attention(q, k, v, mask, kind == "causal")
    torch.testing.assert_close(got, want)
    weights = ref.attention_weights(q, k, mask, kind == "causal")
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 4, dtype=dtype))


def test_fully_masked_row_is_zero_like_torch():
    q, k, v = torch.randn(1, 2, 3, dtype=torch.float64), torch.randn(1, 4, 3, dtype=torch.float64), \
        torch.randn(1, 4, 2, dtype=torch.float64)
    mask = torch.ones(2, 4, dtype=torch.bool)
    mask[0] = False
    got = ref.scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(got[0, 0], torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_matches_torch(masked):
    torch.manual_seed(1)
    mha = torch.nn.MultiheadAttention(6, 3, batch_first=True, dtype=torch.float64)
    query, key = torch.randn(2, 4, 6, dtype=torch.float64), torch.randn(2, 5, 6, dtype=torch.float64)
    value = torch.randn(2, 5, 6, dtype=torch.float64)
    allowed = (torch.rand(4, 5) < 0.6) | torch.eye(4, 5, dtype=torch.bool) if masked else None
    with torch.no_grad():
        want = mha(query, key, value, attn_mask=None if allowed is None else ~allowed, need_weights=True)
    got = ref.multi_head_attention(query, key, value, 3, mha.in_proj_weight.detach(), mha.in_proj_bias.detach(),
                                   mha.out_proj.weight.detach(), mha.out_proj.bias.detach(), allowed)
    torch.testing.assert_close(got[0], want[0])
    torch.testing.assert_close(got[1], want[1])


@pytest.mark.parametrize(("folder", "full"), [("reference", True), ("assignments", False)])
def test_graded_reference_full_marks_and_stub_zero_quietly(course, folder, full):
    result = grade_submission(ROOT / folder / "attention", course, GradeOptions(only=("attention",), max_examples=5))
    (graded,) = result.assignments
    if full:
        assert graded.score == graded.max_score > 0, [(t.name, t.message) for t in graded.tests if t.status != "passed"]
    else:
        assert graded.score == 0
        assert all(t.message.endswith("is not implemented yet") and not t.traceback for t in graded.tests)
