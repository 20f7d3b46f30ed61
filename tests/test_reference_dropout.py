"""The dropout reference against torch.nn.functional.dropout's convention, autograd and the
keep rate (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "dropout" / "dropout.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_dropout", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


def _gen(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_is_bool_reproducible_and_keeps_one_minus_p(p):
    mask = ref.dropout_mask((200, 500), p, _gen(1))
    assert mask.dtype == torch.bool and mask.shape == (200, 500)
    assert abs(mask.double().mean().item() - (1 - p)) < 0.01  # 100,000 draws: 5 standard deviations
    assert torch.equal(mask, ref.dropout_mask((200, 500), p, _gen(1)))
    assert not torch.equal(mask, ref.dropout_mask((200, 500), p, _gen(2)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.75, 1.0])
def test_forward_scales_the_kept_elements_and_eval_is_the_identity(p, dtype):
    x = torch.randn(6, 7, 3, generator=_gen(3), dtype=dtype)
    mask = ref.dropout_mask(x.shape, p, _gen(4))
    out = ref.dropout(x, p, True, _gen(4))
    want = torch.zeros_like(x) if p == 1.0 else x * mask / (1 - p)
    assert out.dtype == dtype and torch.isfinite(out).all()
    torch.testing.assert_close(out, want)
    assert torch.equal(ref.dropout(x, p, False, None), x)
    if p == 0.0:
        assert mask.all()
    if p == 1.0:
        assert not mask.any()


def test_convention_is_torch_functional_dropout():
    # torch's output reveals its own mask: the reference maps x through it to torch's output
    x = torch.randn(50, 40, dtype=torch.float64, generator=_gen(5)).abs() + 0.1
    torch.manual_seed(6)
    want = torch.nn.functional.dropout(x, 0.3, training=True)
    torch.testing.assert_close(ref.dropout_backward(x, want != 0, 0.3), want)
    torch.testing.assert_close(torch.nn.functional.dropout(x, 0.3, training=False), ref.dropout(x, 0.3, False, None))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.9])
def test_backward_is_autograd_of_the_forward_with_its_mask(p):
    x = torch.randn(5, 8, dtype=torch.float64, generator=_gen(7), requires_grad=True)
    grad_out = torch.randn(5, 8, dtype=torch.float64, generator=_gen(8))
    mask = ref.dropout_mask(x.shape, p, _gen(9))
    out = ref.dropout(x, p, True, _gen(9))
    (dx,) = torch.autograd.grad(out, x, grad_out)
    torch.testing.assert_close(ref.dropout_backward(grad_out, mask, p), dx)
    assert torch.equal(ref.dropout_backward(grad_out, mask, 1.0), torch.zeros_like(grad_out))  # not NaN


def test_invalid_p_raises_and_backward_works_on_meta():
    x = torch.ones(3)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            ref.dropout_mask((3,), p, _gen(0))
        with pytest.raises(ValueError):
            ref.dropout(x, p, False, None)
    meta = torch.empty(4, 5, device="meta")
    assert ref.dropout_backward(meta, torch.empty(4, 5, dtype=torch.bool, device="meta"), 0.5).device.type == "meta"
