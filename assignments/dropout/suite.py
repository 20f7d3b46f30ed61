"""Visible tests for ``dropout``: the oracle is x * mask / (1 - p) in float64 with the
submission's own mask, whose law is checked statistically; eval is the identity. The hidden
suite reuses these cases, oracles and bands.

No test compares random draws with anyone's: a mask is judged by its law (keep rate,
independence, E[out] = x) and its relations (same generator state, same mask; dropout and
dropout_backward use it). Each band fails a correct draw with probability at most
init_variance's P_CHECK (2e-8, from a tail bound); each test states its total. Seeds are
explicit. Rounding (SPEC §2): default tolerances, far above x / (1 - p) vs x * (1 / (1 - p));
bands are percent-wide, so float32 rounding moves no verdict; masks are compared exactly.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.built import load_module_file
from grader.checks.compare import assert_close, assert_raises, check, tolerances
from grader.spec import Suite

stats = load_module_file(str(Path(__file__).resolve().parent.parent / "init_variance" / "stats.py"))
L_BAND = math.log(2.0 / stats.P_CHECK)  # a two-sided band of exponent L fails w.p. <= P_CHECK

# dropout_mask and dropout take a torch.Generator (no meta device); dropout_backward does not.
suite = Suite(
    "dropout",
    student_file="dropout.py",
    title="Inverted dropout: the mask from a generator, train and eval forward, backward",
    functions=("dropout_mask", "dropout", "dropout_backward"),
    meta_safe=("dropout_backward",),
    forbidden_calls=("torch.nn.functional.dropout", "torch.dropout", "torch.nn.Dropout", "torch.native_dropout"),
)
F64 = torch.float64


# ---------------------------------------------------------------------------- cases

def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def seeded_x(shape, seed: int, dtype=F64, device="cpu") -> torch.Tensor:
    return gst.seeded_tensor(shape, seed, dtype=dtype).to(device)


@st.composite
def dropout_case(draw, ndims=(1, 2, 3), ps=(0.1, 0.3, 0.75), p_range=(0.05, 0.95)) -> dict:
    shape = draw(st.sampled_from(ndims).flatmap(lambda k: gst.shapes(k, 1, 6)))
    return {"x": draw(gst.dtype_tensors(shape, dtype=gst.float_dtypes())),
            "p": draw(st.one_of(st.sampled_from(ps), st.floats(*p_range))), "seed": draw(st.integers(0, 2**31 - 1))}


# ---------------------------------------------------------------------------- oracles and bands

def masked_scale(values: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """values * mask / (1 - p) in float64, cast back; zeros for p = 1."""
    return (values.to(F64) * mask.to(F64) * (0.0 if p == 1.0 else 1.0 / (1.0 - p))).to(values.dtype)


def checked_mask(mask, shape, device, name: str = "dropout_mask") -> torch.Tensor:
    check(isinstance(mask, torch.Tensor), f"{name} returned {type(mask).__name__}, expected a bool tensor")
    check(mask.dtype == torch.bool, f"{name} has dtype {mask.dtype}, expected torch.bool (True = kept)")
    check(tuple(mask.shape) == tuple(shape), f"{name} has shape {tuple(mask.shape)}, expected {tuple(shape)}")
    check(mask.device.type == torch.device(device).type, f"{name} is on {mask.device}, expected {device}")
    return mask


def check_fraction(hits: int, n: int, prob: float, what: str) -> None:
    """Bernstein: |mean of n iid Bernoulli(prob) - prob| >= e w.p. <= P_CHECK, e solving
    n e^2 = L_BAND (2 prob (1 - prob) + 2 e / 3)."""
    a = L_BAND / (3 * n)
    e = a + math.sqrt(a * a + 2 * L_BAND * prob * (1 - prob) / n)
    check(abs(hits / n - prob) <= e, f"{what}: {hits / n:.4f} of {n}, expected {prob:.4f} +- {e:.4f} "
          f"(false-fail probability {stats.P_CHECK:g})")


def check_keep_rate(mask: torch.Tensor, p: float, label: str) -> None:
    check_fraction(int(mask.sum()), mask.numel(), 1.0 - p, f"{label}: kept fraction (1 - p = {1 - p:g})")


def check_values(out, x: torch.Tensor, p: float, label: str) -> None:
    """A tensor of x's shape and dtype whose every element is 0 (dropped) or x / (1 - p) (kept)."""
    shown = f"{tuple(out.shape)} {out.dtype}" if isinstance(out, torch.Tensor) else type(out).__name__
    check(shown == f"{tuple(x.shape)} {x.dtype}", f"{label} returned {shown}, expected {tuple(x.shape)} {x.dtype}")
    got, want = out.detach().to("cpu", F64), x.detach().to("cpu", F64) / (1.0 - p)
    rtol, atol = tolerances(x.dtype)
    bad = ~((got == 0) | ((got - want).abs() <= atol + rtol * want.abs()))
    i = int(bad.flatten().nonzero()[0]) if bool(bad.any()) else 0
    check(not bool(bad.any()), f"{label}: {int(bad.sum())} of {bad.numel()} elements are neither 0 nor x / (1 - p), "
          f"e.g. x = {float(x.flatten()[i]):.6g}, out = {float(got.flatten()[i]):.6g}")


def check_expectation(x: torch.Tensor, out: torch.Tensor, p: float, label: str) -> None:
    """Hoeffding on S = sum sign(x) (out - x): independent terms of mean 0 when E[out] = x, each in
    an interval of width |x| / (1 - p), so |S| <= sqrt(L sum x^2 / 2) / (1 - p) w.p. >= 1 - P_CHECK."""
    xd, od = x.detach().to("cpu", F64), out.detach().to("cpu", F64)
    s, total = float((torch.sign(xd) * (od - xd)).sum()), float(xd.abs().sum())
    e = math.sqrt(L_BAND * float(xd.square().sum()) / 2) / (1.0 - p)
    check(abs(s) <= e, f"{label}: sum(sign(x) out) / sum(|x|) = {1 + s / total:.4f}, expected 1 +- {e / total:.4f} "
          f"(E[out] = x; false-fail probability {stats.P_CHECK:g}); without the scaling it is 1 - p = {1 - p:g}")


# ---------------------------------------------------------------------------- tests

KEEP_CASES = ((0.1, (100, 500)), (0.3, (50, 20, 50)), (0.5, (250, 200)), (0.8, (500, 100)))


@suite.test("dropout_mask: a bool tensor of the shape, each element kept with probability 1 - p",
            functions=("dropout_mask",), points=2, inputs=None,
            hint="p is the DROP probability: keep where torch.rand(shape, generator=generator, device=generator."
                 "device) >= p (or bernoulli of 1 - p), not torch.randn. 4 bands x 2e-8: false-fail below 1e-7.")
def _(student, device):
    for k, (p, shape) in enumerate(KEEP_CASES):
        label = f"dropout_mask({shape}, p={p})"
        check_keep_rate(checked_mask(student.dropout_mask(shape, p, gen(100 + k)), shape, device, label), p, label)


@suite.test("dropout in training: x * mask / (1 - p), with the mask dropout_mask draws from the same generator state",
            functions=("dropout_mask", "dropout"), points=2, inputs=dropout_case(), max_examples=30,
            examples=[{"x": seeded_x((4, 5), 1), "p": 0.3, "seed": 7}, {"x": seeded_x((2, 3, 4), 3), "p": 0.9,
                      "seed": 9}, {"x": seeded_x((3, 6), 2, torch.float32), "p": 0.25, "seed": 8}],
            hint="Scale at TRAINING time: x * mask / (1 - p) (not x * mask, not / p), dropped elements exactly 0; "
                 "the mask is dropout_mask(x.shape, p, generator), no other draw; x is not modified in place; "
                 "no float32 scale in a float64 call.")
def _(student, x, p, seed, device):
    mask = checked_mask(student.dropout_mask(tuple(x.shape), p, gen(seed)), x.shape, device)
    assert_close(student.dropout(x, p, True, gen(seed)), masked_scale(x, mask, p),
                 name=f"dropout(x, p={p}, training=True) vs x * dropout_mask(x.shape, p) / (1 - p)")


@suite.test("dropout preserves the expectation: E[out] = x (kept elements scaled by 1 / (1 - p))",
            functions=("dropout",), points=1.5, inputs=None,
            hint="Each element is 0 or x / (1 - p), kept w.p. 1 - p, so E[out] = x. 3 bands x 2e-8: false-fail "
                 "below 1e-7.")
def _(student, device):
    for k, (p, dtype) in enumerate(((0.2, torch.float32), (0.6, F64), (0.9, torch.float32))):
        x = seeded_x((100, 500), 10_000 + k, dtype, device)
        out = student.dropout(x, p, True, gen(200 + k))
        label = f"dropout(x of shape (100, 500), p={p}, training=True) in {dtype}"
        check_values(out, x, p, label)
        check_expectation(x, out, p, label)


@suite.test("dropout in eval mode returns x unchanged (any p, generator or None) and still rejects p outside [0, 1]",
            functions=("dropout",), points=1, inputs=dropout_case(), max_examples=20,
            examples=[{"x": seeded_x((4, 5), 4), "p": 0.5, "seed": 10}],
            hint="Eval mode neither drops nor scales (not x * (1 - p)). Check p first, in both modes.")
def _(student, x, p, seed, device):
    for q in (p, 0.0, 1.0):
        assert_close(student.dropout(x, q, False, gen(seed)), x, name=f"dropout(x, p={q}, training=False)")
    assert_close(student.dropout(x, p, False, None), x, name=f"dropout(x, p={p}, training=False, generator=None)")
    assert_raises(ValueError, student.dropout, x, 1.5, False, None)


@suite.test("dropout_backward: grad_out * mask / (1 - p), the same map as the forward with that mask",
            functions=("dropout_backward", "dropout_mask", "dropout"), points=1.5, max_examples=30,
            inputs=dropout_case().map(lambda c: {"grad_out": c["x"], "p": c["p"], "seed": c["seed"]}),
            examples=[{"grad_out": seeded_x((5, 4), 6), "p": 0.3, "seed": 12},
                      {"grad_out": seeded_x((3, 2, 2), 7, torch.float32), "p": 0.8, "seed": 13}],
            hint="dL/dx = grad_out * mask / (1 - p) with the forward's mask (never a new draw), same 1 / (1 - p).")
def _(student, grad_out, p, seed, device):
    mask = (torch.rand(grad_out.shape, generator=gen(seed)) >= p).to(device)  # any bool mask
    assert_close(student.dropout_backward(grad_out, mask, p), masked_scale(grad_out, mask, p),
                 name=f"dropout_backward(grad_out, mask, p={p})")
    own = checked_mask(student.dropout_mask(tuple(grad_out.shape), p, gen(seed + 1)), grad_out.shape, device)
    assert_close(student.dropout_backward(grad_out, own, p), student.dropout(grad_out, p, True, gen(seed + 1)),
                 name=f"dropout_backward(g, dropout_mask(...), p={p}) vs dropout(g, p={p}) from the same state")


@suite.test("p = 0 keeps every element (out = x), p = 1 drops every element (zeros, never NaN)",
            functions=("dropout_mask", "dropout", "dropout_backward"), points=1, inputs=None,
            hint="With p = 1, x * mask / (1 - p) is 0 / 0 = NaN: return zeros (as torch does), in the backward too.")
def _(student, device):
    shape = (40, 50)
    for k, dtype in enumerate((torch.float32, F64)):
        x = seeded_x(shape, 300 + k, dtype, device)
        keep = checked_mask(student.dropout_mask(shape, 0.0, gen(310 + k)), shape, device, "dropout_mask(p=0)")
        # one draw of exactly 0.0 (2^-24 per float32 element) dropped by `rand > p` is accepted:
        # such a mask fails with probability below C(2000, 2) 2^-48 = 7e-9
        check(int((~keep).sum()) <= 1, f"dropout_mask(p=0) dropped {int((~keep).sum())} of 2000 elements")
        assert_close(student.dropout(x, 0.0, True, gen(310 + k)), masked_scale(x, keep, 0.0), name="dropout(p=0)")
        assert_close(student.dropout_backward(x, keep, 0.0), masked_scale(x, keep, 0.0), name="dropout_backward(p=0)")
        none = checked_mask(student.dropout_mask(shape, 1.0, gen(320 + k)), shape, device, "dropout_mask(p=1)")
        check(not bool(none.any()), f"dropout_mask(p=1) kept {int(none.sum())} elements, expected none")
        assert_close(student.dropout(x, 1.0, True, gen(320 + k)), torch.zeros_like(x), name="dropout(p=1): zeros")
        assert_close(student.dropout_backward(x, none, 1.0), torch.zeros_like(x), name="dropout_backward(p=1): zeros")


@suite.test("same generator state gives the same mask and output, another seed another mask (no global RNG)",
            functions=("dropout_mask", "dropout"), points=1.5, inputs=None,
            hint="Pass generator=generator (and device=generator.device) to every random call; torch.rand without "
                 "a generator and torch.nn.functional.dropout use the global RNG; no generator of your own.")
def _(student, device):
    shape = (64, 64)
    x = seeded_x(shape, 400, F64, device)
    for k, p in enumerate((0.5, 0.2)):
        # The worker's global RNG moves between the equal-state calls (each draw from it advances
        # it): only draws from the generator repeat. Two seeds' masks agree w.p. <= 0.68^4096.
        first, again, other = (checked_mask(student.dropout_mask(shape, p, gen(s)), shape, device)
                               for s in (410 + k, 410 + k, 510 + k))
        check(torch.equal(first, again), f"dropout_mask({shape}, p={p}) gave two masks for two generators in the "
              "same state: some randomness does not come from the generator")
        check(not torch.equal(first, other), f"dropout_mask({shape}, p={p}) gave one mask for seeds {410 + k} and "
              f"{510 + k}: the generator passed in is ignored")
        for _ in range(2):
            assert_close(student.dropout(x, p, True, gen(410 + k)), masked_scale(x, first, p),
                         name=f"dropout(x, p={p}) from the state that gave the mask")


@suite.test("ValueError for p outside [0, 1]", functions=("dropout_mask", "dropout"), points=0.5, inputs=None)
def _(student, device):
    x = seeded_x((3, 4), 500, F64, device)
    for p in (-0.1, 1.5, -1.0, 2.0):
        assert_raises(ValueError, student.dropout_mask, (3, 4), p, gen(0))
        assert_raises(ValueError, student.dropout, x, p, True, gen(0))
