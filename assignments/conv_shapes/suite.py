"""Visible tests for ``conv_shapes``: torch itself is the oracle. Each case runs the real
``torch.nn.functional`` op on a tiny all-zero input (or builds the ``torch.nn`` module) and
reads the output shape off it; where torch refuses the arguments, your function must raise
ValueError.

Rounding (SPEC §2): inputs and results are ints compared exactly; no verdict can flip on
rounding. Floating-point division with math.floor / math.ceil gives the same ints at these
sizes (all far below 2**53: a non-integer quotient a / s lies at least 1/s from an integer).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from grader.checks.compare import assert_raises, check
from grader.spec import Suite

# No function is meta-safe (grader.checks.device): every input and result is a plain int.
suite = Suite(
    "conv_shapes",
    student_file="conv_shapes.py",
    title="Convolution output sizes and parameter counts",
    functions=(
        "conv2d_output_shape",
        "conv_transpose2d_output_shape",
        "pool2d_output_shape",
        "conv2d_param_count",
        "receptive_field",
    ),
)

Refused = None  # what an oracle returns where torch refuses the arguments


# ---------------------------------------------------------------- oracles: torch itself


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _torch_says(op, *args: Any, **kwargs: Any) -> tuple[int, int] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op(*args, **kwargs)
    except (RuntimeError, ValueError):
        return Refused
    return (int(out.shape[-2]), int(out.shape[-1]))


def torch_conv2d(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    kh, kw = _pair(kernel_size)
    if kh < 0 or kw < 0:
        return Refused
    return _torch_says(F.conv2d, torch.zeros(1, 1, *input_hw), torch.zeros(1, 1, kh, kw),
                       stride=stride, padding=padding, dilation=dilation)


def torch_conv_transpose2d(input_hw, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    kh, kw = _pair(kernel_size)
    if kh < 0 or kw < 0:
        return Refused
    return _torch_says(F.conv_transpose2d, torch.zeros(1, 1, *input_hw), torch.zeros(1, 1, kh, kw),
                       stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)


def torch_max_pool2d(input_hw, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _torch_says(F.max_pool2d, torch.zeros(1, 1, *input_hw), kernel_size, stride=stride,
                       padding=padding, dilation=dilation, ceil_mode=ceil_mode)


def torch_param_count(in_channels, out_channels, kernel_size, groups=1, bias=True):
    if min(_pair(kernel_size)) < 1:
        return Refused  # nn.Conv2d builds it, but refuses to run it: the SPEC says ValueError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch.nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bias)
    except (RuntimeError, ValueError):
        return Refused
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- why arguments are invalid

_PARAMS = {
    "conv2d_output_shape": ("input_hw", "kernel_size", "stride", "padding", "dilation"),
    "conv_transpose2d_output_shape": ("input_hw", "kernel_size", "stride", "padding", "output_padding", "dilation"),
    "pool2d_output_shape": ("input_hw", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "conv2d_param_count": ("in_channels", "out_channels", "kernel_size", "groups", "bias"),
    "receptive_field": ("layers",),
}
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0, "groups": 1}


def invalid_reason(fn: str, args: tuple, kwargs: dict) -> str:
    """The handout's rule these arguments break, in the handout's words. Only true claims:
    ``torch.nn.Conv2d(1, 1, 0)`` is built by torch (it refuses to run it), so a kernel of 0 is
    "invalid by the handout", not "refused by torch" at construction."""
    a = dict(_DEFAULTS, **dict(zip(_PARAMS[fn], args)), **kwargs)
    if fn == "pool2d_output_shape" and a.get("stride") is None:
        a["stride"] = a["kernel_size"]
    if fn == "receptive_field":
        return "kernel, stride and dilation of every layer must be >= 1"
    pairs = {k: _pair(a[k]) for k in ("kernel_size", "stride", "padding", "dilation", "output_padding")
             if k in a and k in _PARAMS[fn] or k in ("stride", "padding", "dilation") and k in _PARAMS[fn]}
    rules = [("kernel_size", 1, "kernel_size < 1 is invalid (handout: K >= 1)"),
             ("stride", 1, "stride < 1 is invalid (handout: S >= 1)"),
             ("dilation", 1, "dilation < 1 is invalid (handout: D >= 1)"),
             ("padding", 0, "negative padding is invalid (handout: P >= 0)"),
             ("output_padding", 0, "negative output_padding is invalid (handout: output_padding >= 0)")]
    if fn == "conv2d_param_count":
        k = _pair(a["kernel_size"])
        if min(k) < 1:
            return rules[0][2]
        g = a["groups"]
        if g < 1:
            return "groups < 1 is invalid (handout: groups >= 1)"
        return "groups must divide both in_channels and out_channels (handout: groups divides both)"
    for name, low, text in rules:
        if name in pairs and min(pairs[name]) < low:
            return text
    k, s, p, d = pairs["kernel_size"], pairs["stride"], pairs["padding"], pairs["dilation"]
    if fn == "conv_transpose2d_output_shape":
        op = pairs["output_padding"]
        if any(op[i] >= max(s[i], d[i]) for i in range(2)):
            return "output_padding >= max(stride, dilation) is invalid (handout: output_padding < max(S, D))"
    if fn == "pool2d_output_shape" and any(p[i] > k[i] // 2 for i in range(2)):
        return "padding > kernel_size // 2 is invalid for pooling (handout: P <= K // 2)"
    return "the output size would be < 1 (handout: a result < 1 is a ValueError)"


# ---------------------------------------------------------------- checking an answer


def _call_text(fn: str, args: tuple, kwargs: dict) -> str:
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(shown)})"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def expect_pair(student, fn: str, want: tuple[int, int] | None, *args: Any, **kwargs: Any) -> None:
    """The student's answer is ``want`` as a pair of Python ints, or ValueError where torch refuses.

    A tuple or a list of two ints is a pair; tensors, floats and numpy integers are not.
    """
    call = _call_text(fn, args, kwargs)
    if want is Refused:
        try:
            assert_raises(ValueError, getattr(student, fn), *args, **kwargs)
        except AssertionError as exc:
            reason = invalid_reason(fn, args, kwargs)
            raise type(exc)(f"{call}: {reason}, so ValueError is expected; {exc}") from None
        return
    got = getattr(student, fn)(*args, **kwargs)
    check(isinstance(got, (tuple, list)) and len(got) == 2 and all(_is_int(v) for v in got),
          f"{call} returned {got!r}; expected a pair of Python ints such as {want!r}",
          got=repr(got), expected=repr(want))
    check(tuple(got) == want, f"{call} returned {tuple(got)!r}, torch gives {want!r}",
          got=repr(tuple(got)), expected=repr(want))


def expect_int(student, fn: str, want: int | None, *args: Any, **kwargs: Any) -> None:
    call = _call_text(fn, args, kwargs)
    if want is Refused:
        try:
            assert_raises(ValueError, getattr(student, fn), *args, **kwargs)
        except AssertionError as exc:
            reason = invalid_reason(fn, args, kwargs)
            raise type(exc)(f"{call}: {reason}, so ValueError is expected; {exc}") from None
        return
    got = getattr(student, fn)(*args, **kwargs)
    check(_is_int(got), f"{call} returned {got!r}; expected the Python int {want}", got=repr(got), expected=repr(want))
    check(got == want, f"{call} returned {got}, expected {want}", got=repr(got), expected=repr(want))


# ---------------------------------------------------------------- strategies


def int_or_pair(values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.tuples(values, values))


def mostly(valid: st.SearchStrategy[int], invalid: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    """Valid values most of the time, an invalid one now and then."""
    return st.one_of(valid, valid, valid, valid, invalid)


HW = st.tuples(st.integers(1, 12), st.integers(1, 12))


def distinct_pair(lo: int, hi: int) -> st.SearchStrategy[tuple[int, int]]:
    """A pair whose two entries differ: a formula that swaps the H and W axes shows there."""
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi)).filter(lambda p: p[0] != p[1])


# non-square everything: input, kernel, stride, padding and dilation each differ between H and W
# (with squares drawn too, an H/W swap could hide behind equal axes)
conv_asymmetric = st.fixed_dictionaries({
    "input_hw": distinct_pair(6, 24), "kernel_size": distinct_pair(1, 4), "stride": distinct_pair(1, 3),
    "padding": distinct_pair(0, 2), "dilation": distinct_pair(1, 3),
})
KERNEL = int_or_pair(mostly(st.integers(1, 5), st.just(0)))
STRIDE = int_or_pair(mostly(st.integers(1, 3), st.just(0)))
PADDING = int_or_pair(mostly(st.integers(0, 3), st.just(-1)))
DILATION = int_or_pair(mostly(st.integers(1, 3), st.just(0)))

conv_args = st.fixed_dictionaries(
    {"input_hw": HW, "kernel_size": KERNEL},
    optional={"stride": STRIDE, "padding": PADDING, "dilation": DILATION},
)


@suite.test(
    "conv2d_output_shape matches torch conv2d, and raises ValueError where torch refuses",
    functions=("conv2d_output_shape",),
    points=2,
    inputs=conv_args,
    examples=[
        {"input_hw": (5, 5), "kernel_size": 3},
        {"input_hw": (7, 6), "kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (2, 1)},
        {"input_hw": (3, 3), "kernel_size": 3},          # output exactly 1
        {"input_hw": (2, 4), "kernel_size": 3, "stride": 2},  # input too small: ValueError, not 1
        {"input_hw": (5, 5), "kernel_size": 0},
        {"input_hw": (5, 5), "kernel_size": 3, "padding": -1},
    ],
    max_examples=60,
    hint="out = floor((H + 2P - D(K-1) - 1) / S) + 1 per dimension (floor, not truncation: a "
         "too-small input gives a result < 1, which is a ValueError).",
)
def _(student, **args):
    expect_pair(student, "conv2d_output_shape", torch_conv2d(**args), **args)


@suite.test(
    "conv2d, conv_transpose2d and pool2d keep H and W apart: every argument a pair with unequal axes",
    functions=("conv2d_output_shape", "conv_transpose2d_output_shape", "pool2d_output_shape"),
    points=1,
    inputs=conv_asymmetric,
    examples=[{"input_hw": (9, 14), "kernel_size": (3, 1), "stride": (1, 2), "padding": (2, 0), "dilation": (1, 3)}],
    max_examples=30,
    hint="The first entry of every pair is the height, the second the width: use kernel_size[0] "
         "with input_hw[0], never kernel_size[1].",
)
def _(student, input_hw, kernel_size, stride, padding, dilation):
    args = {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    expect_pair(student, "conv2d_output_shape", torch_conv2d(input_hw, **args), input_hw, **args)
    op = (stride[0] - 1, 0) if stride[0] > 1 else (0, stride[1] - 1)
    expect_pair(student, "conv_transpose2d_output_shape",
                torch_conv_transpose2d(input_hw, output_padding=op, **args), input_hw, output_padding=op, **args)
    pool = {"kernel_size": kernel_size, "stride": stride, "padding": tuple(min(p, k // 2) for p, k in
                                                                          zip(padding, kernel_size)),
            "dilation": dilation}
    expect_pair(student, "pool2d_output_shape", torch_max_pool2d(input_hw, **pool), input_hw, **pool)


conv_t_args = st.fixed_dictionaries(
    {"input_hw": HW, "kernel_size": KERNEL},
    optional={"stride": STRIDE, "padding": PADDING, "dilation": DILATION,
              "output_padding": int_or_pair(mostly(st.integers(0, 2), st.just(-1)))},
)


@suite.test(
    "conv_transpose2d_output_shape matches torch conv_transpose2d, and raises ValueError where torch refuses",
    functions=("conv_transpose2d_output_shape",),
    points=2,
    inputs=conv_t_args,
    examples=[
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
        {"input_hw": (4, 3), "kernel_size": 3, "stride": 1, "dilation": 2, "output_padding": 1},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 2, "output_padding": 2},
        {"input_hw": (1, 1), "kernel_size": 1, "padding": 1},
    ],
    max_examples=60,
    hint="out = (H-1)S - 2P + D(K-1) + output_padding + 1; output_padding must be smaller than "
         "max(stride, dilation) in each dimension.",
)
def _(student, **args):
    expect_pair(student, "conv_transpose2d_output_shape", torch_conv_transpose2d(**args), **args)


pool_args = st.fixed_dictionaries(
    {"input_hw": HW, "kernel_size": KERNEL},
    optional={"stride": st.one_of(st.none(), STRIDE), "padding": int_or_pair(mostly(st.integers(0, 2), st.just(-1))),
              "dilation": DILATION, "ceil_mode": st.booleans()},
)


@suite.test(
    "pool2d_output_shape matches torch max_pool2d (stride default, ceil_mode), ValueError where torch refuses",
    functions=("pool2d_output_shape",),
    points=2,
    inputs=pool_args,
    examples=[
        {"input_hw": (5, 5), "kernel_size": 2},
        {"input_hw": (5, 5), "kernel_size": 2, "ceil_mode": True},
        {"input_hw": (5, 4), "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
        {"input_hw": (5, 5), "kernel_size": 3, "padding": 2},
    ],
    max_examples=60,
    hint="stride defaults to kernel_size. With ceil_mode, round up, but drop a last window that "
         "would start in the right padding. padding may be at most kernel_size // 2.",
)
def _(student, **args):
    expect_pair(student, "pool2d_output_shape", torch_max_pool2d(**args), **args)


param_args = st.fixed_dictionaries(
    {"in_channels": st.integers(1, 8), "out_channels": st.integers(1, 8), "kernel_size": KERNEL},
    optional={"groups": st.integers(0, 4), "bias": st.booleans()},
)


@suite.test(
    "conv2d_param_count matches the parameters of torch.nn.Conv2d",
    functions=("conv2d_param_count",),
    points=1.5,
    inputs=param_args,
    examples=[
        {"in_channels": 3, "out_channels": 8, "kernel_size": 3},
        {"in_channels": 4, "out_channels": 6, "kernel_size": (3, 1), "groups": 2, "bias": False},
        {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "groups": 4},
        {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 4},
    ],
    max_examples=40,
    hint="weight (out, in/groups, kh, kw) plus out biases when bias=True; groups must divide both "
         "channel counts.",
)
def _(student, **args):
    expect_int(student, "conv2d_param_count", torch_param_count(**args), **args)


def traced_receptive_field(layers: list[tuple[int, int, int]]) -> int:
    """What one output unit sees, traced through real convolutions: a stack of all-ones
    conv1d layers, and the span of the inputs with a nonzero gradient for output unit 0."""
    need = 1
    for k, s, d in reversed(layers):  # smallest input that yields one output
        need = (need - 1) * s + d * (k - 1) + 1
    x = torch.ones(1, 1, need + 3, dtype=torch.float64, requires_grad=True)
    h = x
    for k, s, d in layers:
        h = F.conv1d(h, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    (grad,) = torch.autograd.grad(h[0, 0, 0], x)
    seen = grad[0, 0].nonzero().flatten()
    return int(seen[-1] - seen[0]) + 1


layer = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))


@suite.test(
    "receptive_field matches a trace through real convolutions",
    functions=("receptive_field",),
    points=1.5,
    inputs=st.fixed_dictionaries({"layers": st.lists(layer, min_size=1, max_size=4)}),
    examples=[
        {"layers": [(3, 1, 1), (3, 1, 1)]},
        {"layers": [(3, 2, 1), (3, 2, 1), (3, 2, 1)]},
        {"layers": [(3, 1, 1), (3, 1, 2), (3, 1, 4)]},
        {"layers": [(7, 2, 1), (3, 2, 1), (3, 1, 1)]},
    ],
    max_examples=30,
    hint="1 + sum_l d_l (k_l - 1) * (product of the strides of the layers BEFORE l).",
)
def _(student, layers):
    expect_int(student, "receptive_field", traced_receptive_field(layers), layers)


@st.composite
def valid_conv(draw):
    while True:
        args = {"input_hw": draw(HW), "kernel_size": draw(int_or_pair(st.integers(1, 4))),
                "stride": draw(int_or_pair(st.integers(1, 3))), "padding": draw(int_or_pair(st.integers(0, 2))),
                "dilation": draw(int_or_pair(st.integers(1, 2)))}
        assume(torch_conv2d(**args) is not Refused)
        return args


@suite.test(
    "invariants: sizes shrink as kernel or stride grow, transposed conv undoes conv, int = (int, int)",
    functions=("conv2d_output_shape", "conv_transpose2d_output_shape"),
    points=1,
    inputs=valid_conv(),
    max_examples=30,
)
def _(student, input_hw, kernel_size, stride, padding, dilation):
    base = torch_conv2d(input_hw, kernel_size, stride, padding, dilation)
    expect_pair(student, "conv2d_output_shape", base, input_hw, kernel_size, stride, padding, dilation)
    k, s, p, d = _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation)
    for name, bigger in (("kernel_size", (k[0] + 1, k[1] + 1)), ("stride", (s[0] + 1, s[1] + 1))):
        args = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, name: bigger}
        if torch_conv2d(input_hw, **args) is Refused:
            continue
        got = student.conv2d_output_shape(input_hw, **args)
        check(isinstance(got, (tuple, list)) and len(got) == 2 and all(g <= b for g, b in zip(got, base)),
              f"conv2d_output_shape({input_hw!r}, **{args!r}) returned {got!r}: a larger {name} must not give "
              f"a larger output than {base!r}")
    # the same numbers given as pairs
    expect_pair(student, "conv2d_output_shape", base, input_hw, k, s, p, d)
    # output_padding chosen so that the transposed convolution restores the input size
    op = tuple((input_hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) % s[i] for i in range(2))
    expect_pair(student, "conv_transpose2d_output_shape", tuple(input_hw), base, kernel_size, stride,
                padding, op, dilation)
