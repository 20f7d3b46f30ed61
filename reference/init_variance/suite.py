"""Hidden tests for init_variance: the reference for the formulas, statistics for the draws.

Statistical checks reuse the visible suite's helpers (assignments/init_variance/stats.py and
the depth-experiment bounds of the visible suite); each test states its false-fail probability.

Rounding (SPEC §2): formulas are compared at rtol 1e-6 (orders of operations differ by ulps);
"same generator state, same result" is checked within rounding, not bit for bit (a matmul may
round differently from one call to the next); the deterministic bounds keep a slack above
float32 accumulation; no random draw is ever compared with the reference's.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.built import load_module_file
from grader.checks.compare import assert_close, assert_equal, assert_raises, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "init_variance.py")
_public = Path(__file__).resolve().parent.parent.parent / "assignments" / "init_variance"
stats = load_module_file(str(_public / "stats.py"))
visible = load_module_file(str(_public / "suite.py"))

suite = Suite("init_variance")

SCHEMES = ("xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform")
RTOL = 1e-6


@suite.test(
    "fan_in_fan_out matches the reference on linear, conv1d/2d/3d shapes (Python ints)",
    functions=("fan_in_fan_out",),
    points=1,
    inputs=st.fixed_dictionaries({"shape": st.integers(2, 5).flatmap(lambda k: gst.shapes(k, 1, 40))}),
    examples=[
        {"shape": (1, 1)},
        {"shape": (64, 3, 7, 7)},
        {"shape": (16, 8, 3, 3, 3)},
        {"shape": (5, 7, 1)},
        {"shape": (10, 20, 1, 1)},
        {"shape": (128, 512)},
        {"shape": (3, 1, 2, 9)},
    ],
    max_examples=25,
)
def _(student, shape):
    shape = tuple(shape)
    got = student.fan_in_fan_out(shape)
    check(isinstance(got, tuple), f"fan_in_fan_out{shape} returned {type(got).__name__}, expected a tuple")
    assert_equal(got, ref.fan_in_fan_out(shape), name=f"fan_in_fan_out{shape} (fan_in, fan_out)")


@st.composite
def formula_case(draw):
    return {
        "fan_in": draw(st.integers(1, 100_000)),
        "fan_out": draw(st.integers(1, 100_000)),
        "gain": draw(st.one_of(st.sampled_from([1.0, 0.5, 5.0 / 3.0]), gst.log_uniform(1e-2, 1e2))),
        "slope": draw(st.one_of(st.sampled_from([0.0, 0.01, 0.1, 1.0, 5.0]), st.floats(0.0, 10.0))),
    }


@suite.test(
    "std and bound formulas match the reference and return Python floats",
    functions=("xavier_std", "xavier_uniform_bound", "kaiming_std", "kaiming_uniform_bound"),
    points=1.5,
    inputs=formula_case(),
    examples=[
        {"fan_in": 1, "fan_out": 1, "gain": 1.0, "slope": 0.0},
        {"fan_in": 1600, "fan_out": 800, "gain": 1.0, "slope": 0.0},
        {"fan_in": 75, "fan_out": 300, "gain": 5.0 / 3.0, "slope": 0.2},
        {"fan_in": 3, "fan_out": 100_000, "gain": 0.5, "slope": 1.0},
    ],
    max_examples=30,
)
def _(student, fan_in, fan_out, gain, slope):
    calls = [
        (
            f"xavier_std({fan_in}, {fan_out}, {gain})",
            student.xavier_std(fan_in, fan_out, gain),
            ref.xavier_std(fan_in, fan_out, gain),
        ),
        (
            f"xavier_uniform_bound({fan_in}, {fan_out}, {gain})",
            student.xavier_uniform_bound(fan_in, fan_out, gain),
            ref.xavier_uniform_bound(fan_in, fan_out, gain),
        ),
        (f"kaiming_std({fan_in}, {slope})", student.kaiming_std(fan_in, slope), ref.kaiming_std(fan_in, slope)),
        (
            f"kaiming_uniform_bound({fan_in}, {slope})",
            student.kaiming_uniform_bound(fan_in, slope),
            ref.kaiming_uniform_bound(fan_in, slope),
        ),
        (f"xavier_std({fan_in}, {fan_out})", student.xavier_std(fan_in, fan_out), ref.xavier_std(fan_in, fan_out)),
        (f"kaiming_uniform_bound({fan_in})", student.kaiming_uniform_bound(fan_in), ref.kaiming_uniform_bound(fan_in)),
    ]
    for name, got, want in calls:
        check(isinstance(got, float), f"{name} returned {type(got).__name__}, expected a Python float")
        assert_close(got, want, rtol=RTOL, name=name)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to rounding (1e-6 relative, far above float32's 6e-8): the same draws, even if the
    scaling rounds differently between calls. Draws of two seeds are never all that close."""
    return (a.shape == b.shape and a.dtype == b.dtype
            and bool(torch.allclose(a.cpu().double(), b.cpu().double(), rtol=1e-6, atol=1e-30)))


def _same_moments(a: list, b: list) -> bool:
    """Equal up to float32 rounding of a (D, D) matmul and a mean (1e-5 relative). With these 8 x 16
    inputs a layer's moment has a relative spread of 12% to 50% over seeds (reference, 400 seeds),
    so two seeds agree within 1e-5 on one layer with probability below 5e-5, on all 3 below 1e-12."""
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-5, abs_tol=1e-30) for x, y in zip(a, b))


@suite.test(
    "init_weight draws from the generator: same state gives the same tensor, another seed another",
    functions=("init_weight",),
    points=1.5,
    inputs=None,
    hint="Pass generator=generator to every random call (torch.randn, torch.rand, Tensor.normal_/uniform_); "
    "the global RNG (torch.randn without a generator, torch.nn.Linear's own init) is not allowed.",
)
def _(student):
    shape = (24, 12, 3)
    for k, scheme in enumerate(SCHEMES):
        seed = 300 + 17 * k
        # Between the two equal-state calls the worker's global RNG moves (the first call and any
        # global-RNG draw in it advance it): only draws from the generator repeat exactly.
        first = student.init_weight(shape, scheme, torch.Generator().manual_seed(seed))
        again = student.init_weight(shape, scheme, torch.Generator().manual_seed(seed))
        other = student.init_weight(shape, scheme, torch.Generator().manual_seed(seed + 1))
        check(isinstance(first, torch.Tensor), f"init_weight returned {type(first).__name__}, expected a tensor")
        # A relation alone passes a constant-per-seed tensor: also the handout's shape, finite
        # values, and (uniform schemes) the bound.
        check(tuple(first.shape) == shape, f"init_weight({shape}, {scheme!r}) has shape {tuple(first.shape)}")
        check(bool(torch.isfinite(first).all()), f"init_weight({shape}, {scheme!r}) contains NaN or Inf")
        if scheme.endswith("uniform"):
            fan_in, fan_out = ref.fan_in_fan_out(shape)
            b = (ref.xavier_uniform_bound(fan_in, fan_out) if scheme.startswith("xavier")
                 else ref.kaiming_uniform_bound(fan_in))
            top = float(first.abs().max())
            check(top <= b * (1 + stats.BOUND_SLACK),
                  f"init_weight({shape}, {scheme!r}) reaches {top:.6g}, outside the bound +-{b:.6g}")
        check(
            _same(first, again),
            f"init_weight({shape}, {scheme!r}) gave different tensors for two generators with the same "
            "seed: the draws do not (only) come from the generator",
        )
        check(
            not _same(first, other),
            f"init_weight({shape}, {scheme!r}) gave the same tensor for seeds {seed} and {seed + 1}: "
            "the generator passed in is ignored",
        )


@st.composite
def dtype_case(draw):
    return {
        "shape": draw(st.integers(2, 4).flatmap(lambda k: gst.shapes(k, 1, 6))),
        "scheme": draw(st.sampled_from(SCHEMES)),
        "dtype": draw(gst.float_dtypes()),
        "seed": draw(st.integers(0, 2**20)),
    }


@suite.test(
    "init_weight honours dtype, returns exactly shape on the generator's device, uniform within the bound",
    functions=("init_weight",),
    points=1,
    inputs=dtype_case(),
    examples=[
        {"shape": (1, 1), "scheme": "kaiming_uniform", "dtype": torch.float64, "seed": 1},
        {"shape": (3, 2, 1, 1), "scheme": "xavier_normal", "dtype": torch.float64, "seed": 2},
        {"shape": (2, 5), "scheme": "xavier_uniform", "dtype": torch.float32, "seed": 3},
    ],
    max_examples=25,
)
def _(student, shape, scheme, dtype, seed, device):
    shape = tuple(shape)
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.float32 and seed % 2:
        w = student.init_weight(shape, scheme, gen)  # the default dtype
    else:
        w = student.init_weight(shape, scheme, gen, visible.dtype_arg(dtype))
    name = f"init_weight({shape}, {scheme!r}, dtype={dtype})"
    check(isinstance(w, torch.Tensor), f"{name} returned {type(w).__name__}, expected a tensor")
    check(tuple(w.shape) == shape, f"{name} has shape {tuple(w.shape)}, expected {shape}")
    check(w.dtype == dtype, f"{name} has dtype {w.dtype}, expected {dtype}")
    check(
        w.device.type == torch.device(device).type, f"{name} is on {w.device}, expected the generator's device {device}"
    )
    check(bool(torch.isfinite(w).all()), f"{name} contains NaN or Inf")
    if scheme.endswith("uniform"):
        fan_in, fan_out = ref.fan_in_fan_out(shape)
        b = (
            ref.xavier_uniform_bound(fan_in, fan_out)
            if scheme == "xavier_uniform"
            else ref.kaiming_uniform_bound(fan_in)
        )
        top = float(w.abs().max())
        check(top <= b * (1 + stats.BOUND_SLACK), f"{name} reaches {top:.6g}, outside the bound +-{b:.6g}")


@suite.test(
    "init_weight raises ValueError for an unknown scheme",
    functions=("init_weight",),
    points=0.5,
    inputs=None,
)
def _(student):
    for scheme in ("xavier", "kaiming", "he_normal", "Xavier_normal", "kaiming_normal ", "orthogonal", "normal"):
        assert_raises(ValueError, student.init_weight, (4, 3), scheme, torch.Generator().manual_seed(0))


LINEAR_SHAPE = (128, 512)  # fan_in 512, fan_out 128: Xavier's 2/(in+out) is neither 1/in nor 1/out


@suite.test(
    "init_weight statistics on a non-square Linear weight in float64",
    functions=("init_weight",),
    points=1.5,
    inputs=None,
    hint="Xavier uses both fans, 2/(fan_in+fan_out); Kaiming uses fan_in (the layout is (out, in)). "
    "4 samples x 6 one-sided checks x 2e-8: false-fail probability below 5e-7.",
)
def _(student):
    fan_in, fan_out = LINEAR_SHAPE[1], LINEAR_SHAPE[0]
    for k, scheme in enumerate(SCHEMES):
        w = student.init_weight(
            LINEAR_SHAPE, scheme, torch.Generator().manual_seed(5000 + k), visible.dtype_arg(torch.float64)
        )
        check(
            isinstance(w, torch.Tensor) and w.dtype == torch.float64,
            f"init_weight({LINEAR_SHAPE}, {scheme!r}, dtype=torch.float64) returned "
            f"{getattr(w, 'dtype', type(w).__name__)}, expected a float64 tensor",
        )
        check(tuple(w.shape) == LINEAR_SHAPE, f"init_weight({LINEAR_SHAPE}, {scheme!r}) has shape {tuple(w.shape)}")
        label = f"init_weight({LINEAR_SHAPE}, {scheme!r}, dtype=torch.float64)"
        if scheme == "xavier_normal":
            stats.check_sample(w, kind="normal", std=ref.xavier_std(fan_in, fan_out), label=label)
        elif scheme == "xavier_uniform":
            stats.check_sample(w, kind="uniform", bound=ref.xavier_uniform_bound(fan_in, fan_out), label=label)
        elif scheme == "kaiming_normal":
            stats.check_sample(w, kind="normal", std=ref.kaiming_std(fan_in), label=label)
        else:
            stats.check_sample(w, kind="uniform", bound=ref.kaiming_uniform_bound(fan_in), label=label)


@suite.test(
    "relu_second_moments: uniform schemes and float64 input",
    functions=("relu_second_moments", "init_weight"),
    points=1.5,
    inputs=None,
    hint="Same experiment with U(-b, b) weights: the variance, not the distribution, sets the moments. "
    "Keep x's dtype (float64 here) for the weights.",
)
def _(student):
    x = gst.seeded_tensor((visible.N_ROWS, visible.WIDTH), 2**31 + 99, dtype=torch.float64, scale=0.7)
    for k, scheme in enumerate(("kaiming_uniform", "xavier_uniform")):
        got = student.relu_second_moments(x, 4, scheme, torch.Generator().manual_seed(7000 + k))
        visible.check_depth_experiment(got, x, scheme, 4)


@suite.test(
    "relu_second_moments draws from the generator: same state, same moments; another seed, others",
    functions=("relu_second_moments",),
    points=1,
    inputs=None,
    hint="Every weight comes from init_weight(..., generator): no torch.nn.Linear (its weight and bias "
    "are drawn from the global RNG), no bias, no generator of your own.",
)
def _(student):
    x = gst.seeded_tensor((8, 16), 2**31 + 5, dtype=torch.float32)
    for k, scheme in enumerate(("kaiming_normal", "xavier_uniform")):
        seed = 40 + k
        first = student.relu_second_moments(x, 3, scheme, torch.Generator().manual_seed(seed))
        again = student.relu_second_moments(x, 3, scheme, torch.Generator().manual_seed(seed))
        other = student.relu_second_moments(x, 3, scheme, torch.Generator().manual_seed(seed + 1))
        name = f"relu_second_moments(x, 3, {scheme!r})"
        # A relation alone passes a constant: also 3 positive finite Python floats (the handout).
        for got in (first, again, other):
            check(isinstance(got, list) and len(got) == 3, f"{name} returned {got!r}, expected a list of 3 floats")
            check(all(isinstance(m, float) and math.isfinite(m) and m > 0 for m in got),
                  f"{name} returned {got!r}: each layer's mean squared pre-activation is a positive finite float")
        check(
            _same_moments(first, again),
            f"relu_second_moments(x, 3, {scheme!r}) gave {first} then {again} for two generators with the "
            "same seed: some randomness does not come from the generator",
        )
        check(
            not _same_moments(first, other),
            f"relu_second_moments(x, 3, {scheme!r}) gave {first} for seeds {seed} and {seed + 1}: "
            "the generator passed in is ignored",
        )


@st.composite
def small_depth_case(draw):
    n, d = draw(gst.dims(1, 5)), draw(gst.dims(1, 6))
    return {
        "x": draw(gst.tensors((n, d), dtype=gst.float_dtypes(), min_value=-3, max_value=3)),
        "depth": draw(st.integers(1, 4)),
        "scheme": draw(st.sampled_from(SCHEMES)),
        "seed": draw(st.integers(0, 2**20)),
    }


@suite.test(
    "relu_second_moments returns depth Python floats; layer 1 is the mean of (x @ W.T)^2",
    functions=("relu_second_moments",),
    points=1,
    inputs=small_depth_case(),
    examples=[
        {"x": torch.zeros(2, 3), "depth": 2, "scheme": "kaiming_normal", "seed": 0},
        {"x": torch.ones(1, 1, dtype=torch.float64), "depth": 3, "scheme": "xavier_uniform", "seed": 1},
    ],
    max_examples=20,
)
def _(student, x, depth, scheme, seed):
    got = student.relu_second_moments(x, depth, scheme, torch.Generator().manual_seed(seed))
    name = f"relu_second_moments(x of shape {tuple(x.shape)}, depth={depth}, {scheme!r})"
    check(isinstance(got, list), f"{name} returned {type(got).__name__}, expected a list")
    check(len(got) == depth, f"{name} returned {len(got)} values, expected {depth}")
    for i, m in enumerate(got):
        check(isinstance(m, float), f"{name}[{i}] is {type(m).__name__}, expected a Python float")
        check(math.isfinite(m) and m >= 0, f"{name}[{i}] = {m} is not a non-negative finite number")
    if not bool(x.any()):  # exact, not a rounding hinge: 0 * w = 0 in every order and precision
        check(all(m == 0.0 for m in got), f"{name} with x = 0: every pre-activation is 0, got {got}")
    # Deterministic bound: with uniform weights |W_ij| <= b, so |z_nj| <= b * sum_k |x_nk|. Kept
    # away from rounding: the slack 1e-4 is above float32 accumulation (D <= 6, N <= 5 terms: < 1e-5)
    # plus BOUND_SLACK twice; a wrong bound (sqrt(2) or sqrt(3) too large) exceeds it by far.
    if scheme.endswith("uniform"):
        d = x.shape[1]
        b = ref.xavier_uniform_bound(d, d) if scheme == "xavier_uniform" else ref.kaiming_uniform_bound(d)
        cap = float((b * x.double().abs().sum(1)).square().mean()) * (1 + 1e-4) + 1e-30
        check(got[0] <= cap, f"{name}: layer 1 gives {got[0]:.6g}, impossible with |W| <= {b:.6g} (at most {cap:.6g})")
