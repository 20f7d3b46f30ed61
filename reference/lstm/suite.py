"""Hidden tests for ``lstm``: comparisons with the reference, invariants and edge cases.

Rounding (SPEC §2): the oracle is the reference run on float64 copies of the inputs and cast
back (:func:`exact`), never the reference in float32, whose own rounding a float64-internal
submission would otherwise be charged for; ``atol`` is scaled by the visible suite's
``rounding_scale`` (the size of the terms each pre-activation sums). No test makes a discrete
decision. Relation tests (batch permutation) also compare with the oracle.
"""

from __future__ import annotations

from pathlib import Path

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.built import load_module_file
from grader.checks.compare import assert_close, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "lstm.py")
visible = load_module_file(str(Path(__file__).resolve().parents[2] / "assignments" / "lstm" / "suite.py"))
rounding_scale = visible.rounding_scale
suite = Suite("lstm")


def _cast(value, dtype):
    if isinstance(value, torch.Tensor):
        return value.to(dtype)
    return type(value)(_cast(v, dtype) for v in value)


def exact(fn, *args):
    """``ref.fn`` on float64 copies of ``args``, cast back to their dtype: the exact answer."""
    return _cast(fn(*(a.double() for a in args)), args[0].dtype)


def _seeded(seed: int, shapes: dict, dtype=torch.float64, scales: dict | None = None) -> dict:
    g = torch.Generator().manual_seed(seed)
    scales = scales or {}
    return {k: (torch.randn(s, generator=g, dtype=torch.float64) * scales.get(k, 1.0)).to(dtype)
            for k, s in shapes.items()}


def _cell_shapes(n: int, d: int, h: int, n_gates: int = 4, with_c: bool = True) -> dict:
    shapes = {"x": (n, d), "h": (n, h)}
    if with_c:
        shapes["c"] = (n, h)
    shapes.update(W_ih=(n_gates * h, d), W_hh=(n_gates * h, h), b_ih=(n_gates * h,), b_hh=(n_gates * h,))
    return shapes


@st.composite
def cell_case(draw, n_gates: int = 4, with_c: bool = True, wmax: float = 2.0) -> dict:
    n, d, h = draw(gst.dims(1, 4)), draw(gst.dims(1, 5)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())

    def t(shape, lim):
        return draw(gst.tensors(shape, dtype=dtype, min_value=-lim, max_value=lim))

    case = {"x": t((n, d), 3.0), "h": t((n, h), 1.0)}
    if with_c:
        case["c"] = t((n, h), 3.0)
    case.update(W_ih=t((n_gates * h, d), wmax), W_hh=t((n_gates * h, h), wmax),
                b_ih=t((n_gates * h,), wmax), b_hh=t((n_gates * h,), wmax))
    return case


@st.composite
def sequence_case(draw, min_t: int = 1, max_t: int = 6) -> dict:
    t, n = draw(gst.dims(min_t, max_t)), draw(gst.dims(1, 5))
    d, h = draw(gst.dims(1, 5)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    seed = draw(st.integers(0, 2**31 - 1))
    return seq_seeded(seed, t, n, d, h, dtype)


def seq_seeded(seed: int, t: int, n: int, d: int, h: int, dtype=torch.float64) -> dict:
    return _seeded(seed, {"x": (t, n, d), "h0": (n, h), "c0": (n, h), "W_ih": (4 * h, d),
                          "W_hh": (4 * h, h), "b_ih": (4 * h,), "b_hh": (4 * h,)}, dtype,
                   scales={"h0": 0.5, "W_ih": 0.8, "W_hh": 0.8, "b_ih": 0.5, "b_hh": 0.5})


def _zero_weights(n: int, d: int, h: int, n_gates: int, dtype=torch.float64) -> dict:
    return {"x": torch.ones(n, d, dtype=dtype), "h": torch.full((n, h), 0.5, dtype=dtype),
            "W_ih": torch.zeros(n_gates * h, d, dtype=dtype), "W_hh": torch.zeros(n_gates * h, h, dtype=dtype),
            "b_ih": torch.zeros(n_gates * h, dtype=dtype), "b_hh": torch.zeros(n_gates * h, dtype=dtype)}


def _only_b_hh(n: int, d: int, h: int) -> dict:
    case = _zero_weights(n, d, h, 4)
    case["b_hh"] = torch.arange(4 * h, dtype=torch.float64) / (2 * h) - 1.0
    return case


@suite.test(
    "lstm_gates matches the reference (edge cases: zero weights, bias only in b_hh)",
    functions=("lstm_gates",),
    points=1,
    inputs=cell_case(with_c=False),
    examples=[_zero_weights(2, 3, 2, 4), _zero_weights(1, 1, 1, 4, torch.float32), _only_b_hh(2, 2, 3),
              _seeded(11, _cell_shapes(4, 5, 4, with_c=False), torch.float32)],
    max_examples=25,
)
def _(student, x, h, W_ih, W_hh, b_ih, b_hh):
    assert_close(student.lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh), exact(ref.lstm_gates, x, h, W_ih, W_hh, b_ih, b_hh),
                 name="(i, f, g, o)", scale=rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh))


@suite.test(
    "lstm_cell matches the reference, saturated gates included (weights up to 30)",
    functions=("lstm_cell",),
    points=1,
    inputs=cell_case(wmax=30.0),
    examples=[_seeded(12, _cell_shapes(3, 2, 2), scales={"W_ih": 30.0, "W_hh": 30.0}),
              _seeded(13, _cell_shapes(2, 3, 3), torch.float32, scales={"b_ih": 20.0})],
    max_examples=25,
)
def _(student, x, h, c, W_ih, W_hh, b_ih, b_hh):
    # Weights up to 30: pre-activations sum terms up to ~600, so float32 rounding alone moves a
    # gate by ~1e-5 where it cancels near 0; the scaled atol covers that (SPEC §2).
    assert_close(student.lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh),
                 exact(ref.lstm_cell, x, h, c, W_ih, W_hh, b_ih, b_hh), name="(h_new, c_new)",
                 scale=rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh, c))


@suite.test(
    "lstm_forward matches the reference (T up to 6, nonzero h0 and c0)",
    functions=("lstm_forward",),
    points=1.5,
    inputs=sequence_case(),
    examples=[seq_seeded(14, 6, 3, 2, 3), seq_seeded(15, 2, 5, 4, 1, torch.float32)],
    max_examples=20,
)
def _(student, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    assert_close(student.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh),
                 exact(ref.lstm_forward, x, h0, c0, W_ih, W_hh, b_ih, b_hh), name="(output, (h_T, c_T))",
                 scale=rounding_scale(x, h0, W_ih, W_hh, b_ih, b_hh, c0))


@suite.test(
    "lstm_forward with T = 1 is one lstm_cell step",
    functions=("lstm_forward",),
    points=0.5,
    inputs=sequence_case(min_t=1, max_t=1),
    examples=[seq_seeded(16, 1, 2, 3, 2)],
    max_examples=10,
)
def _(student, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h1, c1 = exact(ref.lstm_cell, x[0], h0, c0, W_ih, W_hh, b_ih, b_hh)
    assert_close(student.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh), (h1[None], (h1, c1)),
                 name="(output, (h_T, c_T))", scale=rounding_scale(x, h0, W_ih, W_hh, b_ih, b_hh, c0))


def _forward_parts(got):
    check(isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], (tuple, list))
          and len(got[1]) == 2, "lstm_forward must return (output, (h_T, c_T))")
    return got


@st.composite
def permuted_case(draw) -> dict:
    case = draw(sequence_case(min_t=1, max_t=4))
    n = case["x"].shape[1]
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    case["perm"] = torch.randperm(n, generator=g)
    return case


@suite.test(
    "lstm_forward: batch rows are independent (permuting the batch permutes the outputs)",
    functions=("lstm_forward",),
    points=1,
    inputs=permuted_case(),
    examples=[{**seq_seeded(17, 3, 4, 2, 2), "perm": torch.tensor([3, 2, 0, 1])}],
    max_examples=15,
)
def _(student, x, h0, c0, W_ih, W_hh, b_ih, b_hh, perm):
    out, (h_t, c_t) = _forward_parts(student.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh))
    out_p, (h_p, c_p) = _forward_parts(student.lstm_forward(x[:, perm], h0[perm], c0[perm], W_ih, W_hh, b_ih, b_hh))
    # The relation holds for a constant too: the unpermuted run must also be the LSTM's. Rows may
    # round differently at another position in a matmul: compared within (scaled) tolerance.
    scale = rounding_scale(x, h0, W_ih, W_hh, b_ih, b_hh, c0)
    assert_close((out, (h_t, c_t)), exact(ref.lstm_forward, x, h0, c0, W_ih, W_hh, b_ih, b_hh),
                 name="(output, (h_T, c_T))", scale=scale)
    assert_close(out_p, out[:, perm], name="output of the permuted batch", scale=scale)
    assert_close(h_p, h_t[perm], name="h_T of the permuted batch", scale=scale)
    assert_close(c_p, c_t[perm], name="c_T of the permuted batch", scale=scale)


@st.composite
def gru_bias_case(draw) -> dict:
    """A GRU case whose b_hn is far from 0, where r's placement matters most."""
    case = draw(cell_case(n_gates=3, with_c=False))
    h = case["h"].shape[1]
    shift = draw(st.sampled_from([-2.0, 2.0]))
    case["b_hh"] = case["b_hh"].clone()
    case["b_hh"][2 * h:] += shift
    return case


@suite.test(
    "gru_cell matches the reference (b_hn far from 0)",
    functions=("gru_cell",),
    points=1.5,
    inputs=gru_bias_case(),
    examples=[_seeded(18, _cell_shapes(3, 2, 2, 3, with_c=False)),
              _seeded(19, _cell_shapes(2, 4, 3, 3, with_c=False), torch.float32, scales={"b_hh": 3.0})],
    max_examples=25,
)
def _(student, x, h, W_ih, W_hh, b_ih, b_hh):
    assert_close(student.gru_cell(x, h, W_ih, W_hh, b_ih, b_hh), exact(ref.gru_cell, x, h, W_ih, W_hh, b_ih, b_hh),
                 name="h_new", scale=rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh))


@st.composite
def gru_gate_case(draw) -> dict:
    n, d, h = draw(gst.dims(1, 4)), draw(gst.dims(1, 4)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    z_open = draw(st.booleans())
    case = _zero_weights(n, d, h, 3, dtype)
    case["x"] = draw(gst.tensors((n, d), dtype=dtype, min_value=-3, max_value=3))
    case["h"] = draw(gst.tensors((n, h), dtype=dtype, min_value=-1, max_value=1))
    b_ih = draw(gst.tensors((3 * h,), dtype=dtype, min_value=-2, max_value=2))
    b_hh = draw(gst.tensors((3 * h,), dtype=dtype, min_value=-2, max_value=2))
    b_ih[h:2 * h] = 40.0 if z_open else -40.0
    b_hh[h:2 * h] = 0.0
    case.update(b_ih=b_ih, b_hh=b_hh, z_open=z_open)
    return case


def _gru_gate_example(z_open: bool, dtype=torch.float64) -> dict:
    case = _zero_weights(2, 2, 2, 3, dtype)
    case["h"] = torch.tensor([[0.5, -0.25], [0.0, 0.75]], dtype=dtype)
    case["b_ih"] = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.3, -0.4], dtype=dtype)
    case["b_ih"][2:4] = 40.0 if z_open else -40.0
    case["b_hh"] = torch.tensor([-1.0, 1.0, 0.0, 0.0, 1.5, -2.0], dtype=dtype)
    case["z_open"] = z_open
    return case


@suite.test(
    "gru_cell: z = 1 keeps h; z = 0 gives n = tanh(b_in + r * b_hn) (zero weights)",
    functions=("gru_cell",),
    points=1,
    inputs=gru_gate_case(),
    examples=[_gru_gate_example(True), _gru_gate_example(False), _gru_gate_example(False, torch.float32)],
    max_examples=20,
)
def _(student, x, h, W_ih, W_hh, b_ih, b_hh, z_open):
    got = student.gru_cell(x, h, W_ih, W_hh, b_ih, b_hh)
    # b_z = +-40 keeps z within 4e-18 of 1 or 0 (exactly, in float32): h' = h or n up to rounding,
    # whichever formula; n is computed in float64 and cast back.
    if z_open:
        assert_close(got, h, name="h_new (z = 1: should equal h)")
    else:
        H = h.shape[1]
        bi, bh = b_ih.double(), b_hh.double()
        r = torch.sigmoid(bi[:H] + bh[:H])
        n = torch.tanh(bi[2 * H:] + r * bh[2 * H:]).to(h.dtype)
        assert_close(got, n.expand_as(h).clone(), name="h_new (z = 0: should equal n)")
