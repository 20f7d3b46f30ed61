"""The gan_loss reference against torch builtins and closed forms (no sandbox)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

_PATH = Path(__file__).resolve().parents[1] / "reference" / "gan_loss" / "gan_loss.py"
_SPEC = importlib.util.spec_from_file_location("_reference_gan_loss_under_test", _PATH)
ref = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ref)


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_discriminator_loss_is_the_sum_of_two_bce_means(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(5, generator=gen, dtype=torch.float64).mul(4).to(dtype)
    fake = torch.randn(3, generator=gen, dtype=torch.float64).mul(4).to(dtype)
    got = ref.discriminator_loss(real, fake)
    assert got.shape == () and got.dtype == dtype
    torch.testing.assert_close(got, _bce(real, 1.0) + _bce(fake, 0.0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_discriminator_loss_is_exact_at_huge_logits(dtype: torch.dtype) -> None:
    real = torch.tensor([-1e4, 1e4], dtype=dtype)
    fake = torch.tensor([1e4], dtype=dtype)
    # -log σ(-1e4) = 1e4, -log σ(1e4) = 0, -log(1 - σ(1e4)) = 1e4
    torch.testing.assert_close(ref.discriminator_loss(real, fake), torch.tensor(5e3 + 1e4, dtype=dtype))
    at_zero = ref.discriminator_loss(torch.zeros(2, dtype=dtype), torch.zeros(1, dtype=dtype))
    assert at_zero.item() == pytest.approx(2 * math.log(2))


def test_generator_losses_match_their_bce_forms_and_signs() -> None:
    fake = torch.tensor([-3.0, -0.5, 0.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(ref.generator_loss(fake), _bce(fake, 1.0))
    torch.testing.assert_close(ref.generator_loss(fake, "saturating"), -_bce(fake, 0.0))
    assert ref.generator_loss(fake) > 0 > ref.generator_loss(fake, "saturating")
    with pytest.raises(ValueError):
        ref.generator_loss(fake, "minimax")


def test_generator_gradients_saturate_only_for_the_saturating_loss() -> None:
    fake = torch.full((4,), -20.0, dtype=torch.float64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(ref.generator_loss(fake, "saturating"), fake)
    (g_ns,) = torch.autograd.grad(ref.generator_loss(fake, "non_saturating"), fake)
    sigma = torch.sigmoid(fake.detach())
    torch.testing.assert_close(g_sat, -sigma / 4)
    torch.testing.assert_close(g_ns, -(1 - sigma) / 4)
    assert g_sat.abs().max() < 1e-9 and g_ns.abs().min() > 0.24


def test_optimal_discriminator_and_js_closed_forms() -> None:
    p = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    q = torch.tensor([0.0, 0.5, 0.5, 0.0], dtype=torch.float64)
    torch.testing.assert_close(ref.optimal_discriminator(p, q), torch.tensor([1.0, 0.5, 0.0, 0.5], dtype=torch.float64))
    m = (p + q) / 2
    kl = lambda a: (torch.xlogy(a, a) - torch.xlogy(a, m)).sum()  # noqa: E731
    torch.testing.assert_close(ref.jensen_shannon(p, q), 0.5 * kl(p) + 0.5 * kl(q))
    torch.testing.assert_close(ref.jensen_shannon(p, p), torch.tensor(0.0, dtype=torch.float64))
    disjoint = torch.tensor([0.0, 0.0, 0.3, 0.7], dtype=torch.float64)
    torch.testing.assert_close(ref.jensen_shannon(torch.tensor([0.4, 0.6, 0.0, 0.0], dtype=torch.float64), disjoint),
                               torch.tensor(math.log(2), dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_value_at_optimum_is_two_js_minus_log4(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        w, v = (torch.rand(6, generator=gen, dtype=torch.float64)
                * (torch.rand(6, generator=gen, dtype=torch.float64) > 0.3) for _ in range(2))
        w[0] += 0.1
        v[1] += 0.1
        p, q = (w / w.sum()).to(dtype), (v / v.sum()).to(dtype)
        got = ref.gan_value_at_optimum(p, q)
        assert torch.isfinite(got) and got.dtype == dtype
        torch.testing.assert_close(got, 2 * ref.jensen_shannon(p, q) - math.log(4))
    same = torch.tensor([0.2, 0.8, 0.0], dtype=dtype)
    torch.testing.assert_close(ref.gan_value_at_optimum(same, same), torch.tensor(-math.log(4), dtype=dtype))


def test_wasserstein_losses() -> None:
    real = torch.tensor([1.0, 2.0, 3.0])
    fake = torch.tensor([-1.0, 0.0])
    assert ref.wasserstein_critic_loss(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert ref.wasserstein_generator_loss(fake).item() == pytest.approx(0.5)
