"""Hidden tests for ``conv_shapes``: the reference, hand-picked boundary cases, ValueError cases
and invariants.

Rounding (SPEC §2): every input and result is an int and every verdict an exact comparison
of ints, so nothing here can flip on rounding. A submission that divides in floating point
(math.floor(a / s), math.ceil) gets the same ints: the strategies keep every size below 2**53
by far (inputs up to 40, or 224 in the examples), where a / s is correctly rounded and a
non-integer quotient lies at least 1/s from an integer, so floor and ceil see the true value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from grader.checks.built import load_module_file
from grader.checks.compare import assert_raises, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "conv_shapes.py")
# The visible suite words each rule a set of arguments breaks the way the handout does.
visible = load_module_file(str(Path(__file__).resolve().parents[2] / "assignments" / "conv_shapes" / "suite.py"))
suite = Suite("conv_shapes")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _call_text(fn: str, args: tuple, kwargs: dict) -> str:
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(shown)})"


def _reference(fn: str, *args: Any, **kwargs: Any) -> Any:
    """The reference's answer, or None where it raises ValueError."""
    try:
        return getattr(ref, fn)(*args, **kwargs)
    except ValueError:
        return None


def expect(student, fn: str, *args: Any, **kwargs: Any) -> None:
    """The student agrees with the reference: the same pair (tuple or list of two Python
    ints) or int, or ValueError where the reference raises it."""
    want = _reference(fn, *args, **kwargs)
    call = _call_text(fn, args, kwargs)
    if want is None:
        try:
            assert_raises(ValueError, getattr(student, fn), *args, **kwargs)
        except AssertionError as exc:
            reason = visible.invalid_reason(fn, args, kwargs)
            raise type(exc)(f"{call}: {reason}, so ValueError is expected; {exc}") from None
        return
    got = getattr(student, fn)(*args, **kwargs)
    if isinstance(want, tuple):
        check(isinstance(got, (tuple, list)) and len(got) == 2 and all(_is_int(v) for v in got),
              f"{call} returned {got!r}; expected a pair of Python ints such as {want!r}",
              got=repr(got), expected=repr(want))
        got = tuple(got)
    else:
        check(_is_int(got), f"{call} returned {got!r}; expected the Python int {want}", got=repr(got),
              expected=repr(want))
    check(got == want, f"{call} returned {got!r}, expected {want!r}", got=repr(got), expected=repr(want))


def int_or_pair(values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.tuples(values, values))


HW = st.tuples(st.integers(1, 40), st.integers(1, 40))


# ---------------------------------------------------------------- conv2d


@suite.test(
    "conv2d_output_shape matches the reference (dilation, asymmetric pairs, larger inputs)",
    functions=("conv2d_output_shape",),
    points=1.5,
    inputs=st.fixed_dictionaries({
        "input_hw": HW, "kernel_size": int_or_pair(st.integers(1, 7)), "stride": int_or_pair(st.integers(1, 4)),
        "padding": int_or_pair(st.integers(0, 4)), "dilation": int_or_pair(st.integers(1, 4)),
    }),
    examples=[
        {"input_hw": (32, 32), "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1},
        {"input_hw": (224, 224), "kernel_size": 7, "stride": 2, "padding": 3, "dilation": 1},
        {"input_hw": (10, 9), "kernel_size": (3, 5), "stride": (2, 3), "padding": (0, 2), "dilation": (3, 1)},
        {"input_hw": (7, 7), "kernel_size": 3, "stride": 2, "padding": 0, "dilation": 3},  # exactly 1
        {"input_hw": (1, 1), "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1},
        {"input_hw": (6, 6), "kernel_size": 2, "stride": 4, "padding": 0, "dilation": 1},
    ],
    max_examples=40,
)
def _(student, input_hw, kernel_size, stride, padding, dilation):
    expect(student, "conv2d_output_shape", input_hw, kernel_size, stride, padding, dilation)


_CONV_INVALID = [
    ((5, 5), 0, 1, 0, 1),
    ((5, 5), (3, 0), 1, 0, 1),
    ((5, 5), 3, 0, 0, 1),
    ((5, 5), 3, (1, 0), 0, 1),
    ((5, 5), 3, -1, 0, 1),
    ((5, 5), 3, 1, -1, 1),
    ((5, 5), 3, 1, (0, -1), 1),
    ((5, 5), 3, 1, 0, 0),
    ((5, 5), 3, 1, 0, (1, 0)),
    ((2, 5), 3, 1, 0, 1),     # H + 2P < D(K-1) + 1
    ((2, 4), 3, 2, 0, 1),     # (2 - 2 - 1) / 2 = -0.5: floor gives 0 (invalid), truncation would give 1
    ((4, 4), 3, 3, 0, 2),     # the dilated kernel (5) is larger than the input
    ((5, 1), 1, 1, 0, 1),     # a 1-pixel result is fine
    ((4, 4), 5, 1, 0, 1),
]


@suite.test(
    "conv2d_output_shape raises ValueError for K, S or D < 1, P < 0 and an output < 1",
    functions=("conv2d_output_shape",),
    points=1.5,
    inputs=st.fixed_dictionaries({"case": st.sampled_from(_CONV_INVALID)}),
    examples=[{"case": c} for c in _CONV_INVALID],
    max_examples=1,
)
def _(student, case):
    expect(student, "conv2d_output_shape", *case)


# ---------------------------------------------------------------- transposed conv


@suite.test(
    "conv_transpose2d_output_shape matches the reference; output_padding < max(stride, dilation)",
    functions=("conv_transpose2d_output_shape",),
    points=1.5,
    inputs=st.fixed_dictionaries({
        "input_hw": HW, "kernel_size": int_or_pair(st.integers(1, 5)), "stride": int_or_pair(st.integers(1, 4)),
        "padding": int_or_pair(st.integers(0, 4)), "output_padding": int_or_pair(st.integers(0, 3)),
        "dilation": int_or_pair(st.integers(1, 4)),
    }),
    examples=[
        {"input_hw": (16, 16), "kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 0, "dilation": 1},
        {"input_hw": (5, 7), "kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2),
         "dilation": (1, 2)},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 1, "padding": 0, "output_padding": 1, "dilation": 2},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 2, "padding": 0, "output_padding": 2, "dilation": 1},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 3, "padding": 0, "output_padding": 2, "dilation": 3},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 2, "padding": 0, "output_padding": 2, "dilation": 2},
        {"input_hw": (1, 1), "kernel_size": 1, "stride": 1, "padding": 1, "output_padding": 0, "dilation": 1},
        {"input_hw": (2, 3), "kernel_size": 3, "stride": 1, "padding": 2, "output_padding": 0, "dilation": 1},
        {"input_hw": (3, 3), "kernel_size": 3, "stride": 1, "padding": 2, "output_padding": 0, "dilation": 1},
        {"input_hw": (1, 1), "kernel_size": 3, "stride": 1, "padding": 1, "output_padding": 0, "dilation": 1},
        {"input_hw": (4, 4), "kernel_size": 0, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 1},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 0, "padding": 0, "output_padding": 0, "dilation": 1},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 1, "padding": -1, "output_padding": 0, "dilation": 1},
        {"input_hw": (4, 4), "kernel_size": 3, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 0},
    ],
    max_examples=40,
)
def _(student, input_hw, kernel_size, stride, padding, output_padding, dilation):
    expect(student, "conv_transpose2d_output_shape", input_hw, kernel_size, stride, padding, output_padding, dilation)


@suite.test(
    "conv_transpose2d_output_shape undoes conv2d_output_shape (with output_padding = the lost remainder)",
    functions=("conv2d_output_shape", "conv_transpose2d_output_shape"),
    points=1,
    inputs=st.fixed_dictionaries({
        "input_hw": HW, "kernel_size": st.integers(1, 5), "stride": st.integers(1, 4),
        "padding": st.integers(0, 2), "dilation": st.integers(1, 3),
    }),
    examples=[{"input_hw": (9, 10), "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1},
              {"input_hw": (11, 8), "kernel_size": 2, "stride": 3, "padding": 0, "dilation": 2}],
    max_examples=30,
)
def _(student, input_hw, kernel_size, stride, padding, dilation):
    out = _reference("conv2d_output_shape", input_hw, kernel_size, stride, padding, dilation)
    if out is None:
        return
    expect(student, "conv2d_output_shape", input_hw, kernel_size, stride, padding, dilation)
    op = tuple((h + 2 * padding - dilation * (kernel_size - 1) - 1) % stride for h in input_hw)
    back = student.conv_transpose2d_output_shape(out, kernel_size, stride, padding, op, dilation)
    check(isinstance(back, (tuple, list)) and tuple(back) == tuple(input_hw),
          f"conv2d_output_shape({input_hw}, {kernel_size}, {stride}, {padding}, {dilation}) = {out}, and "
          f"conv_transpose2d_output_shape({out}, {kernel_size}, {stride}, {padding}, output_padding={op}, "
          f"dilation={dilation}) returned {back!r} instead of the input size {input_hw}")


# ---------------------------------------------------------------- pooling


@suite.test(
    "pool2d_output_shape matches the reference (ceil_mode, dilation, stride default)",
    functions=("pool2d_output_shape",),
    points=1.5,
    inputs=st.fixed_dictionaries({
        "input_hw": HW, "kernel_size": int_or_pair(st.integers(1, 5)),
        "stride": st.one_of(st.none(), int_or_pair(st.integers(1, 4))),
        "padding": int_or_pair(st.integers(0, 2)), "dilation": int_or_pair(st.integers(1, 3)),
        "ceil_mode": st.booleans(),
    }),
    examples=[
        # ceil_mode keeps a partial last window...
        {"input_hw": (5, 5), "kernel_size": 2, "stride": None, "padding": 0, "dilation": 1, "ceil_mode": True},
        {"input_hw": (2, 2), "kernel_size": 3, "stride": 2, "padding": 0, "dilation": 1, "ceil_mode": True},
        {"input_hw": (1, 1), "kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1, "ceil_mode": True},
        # ...unless it would start in the right padding
        {"input_hw": (5, 5), "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
        {"input_hw": (6, 9), "kernel_size": 3, "stride": 3, "padding": 1, "dilation": 1, "ceil_mode": True},
        {"input_hw": (4, 4), "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
        {"input_hw": (7, 7), "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
        {"input_hw": (5, 5), "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": False},
        {"input_hw": (1, 1), "kernel_size": 2, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": False},
        {"input_hw": (9, 7), "kernel_size": (3, 2), "stride": None, "padding": (1, 1), "dilation": (1, 2),
         "ceil_mode": False},
        {"input_hw": (8, 8), "kernel_size": 3, "stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
    ],
    max_examples=40,
)
def _(student, input_hw, kernel_size, stride, padding, dilation, ceil_mode):
    expect(student, "pool2d_output_shape", input_hw, kernel_size, stride, padding, dilation, ceil_mode)


_POOL_EDGES = [
    ((5, 5), 3, None, 2, 1, False),         # padding > kernel_size // 2
    ((5, 5), 1, None, 1, 1, False),
    ((5, 5), (3, 2), None, (1, 2), 1, False),
    ((9, 9), 3, 1, 2, 2, False),            # the dilated kernel does not raise the limit: still 3 // 2
    ((5, 5), 2, None, -1, 1, False),
    ((5, 5), 0, None, 0, 1, False),
    ((5, 5), 2, 0, 0, 1, False),
    ((5, 5), 2, None, 0, 0, False),
    ((2, 5), 3, None, 0, 1, False),          # output < 1
    ((1, 1), 2, 2, 0, 1, False),
    ((3, 3), 2, 2, 1, 1, True),              # valid: 2 (the 3rd window would start in the right padding)
    ((5, 5), 3, None, 1, 1, True),
]


@suite.test(
    "pool2d_output_shape raises ValueError where MaxPool2d refuses (padding > kernel_size // 2, ...)",
    functions=("pool2d_output_shape",),
    points=1,
    inputs=st.fixed_dictionaries({"case": st.sampled_from(_POOL_EDGES)}),
    examples=[{"case": c} for c in _POOL_EDGES],
    max_examples=1,
)
def _(student, case):
    expect(student, "pool2d_output_shape", *case)


@suite.test(
    "pool2d_output_shape: the stride defaults to kernel_size when omitted",
    functions=("pool2d_output_shape",),
    points=0.5,
    inputs=st.fixed_dictionaries({"input_hw": HW, "kernel_size": int_or_pair(st.integers(1, 4))}),
    examples=[{"input_hw": (8, 9), "kernel_size": 2}, {"input_hw": (7, 7), "kernel_size": (3, 1)}],
    max_examples=15,
)
def _(student, input_hw, kernel_size):
    expect(student, "pool2d_output_shape", input_hw, kernel_size)


# ---------------------------------------------------------------- parameters and receptive field


@suite.test(
    "conv2d_param_count matches the reference; ValueError for bad groups or kernel sizes",
    functions=("conv2d_param_count",),
    points=1.5,
    inputs=st.fixed_dictionaries({
        "in_channels": st.integers(1, 64), "out_channels": st.integers(1, 64),
        "kernel_size": int_or_pair(st.integers(1, 7)), "groups": st.integers(1, 8), "bias": st.booleans(),
    }),
    examples=[
        {"in_channels": 3, "out_channels": 64, "kernel_size": 7, "groups": 1, "bias": False},
        {"in_channels": 32, "out_channels": 32, "kernel_size": 3, "groups": 32, "bias": True},   # depthwise
        {"in_channels": 8, "out_channels": 16, "kernel_size": (1, 3), "groups": 4, "bias": True},
        {"in_channels": 6, "out_channels": 4, "kernel_size": 3, "groups": 4, "bias": True},      # 4 does not divide 6
        {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 4, "bias": True},      # 4 does not divide 6
        {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "groups": 0, "bias": True},
        {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "groups": -2, "bias": True},
        {"in_channels": 4, "out_channels": 4, "kernel_size": 0, "groups": 1, "bias": True},
        {"in_channels": 4, "out_channels": 4, "kernel_size": (3, 0), "groups": 1, "bias": True},
    ],
    max_examples=40,
)
def _(student, in_channels, out_channels, kernel_size, groups, bias):
    expect(student, "conv2d_param_count", in_channels, out_channels, kernel_size, groups, bias)


_FIELDS = [
    [],                                               # no layer: one pixel
    [(3, 1, 1)],
    [(3, 1, 1), (3, 1, 1), (3, 1, 1)],               # 7
    [(2, 2, 1), (2, 2, 1), (2, 2, 1), (2, 2, 1)],    # 16
    [(3, 2, 1), (3, 3, 1), (3, 1, 1)],               # strides multiply: 1 + 2 + 2*2 + 2*6
    [(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)],    # dilated stack: 31
    [(7, 2, 1), (3, 2, 1), (3, 1, 2)],
    [(1, 4, 1), (3, 1, 1)],                           # a 1x1 strided layer still scales what follows
]


@suite.test(
    "receptive_field matches the reference (strides multiply, dilation scales)",
    functions=("receptive_field",),
    points=1.5,
    inputs=st.fixed_dictionaries({"layers": st.lists(st.tuples(st.integers(1, 7), st.integers(1, 4),
                                                                st.integers(1, 4)), max_size=6)}),
    examples=[{"layers": f} for f in _FIELDS],
    max_examples=30,
)
def _(student, layers):
    expect(student, "receptive_field", layers)
