"""The elbo reference against torch.distributions and independent formulas (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

_PATH = Path(__file__).resolve().parents[1] / "reference" / "elbo" / "elbo.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_elbo", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


def _encoder(seed, dtype, n=3, k=4):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, k, generator=g, dtype=torch.float64).to(dtype),
            (2 * torch.randn(n, k, generator=g, dtype=torch.float64)).to(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gaussian_kl_matches_torch_distributions(dtype):
    mu, logvar = _encoder(0, dtype)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    got = ref.gaussian_kl(mu, logvar)
    assert got.shape == (3,) and got.dtype == dtype
    torch.testing.assert_close(got, kl_divergence(q, p))
    assert torch.equal(ref.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))


def test_reparameterize_uses_the_standard_deviation():
    mu, logvar = torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0, 0.0]])
    eps = torch.tensor([[1.0, 2.0]])
    torch.testing.assert_close(ref.reparameterize(mu, logvar, eps), torch.tensor([[1.0 + math.e, 1.0]]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bernoulli_log_likelihood_is_stable(dtype):
    x = torch.tensor([[0.0, 1.0, 0.5, 1.0], [0.3, 0.0, 1.0, 0.7]], dtype=dtype)
    logits = torch.tensor([[1e4, -1e4, 2.0, 1e4], [-3.0, 40.0, -1e4, 0.0]], dtype=dtype)
    got = ref.bernoulli_log_likelihood(x, logits)
    want = Independent(Bernoulli(logits=logits.double(), validate_args=False), 1).log_prob(x.double())
    assert got.dtype == dtype and bool(torch.isfinite(got).all())
    torch.testing.assert_close(got.double(), want, rtol=1e-6, atol=1e-6 * 1e4)


def test_bernoulli_log_likelihood_beyond_the_softplus_threshold():
    x, logits = torch.ones(1, 1, dtype=torch.float64), torch.full((1, 1), 25.0, dtype=torch.float64)
    torch.testing.assert_close(ref.bernoulli_log_likelihood(x, logits), -torch.log1p(torch.exp(-logits[:, 0])),
                               rtol=1e-6, atol=1e-14)  # no cut-off at 20: the e^-25 survives


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gaussian_log_likelihood_matches_normal(dtype):
    mean, logvar = _encoder(1, dtype)
    x = _encoder(2, dtype)[0]
    want = Independent(Normal(mean, torch.exp(0.5 * logvar)), 1).log_prob(x)
    torch.testing.assert_close(ref.gaussian_log_likelihood(x, mean, logvar), want)


def test_elbo_and_vae_loss():
    x = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]], dtype=torch.float64)
    logits = torch.tensor([[-2.0, 3.0, 0.0], [1.0, 0.0, -1.0]], dtype=torch.float64)
    mu, logvar = _encoder(3, torch.float64, n=2, k=2)
    e = ref.elbo(x, logits, mu, logvar)
    torch.testing.assert_close(e, ref.bernoulli_log_likelihood(x, logits) - ref.gaussian_kl(mu, logvar))
    loss = ref.vae_loss(x, logits, mu, logvar)
    assert loss.shape == () and loss.dtype == torch.float64
    torch.testing.assert_close(loss, -e.mean())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_importance_weighted_bound(dtype):
    lw = torch.tensor([[1e4, -1e4, 0.0], [1e4 - 1, -1e4, 1.0], [1e4 - 2, -1e4, 2.0]], dtype=dtype)
    got = ref.importance_weighted_bound(lw)
    want = torch.tensor([1e4 + math.log((1 + math.exp(-1) + math.exp(-2)) / 3), -1e4,
                         2.0 + math.log((1 + math.exp(-1) + math.exp(-2)) / 3)], dtype=torch.float64)
    assert got.dtype == dtype
    torch.testing.assert_close(got.double(), want, rtol=1e-6, atol=1e-6 * 1e4 if dtype == torch.float32 else 1e-9)
    single = torch.tensor([[0.5, -3.0]], dtype=dtype)
    torch.testing.assert_close(ref.importance_weighted_bound(single), single[0])
