"""Visible tests for init_variance: oracles are torch.nn.init's conventions and statistics.

The random functions are graded statistically (see stats.py next to this file for every
bound and its false-fail probability); no test compares random draws with anyone's draws.

Rounding (SPEC §2): no verdict here sits on a rounding boundary. Formulas are compared at
rtol 1e-6, far above the ulps by which valid orders of operations differ; the statistical
bands are percent-wide, so float32 vs float64 accumulation (1e-7) cannot move a verdict
except on a draw already within 1e-7 of a band's edge, which the stated false-fail
probabilities cover; the uniform bound keeps BOUND_SLACK for a bound rounded to float32.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.built import load_module_file
from grader.checks.compare import assert_close, assert_equal, assert_raises, check
from grader.spec import Suite

stats = load_module_file(str(Path(__file__).resolve().parent / "stats.py"))

# No function is meta-safe (grader.checks.device): the std/bound functions take ints, and
# init_weight and relu_second_moments draw with a torch.Generator, which has no meta device.
suite = Suite(
    "init_variance",
    student_file="init_variance.py",
    title="Initialisation variance: Xavier/Glorot and Kaiming/He",
    functions=(
        "fan_in_fan_out",
        "xavier_std",
        "xavier_uniform_bound",
        "kaiming_std",
        "kaiming_uniform_bound",
        "init_weight",
        "relu_second_moments",
    ),
)

SCHEMES = ("xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform")
RTOL = 1e-6  # plain float formulas: any correct order of operations is within a few ulps


def dtype_arg(dtype: torch.dtype):
    """``dtype`` as an argument for a student call (rebuilt in the worker by dtypes.py)."""
    return gst.built(__file__, "dtypes.py", "torch_dtype", name=str(dtype).removeprefix("torch."))


def torch_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def scheme_law(scheme: str, shape: tuple[int, ...]) -> tuple[str, float]:
    """("normal", std) or ("uniform", bound) as torch.nn.init would use for ``shape``."""
    fan_in, fan_out = torch_fans(shape)
    if scheme.startswith("xavier"):
        std = math.sqrt(2.0 / (fan_in + fan_out))  # torch.nn.init.xavier_*_ with gain 1
    else:
        std = torch.nn.init.calculate_gain("relu") / math.sqrt(fan_in)  # kaiming_*_(a=0, mode="fan_in")
    if scheme.endswith("normal"):
        return "normal", std
    return "uniform", math.sqrt(3.0) * std


@suite.test(
    "fan_in_fan_out matches torch.nn.init",
    functions=("fan_in_fan_out",),
    points=1,
    inputs=st.fixed_dictionaries({"shape": st.integers(2, 5).flatmap(lambda k: gst.shapes(k, 1, 7))}),
    examples=[{"shape": (3, 5)}, {"shape": (16, 8, 3, 3)}, {"shape": (4, 2, 3, 5, 7)}, {"shape": (6, 4, 1)}],
    max_examples=30,
    hint="torch layout (out, in, *kernel): fan_in = in * prod(kernel), fan_out = out * prod(kernel); "
    "return a tuple of two Python ints.",
)
def _(student, shape):
    got = student.fan_in_fan_out(tuple(shape))
    check(isinstance(got, tuple), f"fan_in_fan_out{tuple(shape)} returned {type(got).__name__}, expected a tuple")
    assert_equal(got, torch_fans(tuple(shape)), name=f"fan_in_fan_out{tuple(shape)}")


@suite.test(
    "fan_in_fan_out raises ValueError for fewer than 2 dimensions",
    functions=("fan_in_fan_out",),
    points=0.5,
    inputs=None,
)
def _(student):
    for shape in [(), (5,)]:
        assert_raises(ValueError, student.fan_in_fan_out, shape)


@st.composite
def xavier_case(draw):
    return {
        "fan_in": draw(st.integers(1, 5000)),
        "fan_out": draw(st.integers(1, 5000)),
        "gain": draw(st.one_of(st.just(1.0), gst.log_uniform(0.1, 10.0))),
    }


@suite.test(
    "xavier_std and xavier_uniform_bound match torch.nn.init",
    functions=("xavier_std", "xavier_uniform_bound"),
    points=1,
    inputs=xavier_case(),
    examples=[{"fan_in": 512, "fan_out": 128, "gain": 1.0}, {"fan_in": 27, "fan_out": 144, "gain": math.sqrt(2.0)}],
    max_examples=30,
    hint="std = gain*sqrt(2/(fan_in+fan_out)) (not 1/fan_in); uniform bound = gain*sqrt(6/(fan_in+fan_out)) "
    "= sqrt(3)*std, since U(-b, b) has variance b^2/3. Return Python floats.",
)
def _(student, fan_in, fan_out, gain):
    want_std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    want_bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    assert_close(
        student.xavier_std(fan_in, fan_out, gain),
        want_std,
        rtol=RTOL,
        name=f"xavier_std({fan_in}, {fan_out}, gain={gain})",
    )
    assert_close(
        student.xavier_uniform_bound(fan_in, fan_out, gain),
        want_bound,
        rtol=RTOL,
        name=f"xavier_uniform_bound({fan_in}, {fan_out}, gain={gain})",
    )
    if gain == 1.0:  # the default
        assert_close(
            student.xavier_std(fan_in, fan_out),
            want_std,
            rtol=RTOL,
            name=f"xavier_std({fan_in}, {fan_out}) with the default gain",
        )


@st.composite
def kaiming_case(draw):
    slope = draw(st.one_of(st.sampled_from([0.0, 0.01, 0.2, 1.0]), st.floats(0.0, 3.0)))
    return {"fan_in": draw(st.integers(1, 5000)), "negative_slope": slope}


@suite.test(
    "kaiming_std and kaiming_uniform_bound match torch.nn.init (leaky ReLU slopes too)",
    functions=("kaiming_std", "kaiming_uniform_bound"),
    points=1,
    inputs=kaiming_case(),
    examples=[
        {"fan_in": 1600, "negative_slope": 0.0},
        {"fan_in": 300, "negative_slope": 0.2},
        {"fan_in": 7, "negative_slope": 1.0},
    ],
    max_examples=30,
    hint="std = gain/sqrt(fan_in) with gain = sqrt(2/(1+a^2)) (torch.nn.init.calculate_gain('leaky_relu', a)): "
    "the factor 2 compensates ReLU zeroing half the pre-activations; the bound is sqrt(3)*std.",
)
def _(student, fan_in, negative_slope):
    gain = torch.nn.init.calculate_gain("leaky_relu", negative_slope)
    want_std = gain / math.sqrt(fan_in)
    want_bound = math.sqrt(3.0) * want_std
    assert_close(
        student.kaiming_std(fan_in, negative_slope),
        want_std,
        rtol=RTOL,
        name=f"kaiming_std({fan_in}, negative_slope={negative_slope})",
    )
    assert_close(
        student.kaiming_uniform_bound(fan_in, negative_slope),
        want_bound,
        rtol=RTOL,
        name=f"kaiming_uniform_bound({fan_in}, negative_slope={negative_slope})",
    )
    if negative_slope == 0.0:
        assert_close(student.kaiming_std(fan_in), want_std, rtol=RTOL, name=f"kaiming_std({fan_in})")
        assert_close(
            student.kaiming_uniform_bound(fan_in), want_bound, rtol=RTOL, name=f"kaiming_uniform_bound({fan_in})"
        )


CONV_SHAPE = (32, 64, 5, 5)  # 51,200 draws; fan_in 1600 != fan_out 800


@suite.test(
    "init_weight: mean, variance, bound and shape of the distribution for every scheme",
    functions=("init_weight",),
    points=2,
    inputs=None,
    hint="normal schemes: randn * std; uniform schemes: U(-b, b) with b = sqrt(3)*std. Sample with the "
    "generator passed in. The checks are statistical: 4 samples x 6 one-sided checks x 2e-8, so a "
    "correct init fails this test with probability below 5e-7.",
)
def _(student, device):
    for k, scheme in enumerate(SCHEMES):
        gen = torch.Generator().manual_seed(1000 + k)
        w = student.init_weight(CONV_SHAPE, scheme, gen)
        check(isinstance(w, torch.Tensor), f"init_weight returned {type(w).__name__}, expected a tensor")
        check(tuple(w.shape) == CONV_SHAPE, f"init_weight({CONV_SHAPE}, {scheme!r}) has shape {tuple(w.shape)}")
        kind, scale = scheme_law(scheme, CONV_SHAPE)
        if kind == "normal":
            stats.check_sample(w, kind="normal", std=scale, label=f"init_weight({CONV_SHAPE}, {scheme!r})")
        else:
            stats.check_sample(w, kind="uniform", bound=scale, label=f"init_weight({CONV_SHAPE}, {scheme!r})")


N_ROWS, WIDTH, DEPTH = 64, 512, 5
X_SEED = 2**31 + 7  # CPU generators keep 32 bits of a seed: keep x's stream apart from the weights'


def layer_one_band(x: torch.Tensor, var_w: float) -> tuple[float, float, float]:
    """Expected first-layer second moment given x, and its accepted interval.

    With W (D, D) iid N(0, var_w), the sum of squared pre-activations is sum_i w_i^T (X^T X) w_i,
    a weighted chi-square: weights var_w * lambda_k (eigenvalues of X^T X), each D times. By
    Laurent-Massart, P(S - ES >= 2|a|_2 sqrt(t) + 2|a|_inf t) <= e^-t and
    P(ES - S >= 2|a|_2 sqrt(t)) <= e^-t; t = ln(1/2e-8). Uniform weights are strictly
    sub-Gaussian with the same variance and a smaller fourth moment, so the same interval holds
    for them; a margin of 1.25 is added on top.
    """
    xd = x.detach().to("cpu", torch.float64)
    n, d = xd.shape
    lam = torch.linalg.eigvalsh(xd @ xd.T).clamp_min(0.0)
    mean_s = d * var_w * float(lam.sum())
    a2 = var_w * math.sqrt(d * float(lam.square().sum()))
    ainf = var_w * float(lam.max())
    t = stats.T_CHECK
    hi = 1.25 * (2 * a2 * math.sqrt(t) + 2 * ainf * t) / mean_s
    lo = 1.25 * (2 * a2 * math.sqrt(t)) / mean_s
    return mean_s / (n * d), lo, hi


# Layer-to-layer ratio m_l / m_(l-1) (given the previous layer, m_l is again a weighted chi-square,
# but its weights are not known to the grader). It is dominated by the weights' projection on the
# positive mean of the ReLU outputs (about 1/pi of their energy), which makes it fluctuate like
# chi2_k / k with k ~ 640 for D = 512. Calibration by simulation (reference, N = 64, D = 512,
# 800 seeds x 4 layers = 3,200 ratios): standard deviation 0.0555 (2/k = 0.0031), largest
# deviation 0.23, 1e-4 quantiles +-0.23. Laurent-Massart with k = 640: a relative deviation above
# +0.40 has probability <= e^-19.4 = 4e-9 and below -0.40 <= e^-25.6 (0.40 is 7.2 standard
# deviations). A bug that doubles or halves a layer's moment lands outside [0.6, 1.4] times the
# expected ratio.
RATIO_BAND = 0.40


def check_depth_experiment(got, x: torch.Tensor, scheme: str, depth: int) -> None:
    name = f"relu_second_moments(x, depth={depth}, scheme={scheme!r})"
    check(isinstance(got, list), f"{name} returned {type(got).__name__}, expected a list of floats")
    check(len(got) == depth, f"{name} returned {len(got)} values, expected one per layer ({depth})")
    for i, m in enumerate(got):
        check(
            isinstance(m, float) and not isinstance(m, bool),
            f"{name}[{i}] is {type(m).__name__}, expected a Python float",
        )
        check(math.isfinite(m) and m > 0, f"{name}[{i}] = {m} is not a positive finite number")
    d = x.shape[1]
    var_w = 2.0 / d if scheme.startswith("kaiming") else 2.0 / (d + d)
    per_layer = 1.0 if scheme.startswith("kaiming") else 0.5  # D * var_w / 2: ReLU keeps half
    ex2 = float(x.detach().double().square().mean())
    want1, lo, hi = layer_one_band(x, var_w)
    shown = "[" + ", ".join(f"{m:.4g}" for m in got) + "]"
    check(
        want1 * (1 - lo) <= got[0] <= want1 * (1 + hi),
        f"{name}: layer 1 mean squared pre-activation {got[0]:.5g}, expected {want1:.5g} "
        f"(= {d * var_w:g} * E[x^2], E[x^2] = {ex2:.4g}; accepted [{want1 * (1 - lo):.5g}, "
        f"{want1 * (1 + hi):.5g}], false-fail probability 4e-8); all layers: {shown}",
    )
    for layer in range(1, depth):
        ratio = got[layer] / got[layer - 1]
        check(
            abs(ratio / per_layer - 1) <= RATIO_BAND,
            f"{name}: layer {layer + 1} / layer {layer} = {ratio:.4g}, expected {per_layer:g} "
            f"({'Kaiming keeps the second moment' if per_layer == 1 else 'Xavier halves it through each ReLU'}; "
            f"accepted within +-{RATIO_BAND:.0%}, false-fail probability 8e-9); all layers: {shown}",
        )


@suite.test(
    "relu_second_moments: Kaiming keeps the second moment, Xavier halves it per layer",
    functions=("relu_second_moments", "init_weight"),
    points=2,
    inputs=None,
    hint="Return the mean of the squared PRE-activations z = h @ W.T of each layer (before the ReLU), "
    "with no bias and a fresh init_weight((D, D), scheme, generator) per layer.",
)
def _(student):
    x = gst.seeded_tensor((N_ROWS, WIDTH), X_SEED, dtype=torch.float32, scale=1.5)
    for k, scheme in enumerate(("kaiming_normal", "xavier_normal")):
        got = student.relu_second_moments(x, DEPTH, scheme, torch.Generator().manual_seed(2000 + k))
        check_depth_experiment(got, x, scheme, DEPTH)
