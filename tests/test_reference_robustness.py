"""The robustness reference against torch.nn.utils.clip_grad_norm_, torch.linalg.matrix_norm and
hand-checked attack steps (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "robustness" / "robustness.py"
F64 = torch.float64


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_robustness", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("scale", [1e-7, 1.0, 1e3])
def test_clip_matches_clip_grad_norm_(norm_type, scale, dtype):
    g = torch.Generator().manual_seed(3)
    grads = [torch.randn(s, generator=g, dtype=dtype) * scale for s in [(3,), (), (2, 4)]]
    before = [t.clone() for t in grads]
    for max_norm in (0.0, 0.3 * scale, 100 * scale):
        params = [torch.nn.Parameter(torch.zeros_like(t)) for t in grads]
        for p, t in zip(params, grads):
            p.grad = t.clone()
        want = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        clipped, total = ref.clip_grad_norm(grads, max_norm, norm_type)
        torch.testing.assert_close(total, want)
        torch.testing.assert_close(clipped, [p.grad for p in params], rtol=1e-5, atol=0.0)
    assert all(torch.equal(a, b) for a, b in zip(grads, before))
    for args in [([], 1.0), (grads, -1.0), (grads, 1.0, 0.5)]:
        with pytest.raises(ValueError):
            ref.clip_grad_norm(*args)


def test_spectral_norm_by_hand_and_converged():
    W = torch.diag(torch.tensor([3.0, 1.0], dtype=F64))
    v0 = torch.tensor([1.0, 1.0], dtype=F64)
    # n = 0: ||W v0|| / ||v0|| = sqrt(10 / 2); n = 1: v ~ (9, 1), ||W v|| = sqrt(730 / 82)
    torch.testing.assert_close(ref.spectral_norm(W, v0, 0), torch.tensor(5.0, dtype=F64).sqrt())
    torch.testing.assert_close(ref.spectral_norm(W, v0, 1), torch.tensor(730 / 82, dtype=F64).sqrt())
    g = torch.Generator().manual_seed(5)
    for out, inp in [(1, 4), (5, 3), (6, 6)]:
        A = torch.randn(out, inp, generator=g, dtype=F64)
        sigma = torch.linalg.matrix_norm(A, ord=2)
        estimates = [ref.spectral_norm(A, torch.ones(inp, dtype=F64), n) for n in (0, 2, 500)]
        assert all(float(e) <= float(sigma) * (1 + 1e-12) for e in estimates)
        torch.testing.assert_close(estimates[-1], sigma)
    for args in [(W.flatten(), v0, 1), (W, v0[:1], 1), (W, v0, -1)]:
        with pytest.raises(ValueError):
            ref.spectral_norm(*args)


@pytest.mark.parametrize("activation", [torch.relu, torch.tanh])
def test_lipschitz_bound_bounds_an_mlp(activation):
    g = torch.Generator().manual_seed(7)
    widths = [5, 8, 4, 3]
    weights = [torch.randn(o, i, generator=g, dtype=F64) for i, o in zip(widths, widths[1:])]
    biases = [torch.randn(o, generator=g, dtype=F64) for o in widths[1:]]
    v0s = [torch.ones(i, dtype=F64) for i in widths[:-1]]
    bound = ref.lipschitz_bound(weights, v0s, 500)
    torch.testing.assert_close(bound, math.prod(torch.linalg.matrix_norm(W, ord=2) for W in weights))

    def f(x):
        for i, (W, b) in enumerate(zip(weights, biases)):
            x = x @ W.T + b
            x = activation(x) if i < len(weights) - 1 else x
        return x

    x, y = torch.randn(200, 5, generator=g, dtype=F64), torch.randn(200, 5, generator=g, dtype=F64)
    assert float(((f(x) - f(y)).norm(dim=1) / (x - y).norm(dim=1)).max()) <= float(bound)
    for bad in [([], []), (weights, v0s[:2]), (weights[::-1], v0s[::-1])]:
        with pytest.raises(ValueError):
            ref.lipschitz_bound(*bad, 3)


def test_fgsm_by_hand():
    x = torch.tensor([[0.0, 0.5, 0.95, 0.5]], dtype=F64)
    grad = torch.tensor([[-1.0, 2.0, 0.3, 0.0]], dtype=F64)
    want = torch.tensor([[0.0, 0.6, 1.0, 0.5]], dtype=F64)
    torch.testing.assert_close(ref.fgsm(x, grad, 0.1), want)
    with pytest.raises(ValueError):
        ref.fgsm(x, grad, -0.1)


def test_pgd_steps_by_hand_and_inside_the_ball():
    x0 = torch.tensor([[0.5, 0.5], [0.5, 0.5]], dtype=F64)
    x = torch.tensor([[0.55, 0.5], [0.5, 0.5]], dtype=F64)
    grad = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=F64)
    # inf: (0.55, 0.5) + 0.1 sign -> (0.65, 0.6), clamped to x0 +- 0.1; a zero gradient does not move
    want_inf = torch.tensor([[0.6, 0.6], [0.5, 0.5]], dtype=F64)
    torch.testing.assert_close(ref.pgd_step(x, x0, grad, 0.1, 0.1), want_inf)
    # l2: y = x + 0.1 (0.6, 0.8) = (0.61, 0.58); d = (0.11, 0.08), ||d|| = sqrt(0.0185) > 0.1: rescaled
    d = torch.tensor([0.11, 0.08], dtype=F64)
    want_l2 = torch.stack([x0[0] + d * 0.1 / d.norm(), x0[1]])
    torch.testing.assert_close(ref.pgd_step(x, x0, grad, 0.1, 0.1, "2"), want_l2)
    g = torch.Generator().manual_seed(11)
    x0 = torch.rand(4, 3, 5, 5, generator=g, dtype=F64)
    for norm in ("inf", "2"):
        x = x0
        for _ in range(10):
            x = ref.pgd_step(x, x0, torch.randn(x0.shape, generator=g, dtype=F64), 0.05, 0.1, norm)
            delta = (x - x0).flatten(1)
            size = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
            assert bool((size <= 0.1 + 1e-12).all()) and bool(((x >= 0) & (x <= 1)).all())
    for args in [("l2", 0.1, 0.1), ("inf", -0.1, 0.1), ("2", 0.1, -0.1)]:
        with pytest.raises(ValueError):
            ref.pgd_step(x0, x0, x0, args[1], args[2], args[0])


def test_results_keep_dtype_and_work_on_meta():
    t = torch.empty(3, 4, device="meta", dtype=torch.float32)
    clipped, total = ref.clip_grad_norm([t, t[0]], 1.0)
    assert total.device.type == "meta" and total.shape == () and clipped[1].shape == (4,)
    assert ref.spectral_norm(t, t[0], 3).device.type == "meta"
    assert ref.lipschitz_bound([t, t.T], [t[0], t[:, 0]], 2).shape == ()
    assert ref.fgsm(t, t, 0.1).device.type == "meta"
    for norm in ("inf", "2"):
        out = ref.pgd_step(t, t, t, 0.1, 0.2, norm)
        assert out.device.type == "meta" and out.dtype == torch.float32 and out.shape == (3, 4)
