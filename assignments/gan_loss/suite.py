"""Visible tests for gan_loss: torch's BCE-with-logits forms, invariants, finite differences."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "gan_loss",
    student_file="gan_loss.py",
    title="GAN losses and the optimal discriminator",
    functions=(
        "discriminator_loss",
        "generator_loss",
        "optimal_discriminator",
        "jensen_shannon",
        "gan_value_at_optimum",
        "wasserstein_critic_loss",
        "wasserstein_generator_loss",
    ),
    # Means, logs and torch.where over (K,) or (N,): every function is checked on the meta
    # device (a 0 log 0 handled by masking, x[p > 0], has a data-dependent shape: no verdict).
    meta_safe=(
        "discriminator_loss",
        "generator_loss",
        "optimal_discriminator",
        "jensen_shannon",
        "gan_value_at_optimum",
        "wasserstein_critic_loss",
        "wasserstein_generator_loss",
    ),
)

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)


def _tol(dtype: torch.dtype) -> dict:
    """rtol and atol (atol times ``scale`` where a test passes one): the comparison defaults for float32;
    for float64 1e-12 and 1e-13, since float64 means float64 (SPEC §2). Other valid formulas (softplus or
    logsigmoid forms, BCE-with-logits, xlogy or masks, entropies) agree to ~1e-15, while a float32 constant
    (``torch.tensor(math.log(4))``) or intermediate is off by ~1e-8."""
    return {"rtol": 1e-12, "atol": 1e-13} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}


def close(got, want: torch.Tensor, **kw) -> None:
    """assert_close with the dtype's tolerances of ``_tol``."""
    assert_close(got, want, **{**_tol(want.dtype), **kw})


# ---------------------------------------------------------------- strategies


@st.composite
def logit_pairs(draw: st.DrawFn, bound: float = 10.0) -> dict:
    """real (N,) and fake (M,) logits of one dtype; N and M drawn independently."""
    dtype = draw(gst.float_dtypes())
    n, m = draw(gst.dims(1, 6)), draw(gst.dims(1, 6))
    return {
        "real_logits": draw(gst.tensors((n,), dtype=dtype, min_value=-bound, max_value=bound)),
        "fake_logits": draw(gst.tensors((m,), dtype=dtype, min_value=-bound, max_value=bound)),
    }


_HUGE = st.one_of(st.sampled_from([1e4, -1e4, 5e3, -5e3, 0.0]), st.floats(-1e4, 1e4, width=32))


@st.composite
def huge_logit_pairs(draw: st.DrawFn) -> dict:
    dtype = draw(gst.float_dtypes())
    n, m = draw(gst.dims(1, 5)), draw(gst.dims(1, 5))
    return {
        "real_logits": draw(gst.tensors((n,), dtype=dtype, elements=_HUGE)),
        "fake_logits": draw(gst.tensors((m,), dtype=dtype, elements=_HUGE)),
    }


@st.composite
def generator_cases(draw: st.DrawFn) -> dict:
    # moderate logits: the generator loss is graded for its formula, not its overflow behaviour
    dtype = draw(gst.float_dtypes())
    bound = 8.0 if dtype == torch.float32 else 15.0
    m = draw(gst.dims(1, 6))
    return {
        "fake_logits": draw(gst.tensors((m,), dtype=dtype, min_value=-bound, max_value=bound)),
        "kind": draw(st.sampled_from(["non_saturating", "saturating"])),
    }


@st.composite
def distributions(draw: st.DrawFn, k: int, dtype: torch.dtype) -> torch.Tensor:
    """A (k,) probability vector, often with exact zeros; built in float64, cast once."""
    weights = draw(gst.tensors((k,), elements=st.one_of(st.just(0.0), st.floats(0.01, 1.0))))
    if float(weights.sum()) == 0.0:
        weights[draw(st.integers(0, k - 1))] = 1.0
    return (weights / weights.sum()).to(dtype)


@st.composite
def distribution_pairs(draw: st.DrawFn) -> dict:
    """p and q of one length: unrelated, equal, or with disjoint supports."""
    dtype = draw(gst.float_dtypes())
    k = draw(gst.dims(1, 6))
    relation = draw(st.sampled_from(["any", "equal", "disjoint"]))
    p = draw(distributions(k, dtype))
    if relation == "equal":
        q = p.clone()
    elif relation == "disjoint" and bool((p == 0).any()):
        q = draw(distributions(k, torch.float64)) * (p == 0).to(torch.float64)
        if float(q.sum()) == 0.0:
            q[int((p == 0).nonzero()[0])] = 1.0
        q = (q / q.sum()).to(dtype)
    else:
        q = draw(distributions(k, dtype))
    return {"p": p, "q": q}


def _js_oracle(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """JS in float64 from torch.xlogy (0·log 0 = 0), cast to the inputs' dtype."""
    p64, q64 = p.double(), q.double()
    m = 0.5 * (p64 + q64)

    def kl(a: torch.Tensor) -> torch.Tensor:
        return (torch.xlogy(a, a) - torch.xlogy(a, m)).sum()

    return (0.5 * kl(p64) + 0.5 * kl(q64)).to(p.dtype)


def _tensor(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


# ---------------------------------------------------------------- tests


@suite.test(
    "discriminator_loss matches its BCE-with-logits form",
    functions=("discriminator_loss",),
    points=2,
    inputs=logit_pairs(),
    examples=[
        {"real_logits": _tensor([0.0]), "fake_logits": _tensor([0.0])},
        {"real_logits": _tensor([1.0, -2.0]), "fake_logits": _tensor([0.5, 3.0, -1.0, 0.0])},
        {"real_logits": _tensor([2.0, 0.0, -1.0], torch.float32), "fake_logits": _tensor([-3.0], torch.float32)},
    ],
    max_examples=30,
    hint="Loss = BCE(real, label 1) + BCE(fake, label 0), each a mean over its own batch "
         "(N and M may differ). It is a 0-dim tensor in the logits' dtype.",
)
def _(student, real_logits, fake_logits):
    want = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    close(student.discriminator_loss(real_logits, fake_logits), want, name="loss")


@suite.test(
    "discriminator_loss is finite and accurate for |logits| up to 1e4",
    functions=("discriminator_loss",),
    points=2,
    inputs=huge_logit_pairs(),
    examples=[
        {"real_logits": _tensor([-1e4]), "fake_logits": _tensor([1e4])},
        {"real_logits": _tensor([1e4, -1e4], torch.float32), "fake_logits": _tensor([-1e4, 1e4], torch.float32)},
        {"real_logits": _tensor([1e4]), "fake_logits": _tensor([-1e4, 0.0])},
    ],
    max_examples=25,
    hint="log(sigmoid(x)) is -inf once sigmoid underflows; use -log σ(x) = softplus(-x) and "
         "-log(1 - σ(x)) = softplus(x) (or torch.nn.functional.logsigmoid).",
)
def _(student, real_logits, fake_logits):
    want = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    magnitude = max(1.0, float(real_logits.abs().max()), float(fake_logits.abs().max()))
    close(student.discriminator_loss(real_logits, fake_logits), want, scale=magnitude, name="loss")


@suite.test(
    "generator_loss matches its BCE-with-logits forms (both kinds)",
    functions=("generator_loss",),
    points=2,
    inputs=generator_cases(),
    examples=[
        {"fake_logits": _tensor([0.0]), "kind": "non_saturating"},
        {"fake_logits": _tensor([0.0]), "kind": "saturating"},
        {"fake_logits": _tensor([2.0, -1.0, 0.5]), "kind": "non_saturating"},
        {"fake_logits": _tensor([2.0, -1.0, 0.5], torch.float32), "kind": "saturating"},
    ],
    max_examples=30,
    hint="non_saturating = -mean log σ(fake) = BCE(fake, label 1), a positive number; "
         "saturating = +mean log(1 - σ(fake)) = -BCE(fake, label 0), a negative number.",
)
def _(student, fake_logits, kind):
    if kind == "non_saturating":
        want = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    else:
        want = -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    close(student.generator_loss(fake_logits, kind), want, name=f"generator_loss(kind={kind!r})")


@st.composite
def confident_fake_cases(draw: st.DrawFn) -> dict:
    m = draw(gst.dims(1, 5))
    logits = draw(gst.tensors((m,), min_value=-30.0, max_value=-15.0))
    return {"fake_logits": logits, "index": draw(st.integers(0, m - 1))}


_STEP = 1e-3


@suite.test(
    "generator_loss: the saturating gradient vanishes as D(G(z)) -> 0, the non-saturating one does not",
    functions=("generator_loss",),
    points=2,
    inputs=confident_fake_cases(),
    examples=[
        {"fake_logits": _tensor([-20.0]), "index": 0},
        {"fake_logits": _tensor([-20.0, -25.0, -15.0, -30.0]), "index": 2},
    ],
    max_examples=20,
    hint="Checked by central finite differences (step 1e-3, float64) at very negative fake "
         "logits (D is sure the samples are fake). d/dl_i of mean log(1 - σ(l)) is -σ(l_i)/M, "
         "tiny; d/dl_i of -mean log σ(l) is -(1 - σ(l_i))/M, about -1/M.",
)
def _(student, fake_logits, index):
    m = fake_logits.numel()
    up, down = fake_logits.clone(), fake_logits.clone()
    up[index] += _STEP
    down[index] -= _STEP
    slopes = {}
    for kind in ("saturating", "non_saturating"):
        hi, lo = student.generator_loss(up, kind), student.generator_loss(down, kind)
        check(isinstance(hi, torch.Tensor) and hi.dim() == 0 and isinstance(lo, torch.Tensor) and lo.dim() == 0,
              f"generator_loss(kind={kind!r}) must return a 0-dim tensor")
        slopes[kind] = (float(hi) - float(lo)) / (2 * _STEP)
    l_i = float(fake_logits[index])
    sigma = 1.0 / (1.0 + math.exp(-l_i))
    check(abs(slopes["saturating"]) <= 1e-6,
          f"saturating loss: d loss / d fake_logits[{index}] = {slopes['saturating']:.3e} at logit {l_i:g} "
          f"(M={m}); expected -σ(l)/M = {-sigma / m:.3e}, which vanishes")
    want = -(1.0 - sigma) / m
    check(abs(slopes["non_saturating"] - want) <= 1e-4 * abs(want),
          f"non-saturating loss: d loss / d fake_logits[{index}] = {slopes['non_saturating']:.6g} at logit "
          f"{l_i:g} (M={m}); expected -(1 - σ(l))/M = {want:.6g}, which does not vanish")


@suite.test(
    "jensen_shannon: matches its definition, symmetric, in [0, log 2], 0 iff equal, log 2 when disjoint",
    functions=("jensen_shannon",),
    points=2,
    inputs=distribution_pairs(),
    examples=[
        {"p": _tensor([1.0, 0.0]), "q": _tensor([0.0, 1.0])},
        {"p": _tensor([0.5, 0.5, 0.0]), "q": _tensor([0.5, 0.5, 0.0])},
        {"p": _tensor([0.25, 0.75, 0.0], torch.float32), "q": _tensor([0.5, 0.0, 0.5], torch.float32)},
        {"p": _tensor([1.0]), "q": _tensor([1.0])},
    ],
    max_examples=30,
    hint="Natural log; m = (p + q)/2; entries with zero mass contribute 0 (use torch.xlogy or "
         "torch.where, never 0 * log 0).",
)
def _(student, p, q):
    rtol, atol = _tol(p.dtype)["rtol"], _tol(p.dtype)["atol"]
    got = student.jensen_shannon(p, q)
    close(got, _js_oracle(p, q), name="JS(p, q)")
    value = float(got)
    check(-atol <= value <= LOG2 * (1 + rtol) + atol, f"JS(p, q) = {value!r} is outside [0, log 2]")
    close(student.jensen_shannon(q, p), got, name="JS(q, p) (must equal JS(p, q))")
    if torch.equal(p, q):
        check(abs(value) <= atol, f"JS(p, p) = {value!r}, expected 0")
    if not bool(((p > 0) & (q > 0)).any()):
        check(abs(value - LOG2) <= atol + rtol * LOG2,
              f"p and q have disjoint supports: JS = {value!r}, expected log 2 = {LOG2!r}")


@st.composite
def optimum_cases(draw: st.DrawFn) -> dict:
    pair = draw(distribution_pairs())
    return {"p_data": pair["p"], "p_model": pair["q"]}


@suite.test(
    "optimal_discriminator and gan_value_at_optimum: D* = p_data/(p_data + p_model), V = 2 JS - log 4",
    functions=("optimal_discriminator", "gan_value_at_optimum"),
    points=2,
    inputs=optimum_cases(),
    examples=[
        {"p_data": _tensor([0.5, 0.5, 0.0]), "p_model": _tensor([0.0, 0.5, 0.5])},
        {"p_data": _tensor([1.0, 0.0]), "p_model": _tensor([0.0, 1.0])},
        {"p_data": _tensor([0.2, 0.8, 0.0], torch.float32), "p_model": _tensor([0.2, 0.8, 0.0], torch.float32)},
    ],
    max_examples=30,
    hint="D* is 0.5 where p_data and p_model are both 0. V(G, D*) = Σ p_data log D* + "
         "Σ p_model log(1 - D*), where a term with zero mass contributes 0; it equals 2·JS - log 4 "
         "(so -log 4 when p_model = p_data and 0 when the supports are disjoint).",
)
def _(student, p_data, p_model):
    total = p_data + p_model
    want_d = torch.where(total == 0, torch.full_like(total, 0.5), p_data / torch.where(total == 0, 1.0, total))
    close(student.optimal_discriminator(p_data, p_model), want_d, name="D*")
    want_v = (2.0 * _js_oracle(p_data, p_model).double() - LOG4).to(p_data.dtype)
    close(student.gan_value_at_optimum(p_data, p_model), want_v, name="V(G, D*)")
