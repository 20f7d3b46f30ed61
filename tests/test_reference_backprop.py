"""The backprop reference against torch autograd and closed forms, on fixed inputs (no sandbox)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

_PATH = Path(__file__).resolve().parents[1] / "reference" / "backprop" / "backprop.py"
_SPEC = importlib.util.spec_from_file_location("_reference_backprop_under_test", _PATH)
ref = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ref)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_linear_matches_autograd(dtype):
    g = _gen(0)
    x = torch.randn(4, 3, generator=g, dtype=dtype)
    W = torch.randn(5, 3, generator=g, dtype=dtype)
    b = torch.randn(5, generator=g, dtype=dtype)
    dz = torch.randn(4, 5, generator=g, dtype=dtype)
    leaves = [t.clone().requires_grad_(True) for t in (x, W, b)]
    z = F.linear(*leaves)
    z.backward(dz)
    torch.testing.assert_close(ref.linear_forward(x, W, b), z.detach())
    dx, dW, db = ref.linear_backward(dz, x, W)
    assert dx.shape == x.shape and dW.shape == W.shape and db.shape == b.shape
    for got, leaf in zip((dx, dW, db), leaves):
        torch.testing.assert_close(got, leaf.grad)


def test_relu_derivative_at_zero_is_zero():
    z = torch.tensor([-1.0, 0.0, -0.0, 2.0])
    dout = torch.tensor([3.0, 4.0, 5.0, 6.0])
    assert ref.relu_backward(dout, z).tolist() == [0.0, 0.0, 0.0, 6.0]
    assert ref.relu_forward(z).tolist() == [0.0, 0.0, 0.0, 2.0]


@pytest.mark.parametrize("name, fn", [("sigmoid_backward", torch.sigmoid), ("tanh_backward", torch.tanh)])
def test_squashing_backward_uses_the_pre_activation(name, fn):
    z = torch.tensor([[-3.0, -0.5, 0.0, 0.7, 4.0]], dtype=torch.float64, requires_grad=True)
    dout = torch.tensor([[1.0, -2.0, 0.5, 3.0, 1.0]], dtype=torch.float64)
    fn(z).backward(dout)
    torch.testing.assert_close(getattr(ref, name)(dout, z.detach()), z.grad)


def test_sigmoid_and_tanh_derivatives_at_zero():
    one = torch.ones(1, dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    assert float(ref.sigmoid_backward(one, zero)) == 0.25
    assert float(ref.tanh_backward(one, zero)) == 1.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_cross_entropy_matches_torch(dtype):
    g = _gen(1)
    logits = torch.randn(5, 4, generator=g, dtype=dtype) * 3
    y = torch.tensor([0, 3, 1, 1, 2])
    leaf = logits.clone().requires_grad_(True)
    want = F.cross_entropy(leaf, y)
    want.backward()
    loss, dlogits = ref.softmax_cross_entropy(logits, y)
    assert loss.shape == () and loss.dtype == dtype
    torch.testing.assert_close(loss, want.detach())
    torch.testing.assert_close(dlogits, leaf.grad)


def test_softmax_cross_entropy_is_stable_at_1e4():
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    y = torch.tensor([1, 2])
    loss, dlogits = ref.softmax_cross_entropy(logits, y)
    assert torch.isfinite(loss) and torch.isfinite(dlogits).all()
    assert float(loss) == pytest.approx(1e4)  # (2e4 + 0) / 2
    torch.testing.assert_close(dlogits, torch.tensor([[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]]))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_loss_and_grads_match_autograd(activation):
    g = _gen(2)
    sizes = [3, 5, 4, 3]
    params = [(torch.randn(o, i, generator=g, dtype=torch.float64), torch.randn(o, generator=g, dtype=torch.float64))
              for i, o in zip(sizes, sizes[1:])]
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    leaves = [(W.clone().requires_grad_(True), b.clone().requires_grad_(True)) for W, b in params]
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    h = x
    for i, (W, b) in enumerate(leaves):
        h = F.linear(h, W, b)
        if i < len(leaves) - 1:
            h = act(h)
    torch.testing.assert_close(ref.mlp_forward(x, params, activation), h.detach())
    want = F.cross_entropy(h, y)
    want.backward()
    loss, grads = ref.mlp_loss_and_grads(x, y, params, activation)
    torch.testing.assert_close(loss, want.detach())
    assert len(grads) == len(params)
    for (dW, db), (W, b) in zip(grads, leaves):
        torch.testing.assert_close(dW, W.grad)
        torch.testing.assert_close(db, b.grad)


def test_unknown_activation_raises():
    params = [(torch.ones(2, 2), torch.zeros(2)), (torch.ones(2, 2), torch.zeros(2))]
    with pytest.raises(ValueError):
        ref.mlp_forward(torch.ones(1, 2), params, "gelu")
    with pytest.raises(ValueError):
        ref.mlp_loss_and_grads(torch.ones(1, 2), torch.tensor([0]), params, "softmax")
