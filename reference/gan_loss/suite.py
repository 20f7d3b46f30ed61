"""Hidden tests for gan_loss: comparison with the reference, edge cases, ValueError."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "gan_loss.py")
suite = Suite("gan_loss")


def _tol(dtype: torch.dtype) -> dict:
    """rtol and atol (atol times ``scale`` where a test passes one): the comparison defaults for float32;
    for float64 1e-12 and 1e-13, since float64 means float64 (SPEC §2). Other valid formulas (softplus or
    logsigmoid forms, BCE-with-logits, xlogy or masks, entropies) agree to ~1e-15, while a float32 constant
    (``torch.tensor(math.log(4))``) or intermediate is off by ~1e-8."""
    return {"rtol": 1e-12, "atol": 1e-13} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}


def close(got, want: torch.Tensor, **kw) -> None:
    """assert_close with the dtype's tolerances of ``_tol``."""
    assert_close(got, want, **{**_tol(want.dtype), **kw})


def _tensor(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


@st.composite
def logit_pairs(draw: st.DrawFn, bound: float = 20.0) -> dict:
    dtype = draw(gst.float_dtypes())
    n, m = draw(gst.dims(1, 6)), draw(gst.dims(1, 6))
    return {
        "real_logits": draw(gst.tensors((n,), dtype=dtype, min_value=-bound, max_value=bound)),
        "fake_logits": draw(gst.tensors((m,), dtype=dtype, min_value=-bound, max_value=bound)),
    }


@st.composite
def distributions(draw: st.DrawFn, k: int, dtype: torch.dtype) -> torch.Tensor:
    weights = draw(gst.tensors((k,), elements=st.one_of(st.just(0.0), st.floats(0.01, 1.0))))
    if float(weights.sum()) == 0.0:
        weights[draw(st.integers(0, k - 1))] = 1.0
    return (weights / weights.sum()).to(dtype)


@st.composite
def distribution_pairs(draw: st.DrawFn) -> dict:
    dtype = draw(gst.float_dtypes())
    k = draw(gst.dims(1, 6))
    p = draw(distributions(k, dtype))
    if draw(st.booleans()):  # share p's zeros, so some entries have no mass at all
        q = draw(distributions(k, torch.float64)) * (p > 0).to(torch.float64)
        q = (q / q.sum()).to(dtype) if float(q.sum()) > 0 else p.clone()
    else:
        q = draw(distributions(k, dtype))
    return {"p": p, "q": q}


# ---------------------------------------------------------------- losses


@suite.test(
    "discriminator_loss matches the reference (N and M differ)",
    functions=("discriminator_loss",),
    points=1.5,
    inputs=logit_pairs(),
    examples=[
        {"real_logits": _tensor([3.0]), "fake_logits": _tensor([-1.0, 2.0, 0.0, 4.0, -5.0])},
        {"real_logits": _tensor([0.5, -0.5, 2.0, 1.0, 0.0, -3.0], torch.float32),
         "fake_logits": _tensor([1.0, -2.0], torch.float32)},
    ],
    max_examples=30,
    hint="Each term is a mean over its own batch: mean over the N real logits plus mean over "
         "the M fake logits (not one mean over N + M logits, not a sum).",
)
def _(student, real_logits, fake_logits):
    got = student.discriminator_loss(real_logits, fake_logits)
    close(got, ref.discriminator_loss(real_logits, fake_logits), name="loss")


@suite.test(
    "discriminator_loss at exactly-zero and extreme logits",
    functions=("discriminator_loss",),
    points=1,
    inputs=None,
    hint="At logits 0 the loss is 2 log 2; a confident correct D (real +1e4, fake -1e4) has loss "
         "0; a confident wrong D has loss about 2e4, finite.",
)
def _(student):
    for dtype in (torch.float64, torch.float32):
        cases = [
            (_tensor([0.0, 0.0], dtype), _tensor([0.0], dtype)),
            (_tensor([1e4], dtype), _tensor([-1e4, -1e4], dtype)),
            (_tensor([-1e4, -1e4, -1e4], dtype), _tensor([1e4], dtype)),
            (_tensor([-1e4, 1e4], dtype), _tensor([1e4, -1e4, 0.0], dtype)),
        ]
        for real, fake in cases:
            got = student.discriminator_loss(real, fake)
            close(got, ref.discriminator_loss(real, fake), scale=1e4,
                         name=f"discriminator_loss({real.tolist()}, {fake.tolist()}) [{dtype}]")


@suite.test(
    "generator_loss matches the reference for both kinds",
    functions=("generator_loss",),
    points=1.5,
    inputs=st.fixed_dictionaries({
        "fake_logits": gst.dims(1, 6).flatmap(lambda m: gst.float_dtypes().flatmap(
            lambda dt: gst.tensors((m,), dtype=dt, min_value=-8.0, max_value=8.0))),
        "kind": st.sampled_from(["non_saturating", "saturating"]),
    }),
    examples=[
        {"fake_logits": _tensor([-3.0, 0.0, 3.0]), "kind": "non_saturating"},
        {"fake_logits": _tensor([-3.0, 0.0, 3.0]), "kind": "saturating"},
        {"fake_logits": _tensor([1.5], torch.float32), "kind": "saturating"},
    ],
    max_examples=30,
    hint="Mind the signs: the lecture notes write the non-saturating loss with the wrong sign. "
         "non_saturating = -mean log σ(fake) >= 0; saturating = mean log(1 - σ(fake)) <= 0.",
)
def _(student, fake_logits, kind):
    close(student.generator_loss(fake_logits, kind), ref.generator_loss(fake_logits, kind),
                 name=f"generator_loss(kind={kind!r})")


_EXTREME = st.one_of(st.sampled_from([1e4, -1e4, 5e3, -5e3, 30.0, -30.0, 100.0, -100.0, 0.0]),
                     st.floats(-1e4, 1e4, width=32))


@suite.test(
    "generator_loss is finite and accurate for |logits| up to 1e4 (both kinds; log(1 - σ(f)) at f = 30)",
    functions=("generator_loss",),
    points=1,
    inputs=st.fixed_dictionaries({
        "fake_logits": gst.dims(1, 5).flatmap(lambda m: gst.float_dtypes().flatmap(
            lambda dt: gst.tensors((m,), dtype=dt, elements=_EXTREME))),
        "kind": st.sampled_from(["non_saturating", "saturating"]),
    }),
    examples=[
        {"fake_logits": _tensor([30.0], torch.float32), "kind": "saturating"},
        {"fake_logits": _tensor([30.0, 1e4]), "kind": "saturating"},
        {"fake_logits": _tensor([-1e4, -200.0], torch.float32), "kind": "non_saturating"},
    ],
    max_examples=25,
    hint="Every function is finite wherever its value is finite, for inputs up to 1e4 (SPEC §2): "
         "log σ(f) = -softplus(-f) and log(1 - σ(f)) = -softplus(f) (or F.logsigmoid); log(1 - sigmoid(30)) "
         "is log 0 = -inf in float32.",
)
def _(student, fake_logits, kind):
    got = student.generator_loss(fake_logits, kind)
    magnitude = max(1.0, float(fake_logits.abs().max()))
    check(isinstance(got, torch.Tensor) and bool(torch.isfinite(got).all()),
          f"generator_loss(kind={kind!r}) must be finite for |logits| up to {magnitude:g}, got {got!r}")
    close(got, ref.generator_loss(fake_logits, kind), scale=magnitude, name=f"generator_loss(kind={kind!r})")


@suite.test(
    "generator_loss uses kind='non_saturating' by default",
    functions=("generator_loss",),
    points=0.5,
    inputs=None,
    hint="The default kind is 'non_saturating'.",
)
def _(student):
    fake = _tensor([-2.0, 0.5, 1.0])
    close(student.generator_loss(fake), ref.generator_loss(fake, "non_saturating"), name="generator_loss(fake)")


@suite.test(
    "generator_loss raises ValueError for an unknown kind",
    functions=("generator_loss",),
    points=1,
    inputs=st.fixed_dictionaries({"kind": st.sampled_from(["minimax", "wasserstein", "", "nonsaturating", "hinge"])}),
    examples=[{"kind": "minimax"}, {"kind": "wasserstein"}],
    max_examples=5,
    hint="Only 'non_saturating' and 'saturating' are valid kinds; anything else raises ValueError.",
)
def _(student, kind):
    assert_raises(ValueError, student.generator_loss, _tensor([0.5, -1.0]), kind)
    # and the valid kinds still compute their values (a function that always raises earns nothing here)
    for valid in ("non_saturating", "saturating"):
        close(student.generator_loss(_tensor([0.5, -1.0]), valid), ref.generator_loss(_tensor([0.5, -1.0]), valid),
              name=f"generator_loss([0.5, -1.0], {valid!r})")


@suite.test(
    "wasserstein losses match the reference",
    functions=("wasserstein_critic_loss", "wasserstein_generator_loss"),
    points=1,
    inputs=logit_pairs(bound=10.0),
    examples=[{"real_logits": _tensor([1.0, 2.0, 3.0]), "fake_logits": _tensor([-1.0])}],
    max_examples=25,
    hint="critic loss = mean(fake) - mean(real) (the critic minimises it); generator loss = -mean(fake).",
)
def _(student, real_logits, fake_logits):
    close(student.wasserstein_critic_loss(real_logits, fake_logits),
                 ref.wasserstein_critic_loss(real_logits, fake_logits), name="critic loss")
    close(student.wasserstein_generator_loss(fake_logits),
                 ref.wasserstein_generator_loss(fake_logits), name="generator loss")


# ---------------------------------------------------------------- theory


@suite.test(
    "optimal_discriminator matches the reference, 0.5 where both are 0",
    functions=("optimal_discriminator",),
    points=1,
    inputs=distribution_pairs(),
    examples=[
        {"p": _tensor([0.0, 0.5, 0.5, 0.0]), "q": _tensor([0.0, 0.0, 0.5, 0.5])},
        {"p": _tensor([0.0, 1.0], torch.float32), "q": _tensor([0.0, 1.0], torch.float32)},
    ],
    max_examples=25,
    hint="Where p_data and p_model are both 0 the formula is 0/0; D* is 0.5 there, never NaN.",
)
def _(student, p, q):
    close(student.optimal_discriminator(p, q), ref.optimal_discriminator(p, q), name="D*")


@suite.test(
    "jensen_shannon matches the reference (natural log, zero-mass entries)",
    functions=("jensen_shannon",),
    points=1.5,
    inputs=distribution_pairs(),
    examples=[
        {"p": _tensor([0.0, 0.25, 0.75]), "q": _tensor([0.0, 0.75, 0.25])},
        {"p": _tensor([0.1, 0.2, 0.7], torch.float32), "q": _tensor([0.3, 0.3, 0.4], torch.float32)},
        {"p": _tensor([0.5, 0.5]), "q": _tensor([0.9, 0.1])},
    ],
    max_examples=30,
    hint="JS uses the mixture m = (p + q)/2 and natural logs: JS = ½ KL(p‖m) + ½ KL(q‖m).",
)
def _(student, p, q):
    close(student.jensen_shannon(p, q), ref.jensen_shannon(p, q), name="JS(p, q)")


@suite.test(
    "gan_value_at_optimum matches the reference (zero mass, equal, disjoint)",
    functions=("gan_value_at_optimum",),
    points=1.5,
    inputs=distribution_pairs(),
    examples=[
        {"p": _tensor([0.0, 0.5, 0.5]), "q": _tensor([0.0, 0.5, 0.5])},
        {"p": _tensor([0.6, 0.4, 0.0, 0.0]), "q": _tensor([0.0, 0.0, 0.3, 0.7])},
        {"p": _tensor([0.0, 0.3, 0.7], torch.float32), "q": _tensor([0.2, 0.8, 0.0], torch.float32)},
    ],
    max_examples=30,
    hint="V(G, D*) = Σ p_data log D* + Σ p_model log(1 - D*) with 0·log 0 = 0: -log 4 when the "
         "distributions are equal, 0 when their supports are disjoint.",
)
def _(student, p, q):
    close(student.gan_value_at_optimum(p, q), ref.gan_value_at_optimum(p, q), name="V(G, D*)")


@suite.test(
    "results are 0-dim tensors that keep the inputs' dtype (float32 and float64)",
    functions=("discriminator_loss", "generator_loss", "jensen_shannon", "gan_value_at_optimum",
               "wasserstein_critic_loss", "wasserstein_generator_loss"),
    points=1,
    inputs=None,
    hint="Return a 0-dim tensor (use .mean() / .sum(), not .item(), not shape (1,)) in the inputs' dtype.",
)
def _(student):
    for dtype in (torch.float32, torch.float64):
        a, b = _tensor([0.3, -1.2, 2.0], dtype), _tensor([1.0, 0.0], dtype)
        p, q = _tensor([0.25, 0.25, 0.5], dtype), _tensor([0.5, 0.5, 0.0], dtype)
        calls = {
            "discriminator_loss": (student.discriminator_loss(a, b), ref.discriminator_loss(a, b)),
            "generator_loss": (student.generator_loss(a, "saturating"), ref.generator_loss(a, "saturating")),
            "jensen_shannon": (student.jensen_shannon(p, q), ref.jensen_shannon(p, q)),
            "gan_value_at_optimum": (student.gan_value_at_optimum(p, q), ref.gan_value_at_optimum(p, q)),
            "wasserstein_critic_loss": (student.wasserstein_critic_loss(a, b), ref.wasserstein_critic_loss(a, b)),
            "wasserstein_generator_loss": (student.wasserstein_generator_loss(b), ref.wasserstein_generator_loss(b)),
        }
        for name, (got, want) in calls.items():
            check(isinstance(got, torch.Tensor), f"{name} [{dtype}]: expected a 0-dim tensor, got {type(got).__name__}")
            close(got, want, name=f"{name} [{dtype}]")
