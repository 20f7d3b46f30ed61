"""Visible tests for ``elbo``: oracles are torch.distributions and torch.logsumexp, plus invariants.

Oracles are computed in float64 and cast back to the inputs' dtype. Results that grow with
the logits (log-likelihoods at |logits| up to 1e4, log-weights up to 1e4) are compared with
``atol`` scaled by the inputs' magnitude, as SPEC §2 ("accurate to the precision of the dtype
relative to the magnitude of the inputs") says.
"""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "elbo",
    student_file="elbo.py",
    title="The VAE objective (ELBO)",
    functions=("reparameterize", "gaussian_kl", "bernoulli_log_likelihood", "gaussian_log_likelihood",
               "elbo", "vae_loss", "importance_weighted_bound"),
    # Elementwise formulas and reductions: every function is checked on the meta device.
    meta_safe=("reparameterize", "gaussian_kl", "bernoulli_log_likelihood", "gaussian_log_likelihood",
               "elbo", "vae_loss", "importance_weighted_bound"),
)

BIG_LOGITS = [1e4, -1e4, 5e3, -5e3, 800.0, -800.0, 50.0, -50.0]


# ---------------------------------------------------------------------------- strategies

def _floats(dtype, lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=32 if dtype == torch.float32 else 64)


def pixels(dtype):
    """x in [0, 1]: binary pixels and grey levels."""
    return st.one_of(st.sampled_from([0.0, 1.0]), _floats(dtype, 0.0, 1.0))


def logits_elements(dtype, big: bool):
    moderate = _floats(dtype, -10.0, 10.0)
    return st.one_of(moderate, st.sampled_from(BIG_LOGITS)) if big else moderate


@st.composite
def encoder_case(draw, lv_lo: float = -6.0, lv_hi: float = 4.0) -> dict:
    n, k = draw(gst.dims(1, 4)), draw(gst.dims(1, 5))
    dtype = draw(gst.float_dtypes())
    return {"mu": draw(gst.tensors((n, k), dtype=dtype, min_value=-5, max_value=5)),
            "logvar": draw(gst.tensors((n, k), dtype=dtype, min_value=lv_lo, max_value=lv_hi))}


@st.composite
def bernoulli_case(draw, big: bool = True) -> dict:
    n, d = draw(gst.dims(1, 4)), draw(gst.dims(1, 6))
    dtype = draw(gst.float_dtypes())
    return {"x": draw(gst.tensors((n, d), dtype=dtype, elements=pixels(dtype))),
            "logits": draw(gst.tensors((n, d), dtype=dtype, elements=logits_elements(dtype, big)))}


@st.composite
def vae_case(draw) -> dict:
    """A decoder over D pixels and an encoder over L latents (D and L drawn independently)."""
    case = draw(bernoulli_case())
    n = case["x"].shape[0]
    k = draw(gst.dims(1, 4))
    dtype = case["x"].dtype
    case["mu"] = draw(gst.tensors((n, k), dtype=dtype, min_value=-5, max_value=5))
    case["logvar"] = draw(gst.tensors((n, k), dtype=dtype, min_value=-6, max_value=4))
    return case


def _scale(logits: torch.Tensor) -> float:
    return max(1.0, float(logits.abs().max())) if logits.numel() else 1.0


def _tol(dtype) -> dict:
    """rtol and atol (atol is multiplied by ``scale``, the inputs' magnitude, where a test passes one).

    float32: rtol 1e-4, atol 5e-5 (sums over features whose terms cancel lose a few units of 1e-6).
    float64: rtol 1e-12, atol 1e-12. float64 means float64 (SPEC §2): other valid formulas (expm1 or
    exp - 1, softplus by hand, log-sum-exp by hand, torch.distributions, float64 loops) agree to ~1e-15
    relative, while a float32 constant (``torch.log(torch.tensor(2 * math.pi))``, log S computed in
    float32) or a float32 intermediate is off by ~1e-8, and torch's ``softplus`` with its default
    threshold 20 (a cut-off sized for float32) drops e^-l, up to 2e-9, for logits just above 20.
    """
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 5e-5}


# ---------------------------------------------------------------------------- oracles

def kl_oracle(mu, logvar):
    mu64, lv64 = mu.double(), logvar.double()
    q = Independent(Normal(mu64, torch.exp(0.5 * lv64), validate_args=False), 1)
    p = Independent(Normal(torch.zeros_like(mu64), torch.ones_like(mu64), validate_args=False), 1)
    return kl_divergence(q, p).to(mu.dtype)


def bernoulli_oracle(x, logits):
    dist = Independent(Bernoulli(logits=logits.double(), validate_args=False), 1)
    return dist.log_prob(x.double()).to(x.dtype)


def gaussian_ll_oracle(x, mean, logvar):
    dist = Independent(Normal(mean.double(), torch.exp(0.5 * logvar.double()), validate_args=False), 1)
    return dist.log_prob(x.double()).to(x.dtype)


def iw_oracle(log_weights):
    lw = log_weights.double()
    return (torch.logsumexp(lw, dim=0) - math.log(lw.shape[0])).to(log_weights.dtype)


# ---------------------------------------------------------------------------- tests

@st.composite
def reparam_case(draw) -> dict:
    case = draw(encoder_case())
    case["eps"] = draw(gst.tensors(tuple(case["mu"].shape), dtype=case["mu"].dtype, min_value=-3, max_value=3))
    return case


@suite.test(
    "reparameterize: z = mu + exp(logvar / 2) * eps",
    functions=("reparameterize",),
    points=1.5,
    inputs=reparam_case(),
    examples=[{"mu": torch.tensor([[0.0, 1.0, -2.0]]), "logvar": torch.tensor([[2.0, 0.0, -1.0]]),
               "eps": torch.tensor([[1.0, -1.0, 0.5]])}],
    max_examples=30,
    hint="logvar is the log of the VARIANCE: the standard deviation is exp(logvar / 2).",
)
def _(student, mu, logvar, eps):
    want = (mu.double() + torch.exp(0.5 * logvar.double()) * eps.double()).to(mu.dtype)
    assert_close(student.reparameterize(mu, logvar, eps), want, **_tol(mu.dtype), name="z")


@suite.test(
    "gaussian_kl matches torch.distributions.kl_divergence; KL >= 0, and 0 at mu = 0, logvar = 0",
    functions=("gaussian_kl",),
    points=2,
    inputs=encoder_case(),
    examples=[{"mu": torch.zeros(2, 3), "logvar": torch.zeros(2, 3)},
              {"mu": torch.zeros(1, 2, dtype=torch.float64), "logvar": torch.zeros(1, 2, dtype=torch.float64)},
              {"mu": torch.tensor([[1.0, -2.0], [0.0, 0.5]]), "logvar": torch.tensor([[0.0, 1.0], [-1.0, 3.0]])}],
    max_examples=30,
    hint="KL = 1/2 * sum over latents of (exp(logvar) + mu^2 - 1 - logvar), one value per row: shape (N,).",
)
def _(student, mu, logvar):
    got = student.gaussian_kl(mu, logvar)
    want = kl_oracle(mu, logvar)
    assert_close(got, want, **_tol(mu.dtype), name="KL")
    check(bool((got >= -1e-5).all()), f"KL must be >= 0, got min {got.min().item():.6g}")


@suite.test(
    "bernoulli_log_likelihood matches Bernoulli(logits=...).log_prob summed over pixels, for |logits| up to 1e4",
    functions=("bernoulli_log_likelihood",),
    points=2,
    inputs=bernoulli_case(),
    examples=[{"x": torch.tensor([[0.0, 1.0, 0.5, 1.0]]), "logits": torch.tensor([[1e4, -1e4, 1e4, 1e4]])},
              {"x": torch.tensor([[1.0, 0.0], [0.25, 0.75]], dtype=torch.float64),
               "logits": torch.tensor([[-1e4, 1e4], [40.0, -40.0]], dtype=torch.float64)},
              {"x": torch.tensor([[0.0, 1.0, 0.3]]), "logits": torch.tensor([[0.0, 0.0, 0.0]])}],
    max_examples=40,
    hint="Use log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l) (or "
         "torch.nn.functional.logsigmoid): log(sigmoid(l)) is -inf once sigmoid(l) rounds to 0 or 1.",
)
def _(student, x, logits):
    got = student.bernoulli_log_likelihood(x, logits)
    if isinstance(got, torch.Tensor):
        check(bool(torch.isfinite(got).all()), "bernoulli_log_likelihood returned NaN or Inf "
              f"(|logits| up to {_scale(logits):g}); use a stable form such as x*l - softplus(l)")
    assert_close(got, bernoulli_oracle(x, logits), scale=_scale(logits), **_tol(x.dtype),
                 name="log-likelihood")


@st.composite
def gaussian_ll_case(draw) -> dict:
    n, d = draw(gst.dims(1, 4)), draw(gst.dims(1, 6))
    dtype = draw(gst.float_dtypes())
    return {"x": draw(gst.tensors((n, d), dtype=dtype, min_value=-5, max_value=5)),
            "mean": draw(gst.tensors((n, d), dtype=dtype, min_value=-5, max_value=5)),
            "logvar": draw(gst.tensors((n, d), dtype=dtype, min_value=-6, max_value=6))}


@suite.test(
    "gaussian_log_likelihood matches Normal(mean, exp(logvar / 2)).log_prob summed over features",
    functions=("gaussian_log_likelihood",),
    points=1.5,
    inputs=gaussian_ll_case(),
    examples=[{"x": torch.zeros(1, 2), "mean": torch.zeros(1, 2), "logvar": torch.zeros(1, 2)},
              {"x": torch.tensor([[1.0, 2.0]], dtype=torch.float64),
               "mean": torch.tensor([[0.0, 2.5]], dtype=torch.float64),
               "logvar": torch.tensor([[2.0, -1.0]], dtype=torch.float64)}],
    max_examples=30,
    hint="log N(x; m, s^2) = -1/2 (log(2 pi) + logvar + (x - m)^2 / exp(logvar)), summed over features.",
)
def _(student, x, mean, logvar):
    assert_close(student.gaussian_log_likelihood(x, mean, logvar), gaussian_ll_oracle(x, mean, logvar),
                 **_tol(x.dtype), name="log-likelihood")


@suite.test(
    "elbo = Bernoulli log-likelihood - KL per sample (shape (N,)); vae_loss = -mean(elbo), a 0-dim tensor",
    functions=("elbo", "vae_loss"),
    points=2,
    inputs=vae_case(),
    examples=[{"x": torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]]),
               "logits": torch.tensor([[-2.0, 3.0, 0.0], [1e4, 0.0, -1e4]]),
               "mu": torch.tensor([[0.5, -1.0], [0.0, 0.0]]), "logvar": torch.tensor([[0.0, 1.0], [0.0, 0.0]])}],
    max_examples=30,
    hint="elbo is a lower bound on log p(x): reconstruction log-likelihood MINUS the KL, summed over "
         "pixels and latents; the loss averages -elbo over the batch only.",
)
def _(student, x, logits, mu, logvar):
    want = (bernoulli_oracle(x.double(), logits.double()) - kl_oracle(mu.double(), logvar.double())).to(x.dtype)
    scale = _scale(logits)
    assert_close(student.elbo(x, logits, mu, logvar), want, scale=scale, **_tol(x.dtype), name="elbo")
    assert_close(student.vae_loss(x, logits, mu, logvar), -want.double().mean().to(x.dtype), scale=scale,
                 **_tol(x.dtype), name="vae_loss")


@st.composite
def log_weight_case(draw) -> dict:
    s, n = draw(gst.dims(1, 6)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    lw = draw(gst.tensors((s, n), dtype=dtype, min_value=-20, max_value=20))
    offset = draw(st.sampled_from([0.0, 0.0, 1e3, -1e3, 1e4, -1e4]))
    return {"log_weights": lw + offset}


@suite.test(
    "importance_weighted_bound = logsumexp over S - log S, stable for log-weights up to 1e4",
    functions=("importance_weighted_bound",),
    points=1.5,
    inputs=log_weight_case(),
    examples=[{"log_weights": torch.tensor([[1e4, -1e4], [1e4 - 1.0, -1e4 + 2.0], [1e4 - 2.0, -1e4]])},
              {"log_weights": torch.tensor([[3.0, -1.0]], dtype=torch.float64)},
              {"log_weights": torch.full((4, 2), -800.0, dtype=torch.float64)}],
    max_examples=30,
    hint="Subtract the max over the S samples before exponentiating (or use torch.logsumexp), "
         "then subtract log S: the bound averages the weights, it does not sum them.",
)
def _(student, log_weights):
    got = student.importance_weighted_bound(log_weights)
    if isinstance(got, torch.Tensor):
        check(bool(torch.isfinite(got).all()), "importance_weighted_bound returned NaN or Inf for log-weights "
              f"of magnitude {_scale(log_weights):g}: exp overflows; shift by the max first")
    assert_close(got, iw_oracle(log_weights), scale=_scale(log_weights), **_tol(log_weights.dtype), name="bound")
