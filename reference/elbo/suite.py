"""Hidden tests for ``elbo``: comparisons with the reference, a Monte Carlo check of the KL, an
exact ELBO identity on a linear-Gaussian model, and the importance-weighted bound's invariants.

Monte Carlo KL test, its error bound
------------------------------------
With z_s = reparameterize(mu, logvar, eps_s), eps_s ~ N(0, I) i.i.d. (drawn here from a seeded
generator, S = 4000 per row), d_s = log q(z_s) - log p(z_s) has mean KL(q || p) and finite
variance sigma^2 (d_s is a quadratic form in eps_s). The estimate mean(d) has standard error
se = sd(d) / sqrt(S), with sd the sample standard deviation. By the CLT, for a correct
submission P(|mean(d) - KL| > 5.3 se) ~= 2 * Phi(-5.3) ~= 1.2e-7 per row; with at most
3 rows x 30 cases per run the false-fail probability is below 1e-5 (and, the seeds being
fixed, a run is deterministic: the same submission always gets the same verdict). An extra
1e-6 (float64) / 1e-4 (float32) slack, times (1 + |KL|), absorbs rounding.

Linear-Gaussian ELBO test
-------------------------
Per dimension j: z_j ~ N(0, 1), x_j | z_j ~ N(a_j z_j + b_j, s_j^2). Then log p(x) is exact
(x_j ~ N(b_j, a_j^2 + s_j^2)), the posterior is N(m_j, v_j) with v_j = s_j^2/(a_j^2 + s_j^2),
m_j = a_j (x_j - b_j)/(a_j^2 + s_j^2), and for any q = N(mu, e^logvar):
    log p(x) - ELBO(q) = KL(q || posterior) >= 0, with equality at q = posterior.
ELBO(q) = E_q[log p(x | z)] - KL(q || N(0, I)) is built from the submission's
reparameterize, gaussian_log_likelihood and gaussian_kl; the expectation is computed EXACTLY
by 3-point Gauss-Hermite quadrature (z_k = reparameterize(mu, logvar, node_k); exact for
polynomials of degree <= 5, and log p(x | z) is quadratic in z). Everything is float64, so
the identity holds to rounding: tolerance 1e-12 times (1 + the sum of the magnitudes involved),
far above float64 rounding (~1e-15 relative) and far below a float32 constant such as log 2 pi
(off by 3e-8): float64 means float64 (SPEC §2).
"""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "elbo.py")
suite = Suite("elbo")

# 20.5 and 22: just above torch's softplus threshold 20, where dropping e^-l (1e-9) is far above float64 rounding
BIG_LOGITS = [1e4, -1e4, 9999.5, -9999.5, 3e3, -3e3, 100.0, -100.0, 25.0, -25.0, 20.5, -20.5, 22.0, 30.0, -30.0]
LOG_2PI = math.log(2 * math.pi)


def _floats(dtype, lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=32 if dtype == torch.float32 else 64)


def _scale(t: torch.Tensor) -> float:
    return max(1.0, float(t.abs().max())) if t.numel() else 1.0


def _tol(dtype) -> dict:
    """rtol 1e-12 and atol 1e-12 (times the inputs' scale) for float64, rtol 1e-4 and atol 5e-5 for
    float32: see the visible suite (float64 means float64: a float32 constant or intermediate, or
    torch's float32-sized softplus threshold, fails; other valid formulas agree to ~1e-15)."""
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 5e-5}


@st.composite
def encoder_case(draw, lv_lo: float = -12.0, lv_hi: float = 8.0) -> dict:
    n, k = draw(gst.dims(1, 5)), draw(gst.dims(1, 5))
    dtype = draw(gst.float_dtypes())
    return {"mu": draw(gst.tensors((n, k), dtype=dtype, min_value=-8, max_value=8)),
            "logvar": draw(gst.tensors((n, k), dtype=dtype, min_value=lv_lo, max_value=lv_hi))}


@st.composite
def reparam_case(draw) -> dict:
    case = draw(encoder_case())
    case["eps"] = draw(gst.tensors(tuple(case["mu"].shape), dtype=case["mu"].dtype, min_value=-4, max_value=4))
    return case


@suite.test(
    "reparameterize and gaussian_kl match the reference (logvar from -12 to 8, logvar near 0)",
    functions=("reparameterize", "gaussian_kl"),
    points=1,
    inputs=reparam_case(),
    examples=[{"mu": torch.tensor([[0.0, 0.0, 3.0]], dtype=torch.float64),
               "logvar": torch.tensor([[1e-6, -1e-6, 0.0]], dtype=torch.float64),
               "eps": torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64)},
              {"mu": torch.tensor([[2.0], [-2.0], [0.0]]), "logvar": torch.tensor([[-0.5], [8.0], [-12.0]]),
               "eps": torch.tensor([[-1.5], [0.25], [2.0]])}],
    max_examples=25,
)
def _(student, mu, logvar, eps):
    assert_close(student.reparameterize(mu, logvar, eps), ref.reparameterize(mu, logvar, eps), **_tol(mu.dtype),
                 name="z")
    assert_close(student.gaussian_kl(mu, logvar), ref.gaussian_kl(mu, logvar), **_tol(mu.dtype), name="KL")


@st.composite
def large_logvar_case(draw) -> dict:
    """logvar where exp(logvar) is huge or tiny yet finite (e^80 ~ 5.5e34 is finite even in float32)."""
    n, k = draw(gst.dims(1, 3)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    big = st.sampled_from([80.0, 60.0, 40.0, -80.0, -40.0, 0.0])
    return {"mu": draw(gst.tensors((n, k), dtype=dtype, min_value=-5, max_value=5)),
            "logvar": draw(gst.tensors((n, k), dtype=dtype, elements=big)),
            "eps": draw(gst.tensors((n, k), dtype=dtype, min_value=-3, max_value=3))}


@suite.test(
    "reparameterize and gaussian_kl are finite and accurate where exp(logvar) is huge or tiny (|logvar| up to 80)",
    functions=("reparameterize", "gaussian_kl"),
    points=0.5,
    inputs=large_logvar_case(),
    examples=[{"mu": torch.tensor([[0.0, 1.0]]), "logvar": torch.tensor([[80.0, -80.0]]),
               "eps": torch.tensor([[1.0, -1.0]])}],
    max_examples=15,
)
def _(student, mu, logvar, eps):
    kl = student.gaussian_kl(mu, logvar)
    check(isinstance(kl, torch.Tensor) and bool(torch.isfinite(kl).all()),
          f"gaussian_kl must be finite where its value is (logvar up to {float(logvar.abs().max()):g}), got {kl!r}")
    assert_close(kl, ref.gaussian_kl(mu, logvar), **_tol(mu.dtype), name="KL")
    assert_close(student.reparameterize(mu, logvar, eps), ref.reparameterize(mu, logvar, eps), **_tol(mu.dtype),
                 name="z")


@st.composite
def bernoulli_case(draw) -> dict:
    n, d = draw(gst.dims(1, 5)), draw(gst.dims(1, 6))
    dtype = draw(gst.float_dtypes())
    x_elems = st.one_of(st.sampled_from([0.0, 1.0]), _floats(dtype, 0.0, 1.0))
    l_elems = st.one_of(st.sampled_from(BIG_LOGITS), _floats(dtype, -30.0, 30.0))
    return {"x": draw(gst.tensors((n, d), dtype=dtype, elements=x_elems)),
            "logits": draw(gst.tensors((n, d), dtype=dtype, elements=l_elems))}


def _bern_example(dtype):
    return {"x": torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.5, 0.5, 0.9, 0.1]], dtype=dtype),
            "logits": torch.tensor([[1e4, -1e4, -1e4, 1e4], [1e4, -1e4, 9999.5, -3e3]], dtype=dtype)}


@suite.test(
    "bernoulli_log_likelihood matches the reference at |logits| up to 1e4 (finite, accurate to the logits' scale)",
    functions=("bernoulli_log_likelihood",),
    points=1.5,
    inputs=bernoulli_case(),
    examples=[_bern_example(torch.float32), _bern_example(torch.float64),
              {"x": torch.ones(1, 3), "logits": torch.tensor([[20.0, 30.0, 17.0]])},
              # log σ(l) = -log1p(e^-l) ~ -1.25e-9 at l = 20.5, and log(1 - σ(30)) = -30 - 9.4e-14: finite, and
              # in float64 accurate far below the e^-l a float32-sized cut-off (softplus threshold 20) drops
              {"x": torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64),
               "logits": torch.tensor([[20.5, 22.0, 30.0]], dtype=torch.float64)}],
    max_examples=40,
)
def _(student, x, logits):
    got = student.bernoulli_log_likelihood(x, logits)
    if isinstance(got, torch.Tensor):
        check(bool(torch.isfinite(got).all()), "bernoulli_log_likelihood returned NaN or Inf "
              f"(|logits| up to {_scale(logits):g})")
    assert_close(got, ref.bernoulli_log_likelihood(x, logits), scale=_scale(logits),
                 **_tol(x.dtype), name="log-likelihood")


@st.composite
def gaussian_ll_case(draw) -> dict:
    n, d = draw(gst.dims(1, 5)), draw(gst.dims(1, 6))
    dtype = draw(gst.float_dtypes())
    return {"x": draw(gst.tensors((n, d), dtype=dtype, min_value=-20, max_value=20)),
            "mean": draw(gst.tensors((n, d), dtype=dtype, min_value=-20, max_value=20)),
            "logvar": draw(gst.tensors((n, d), dtype=dtype, min_value=-10, max_value=10))}


@suite.test(
    "gaussian_log_likelihood matches the reference (variances from e^-10 to e^10)",
    functions=("gaussian_log_likelihood",),
    points=1,
    inputs=gaussian_ll_case(),
    examples=[{"x": torch.tensor([[0.5, -0.5, 3.0]], dtype=torch.float64),
               "mean": torch.tensor([[0.5, 0.5, -1.0]], dtype=torch.float64),
               "logvar": torch.tensor([[0.5, 0.25, 2.0]], dtype=torch.float64)},
              {"x": torch.zeros(2, 1), "mean": torch.ones(2, 1), "logvar": torch.tensor([[-10.0], [10.0]])}],
    max_examples=25,
)
def _(student, x, mean, logvar):
    assert_close(student.gaussian_log_likelihood(x, mean, logvar), ref.gaussian_log_likelihood(x, mean, logvar),
                 **_tol(x.dtype), name="log-likelihood")


@st.composite
def vae_case(draw) -> dict:
    case = draw(bernoulli_case())
    n, dtype = case["x"].shape[0], case["x"].dtype
    k = draw(gst.dims(1, 4))
    case["mu"] = draw(gst.tensors((n, k), dtype=dtype, min_value=-5, max_value=5))
    case["logvar"] = draw(gst.tensors((n, k), dtype=dtype, min_value=-6, max_value=4))
    return case


@suite.test(
    "elbo and vae_loss match the reference (pixels, latents and batch of different sizes)",
    functions=("elbo", "vae_loss"),
    points=1.5,
    inputs=vae_case(),
    examples=[{"x": torch.tensor([[1.0, 0.0, 0.5, 1.0, 0.0]] * 3, dtype=torch.float64),
               "logits": torch.tensor([[2.0, -1.0, 0.0, 1e4, -1e4]] * 3, dtype=torch.float64),
               "mu": torch.tensor([[0.0, 1.0], [2.0, -1.0], [0.0, 0.0]], dtype=torch.float64),
               "logvar": torch.tensor([[0.0, 0.5], [-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)}],
    max_examples=30,
)
def _(student, x, logits, mu, logvar):
    scale = _scale(logits)
    assert_close(student.elbo(x, logits, mu, logvar), ref.elbo(x, logits, mu, logvar), scale=scale,
                 **_tol(x.dtype), name="elbo")
    assert_close(student.vae_loss(x, logits, mu, logvar), ref.vae_loss(x, logits, mu, logvar), scale=scale,
                 **_tol(x.dtype), name="vae_loss")


@st.composite
def iw_invariant_case(draw) -> dict:
    kind = draw(st.sampled_from(["random", "single", "equal"]))
    n = draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    s = 1 if kind == "single" else draw(gst.dims(2, 6))
    if kind == "equal":
        row = draw(gst.tensors((1, n), dtype=dtype, min_value=-50, max_value=50))
        lw = row.expand(s, n).clone()
    else:
        lw = draw(gst.tensors((s, n), dtype=dtype, min_value=-50, max_value=50))
    return {"log_weights": lw, "kind": kind}


@suite.test(
    "importance_weighted_bound: >= the mean of the log-weights, equal to it for S = 1 and for equal weights",
    functions=("importance_weighted_bound",),
    points=1,
    inputs=iw_invariant_case(),
    examples=[{"log_weights": torch.tensor([[0.5, -3.0]], dtype=torch.float64), "kind": "single"},
              {"log_weights": torch.full((5, 2), 2.0), "kind": "equal"},
              {"log_weights": torch.tensor([[0.0], [-10.0], [3.0]], dtype=torch.float64), "kind": "random"}],
    max_examples=30,
)
def _(student, log_weights, kind):
    got = student.importance_weighted_bound(log_weights)
    mean = log_weights.double().mean(dim=0).to(log_weights.dtype)
    if kind == "random":
        check(isinstance(got, torch.Tensor) and tuple(got.shape) == (log_weights.shape[1],),
              f"expected a tensor of shape ({log_weights.shape[1]},), one bound per column")
        slack = 1e-5 * (1 + mean.abs()) if log_weights.dtype == torch.float32 else 1e-12 * (1 + mean.abs())
        check(bool((got - mean >= -slack).all()),
              "the bound must be >= the mean of the log-weights (Jensen), got "
              f"{got.tolist()} < {mean.tolist()}")
    assert_close(got, ref.importance_weighted_bound(log_weights), scale=_scale(log_weights),
                 **_tol(log_weights.dtype), name="bound")
    if kind != "random":
        assert_close(got, mean, scale=_scale(log_weights), **_tol(log_weights.dtype),
                     name=f"bound ({kind}: should equal the log-weight)")


@st.composite
def iw_big_case(draw) -> dict:
    s, n = draw(gst.dims(1, 6)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    spread = draw(st.sampled_from([1.0, 30.0, 1e3]))
    base = draw(st.sampled_from([1e4, -1e4, 750.0, -750.0, 0.0]))
    lw = draw(gst.tensors((s, n), dtype=dtype, min_value=-spread, max_value=spread))
    return {"log_weights": lw + base}


@suite.test(
    "importance_weighted_bound matches the reference for log-weights of magnitude up to 1e4",
    functions=("importance_weighted_bound",),
    points=1,
    inputs=iw_big_case(),
    examples=[{"log_weights": torch.tensor([[-1e4, 1e4, 750.0], [-1e4 + 1, 1e4 - 3, -750.0]], dtype=torch.float64)},
              {"log_weights": torch.tensor([[-1e4], [-1e4], [-1e4]])}],
    max_examples=25,
)
def _(student, log_weights):
    got = student.importance_weighted_bound(log_weights)
    if isinstance(got, torch.Tensor):
        check(bool(torch.isfinite(got).all()), "importance_weighted_bound returned NaN or Inf for log-weights "
              f"of magnitude {_scale(log_weights):g}")
    assert_close(got, ref.importance_weighted_bound(log_weights), scale=_scale(log_weights),
                 **_tol(log_weights.dtype), name="bound")


MC_SAMPLES = 4000
Z_CRIT = 5.3


@st.composite
def mc_case(draw) -> dict:
    n, k = draw(gst.dims(1, 3)), draw(gst.dims(1, 3))
    dtype = draw(gst.float_dtypes())
    return {"mu": draw(gst.tensors((n, k), dtype=dtype, min_value=-2, max_value=2)),
            "logvar": draw(gst.tensors((n, k), dtype=dtype, min_value=-2, max_value=1.5)),
            "seed": draw(st.integers(0, 2**31 - 1))}


def _normal_logpdf(z, mean, logvar):
    return (-0.5 * (LOG_2PI + logvar + (z - mean) ** 2 * torch.exp(-logvar))).sum(dim=-1)


@suite.test(
    "Monte Carlo KL via reparameterize (S = 4000 seeded draws) agrees with gaussian_kl within 5.3 standard errors",
    functions=("reparameterize", "gaussian_kl"),
    points=1.5,
    inputs=mc_case(),
    examples=[{"mu": torch.tensor([[1.0, -0.5], [0.0, 0.0]], dtype=torch.float64),
               "logvar": torch.tensor([[1.0, -1.0], [0.5, 0.0]], dtype=torch.float64), "seed": 1},
              {"mu": torch.tensor([[0.5]]), "logvar": torch.tensor([[1.5]]), "seed": 2}],
    max_examples=20,
)
def _(student, mu, logvar, seed):
    n, k = mu.shape
    gen = torch.Generator().manual_seed(seed)
    eps = torch.randn((MC_SAMPLES * n, k), generator=gen, dtype=torch.float64).to(device=mu.device, dtype=mu.dtype)
    z = student.reparameterize(mu.repeat(MC_SAMPLES, 1), logvar.repeat(MC_SAMPLES, 1), eps)
    check(isinstance(z, torch.Tensor) and tuple(z.shape) == (MC_SAMPLES * n, k),
          f"reparameterize must return a tensor shaped like mu, ({MC_SAMPLES * n}, {k})")
    z64, mu64, lv64 = z.double(), mu.double().repeat(MC_SAMPLES, 1), logvar.double().repeat(MC_SAMPLES, 1)
    d = (_normal_logpdf(z64, mu64, lv64) - _normal_logpdf(z64, torch.zeros_like(z64), torch.zeros_like(z64)))
    d = d.reshape(MC_SAMPLES, n)
    estimate, se = d.mean(dim=0), d.std(dim=0) / math.sqrt(MC_SAMPLES)
    kl = student.gaussian_kl(mu, logvar)
    check(isinstance(kl, torch.Tensor) and tuple(kl.shape) == (n,), f"gaussian_kl must return shape ({n},)")
    kl64 = kl.double()
    rel = 1e-4 if mu.dtype == torch.float32 else 1e-6
    bound = Z_CRIT * se + rel * (1 + kl64.abs())
    err = (estimate - kl64).abs()
    check(bool(torch.isfinite(kl64).all()) and bool((err <= bound).all()),
          f"Monte Carlo estimate of the KL {estimate.tolist()} (standard error {se.tolist()}) disagrees with "
          f"gaussian_kl {kl64.tolist()}: |difference| {err.tolist()} exceeds {Z_CRIT} standard errors "
          "(false-fail probability ~1e-7). Check reparameterize's standard deviation and gaussian_kl's formula.")


# Probabilists' Gauss-Hermite rule with 3 nodes: E[f(eps)] exact for polynomials of degree <= 5.
GH_NODES = (-math.sqrt(3.0), 0.0, math.sqrt(3.0))
GH_WEIGHTS = (1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0)


@st.composite
def linear_gaussian_case(draw) -> dict:
    n, d = draw(gst.dims(1, 3)), draw(gst.dims(1, 4))

    def t(shape, lo, hi):
        return draw(gst.tensors(shape, dtype=torch.float64, min_value=lo, max_value=hi))

    return {"x": t((n, d), -5, 5), "a": t((d,), -3, 3), "b": t((d,), -3, 3), "log_s2": t((d,), -2, 2),
            "mu": t((n, d), -3, 3), "logvar": t((n, d), -3, 2)}


@suite.test(
    "linear-Gaussian model: log p(x) - ELBO = KL(q || posterior) >= 0, zero at the true posterior",
    functions=("reparameterize", "gaussian_log_likelihood", "gaussian_kl"),
    points=1.5,
    inputs=linear_gaussian_case(),
    examples=[{"x": torch.tensor([[1.0, -2.0]], dtype=torch.float64),
               "a": torch.tensor([2.0, 0.5], dtype=torch.float64),
               "b": torch.tensor([0.0, 1.0], dtype=torch.float64),
               "log_s2": torch.tensor([0.0, -1.0], dtype=torch.float64),
               "mu": torch.tensor([[0.0, 0.0]], dtype=torch.float64),
               "logvar": torch.tensor([[0.0, 0.0]], dtype=torch.float64)}],
    max_examples=20,
)
def _(student, x, a, b, log_s2, mu, logvar):
    n, d = x.shape
    s2 = torch.exp(log_s2)
    v = s2 / (a ** 2 + s2)                                    # posterior variance, (d,)
    m = a * (x - b) / (a ** 2 + s2)                           # posterior mean, (n, d)
    log_px = (-0.5 * (LOG_2PI + torch.log(a ** 2 + s2) + (x - b) ** 2 / (a ** 2 + s2))).sum(dim=1)
    # rows 0..n-1: the drawn q; rows n..2n-1: the true posterior
    q_mu = torch.cat([mu, m])
    q_lv = torch.cat([logvar, torch.log(v).expand(n, d)])
    eps = torch.cat([torch.full((2 * n, d), node, dtype=x.dtype, device=x.device) for node in GH_NODES])
    z = student.reparameterize(q_mu.repeat(3, 1), q_lv.repeat(3, 1), eps)
    check(isinstance(z, torch.Tensor) and tuple(z.shape) == (6 * n, d), "reparameterize must return mu's shape")
    ll = student.gaussian_log_likelihood(x.repeat(6, 1), a * z + b, log_s2.expand(6 * n, d).clone())
    check(isinstance(ll, torch.Tensor) and tuple(ll.shape) == (6 * n,),
          f"gaussian_log_likelihood must return shape ({6 * n},), one value per row")
    kl = student.gaussian_kl(q_mu, q_lv)
    check(isinstance(kl, torch.Tensor) and tuple(kl.shape) == (2 * n,),
          f"gaussian_kl must return shape ({2 * n},), one value per row")
    ll = ll.double().reshape(3, 2 * n)
    expected_ll = sum(w * ll[i] for i, w in enumerate(GH_WEIGHTS))
    elbo = expected_ll - kl.double()
    gap_want = 0.5 * (torch.log(v) - q_lv + (torch.exp(q_lv) + (q_mu - m.repeat(2, 1)) ** 2) / v - 1).sum(dim=1)
    log_px2 = log_px.repeat(2)
    magnitude = ll.abs().sum(dim=0) + kl.double().abs() + log_px2.abs() + gap_want.abs()
    tol = 1e-12 * (1 + magnitude)
    check(bool((elbo <= log_px2 + tol).all()),
          f"ELBO {elbo[:n].tolist()} exceeds log p(x) {log_px.tolist()}: the ELBO must be a lower bound")
    check(bool(((elbo[n:] - log_px).abs() <= tol[n:]).all()),
          f"at the true posterior the ELBO {elbo[n:].tolist()} must equal log p(x) {log_px.tolist()}")
    check(bool(((log_px2 - elbo - gap_want).abs() <= tol).all()),
          f"log p(x) - ELBO = {(log_px2 - elbo)[:n].tolist()}, expected KL(q || posterior) = {gap_want[:n].tolist()}")
