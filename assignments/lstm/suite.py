"""Visible tests for ``lstm``: oracles are torch.nn.LSTMCell / LSTM / GRUCell and invariants.

The torch modules run here, in the grader's process, with the submission's weights copied
into their parameters; the submission itself may not call them (see ``forbidden_calls``).
Oracles are computed in float64 and cast back to the inputs' dtype, so a float32 submission
is compared with the exact answer at float32 tolerance.

Rounding (SPEC §2). No test here makes a discrete decision: every verdict is a comparison
within tolerance, with ``atol`` scaled by :func:`rounding_scale` (the size of the terms a
pre-activation sums), so a submission that sums in another order, fuses the two matmuls, or
works in float64 and casts back keeps every point; the gates' range checks are exact bounds
that every valid sigmoid/tanh formula keeps under rounding. Relation tests (causality,
saturation) also compare with the oracle, so a constant cannot pass them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "lstm",
    student_file="lstm.py",
    title="LSTM and GRU cells by hand",
    functions=("lstm_gates", "lstm_cell", "lstm_forward", "gru_cell"),
    # The recurrence loops over T, a shape: every function is checked on the meta device.
    meta_safe=("lstm_gates", "lstm_cell", "lstm_forward", "gru_cell"),
    # Every name under which torch exposes its LSTM/GRU (modules and functional forms) in
    # torch 2.13. torch._C._VariableFunctions.* cannot be replaced (a C type), but
    # torch._VF and torch.* are the only public ways to reach those builtins.
    forbidden_calls=(
        "torch.nn.LSTM",
        "torch.nn.LSTMCell",
        "torch.nn.GRU",
        "torch.nn.GRUCell",
        "torch.nn.modules.LSTM",
        "torch.nn.modules.LSTMCell",
        "torch.nn.modules.GRU",
        "torch.nn.modules.GRUCell",
        "torch.nn.modules.rnn.LSTM",
        "torch.nn.modules.rnn.LSTMCell",
        "torch.nn.modules.rnn.GRU",
        "torch.nn.modules.rnn.GRUCell",
        "torch.lstm",
        "torch.lstm_cell",
        "torch.gru",
        "torch.gru_cell",
        "torch._VF.lstm",
        "torch._VF.lstm_cell",
        "torch._VF.gru",
        "torch._VF.gru_cell",
        "torch.ops.aten.lstm",
        "torch.ops.aten.lstm_cell",
        "torch.ops.aten.gru",
        "torch.ops.aten.gru_cell",
        "torch.ops.aten._thnn_fused_lstm_cell",
        "torch.ops.aten._thnn_fused_gru_cell",
    ),
)


# ---------------------------------------------------------------------------- cases

def _weights(draw, n_gates: int, d: int, h: int, dtype, wmax: float = 2.0) -> dict:
    def t(shape, lim):
        return draw(gst.tensors(shape, dtype=dtype, min_value=-lim, max_value=lim))

    return {"W_ih": t((n_gates * h, d), wmax), "W_hh": t((n_gates * h, h), wmax),
            "b_ih": t((n_gates * h,), wmax), "b_hh": t((n_gates * h,), wmax)}


@st.composite
def cell_case(draw, n_gates: int = 4, with_c: bool = True) -> dict:
    """x (N, D), h (N, H)[, c (N, H)] and weights for ``n_gates`` gates."""
    n, d, h = draw(gst.dims(1, 4)), draw(gst.dims(1, 5)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    case = {"x": draw(gst.tensors((n, d), dtype=dtype, min_value=-3, max_value=3)),
            "h": draw(gst.tensors((n, h), dtype=dtype, min_value=-1, max_value=1))}
    if with_c:
        case["c"] = draw(gst.tensors((n, h), dtype=dtype, min_value=-3, max_value=3))
    case.update(_weights(draw, n_gates, d, h, dtype))
    return case


@st.composite
def sequence_case(draw, min_t: int = 1, max_t: int = 5) -> dict:
    """x (T, N, D), h0, c0 (N, H) and LSTM weights; weights drawn from a seed (T*N*D is large)."""
    t, n = draw(gst.dims(min_t, max_t)), draw(gst.dims(1, 4))
    d, h = draw(gst.dims(1, 5)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    seed = draw(st.integers(0, 2**31 - 1))
    return seeded_sequence_case(seed, t, n, d, h, dtype)


def seeded_sequence_case(seed: int, t: int, n: int, d: int, h: int, dtype=torch.float64) -> dict:
    g = torch.Generator().manual_seed(seed)

    def r(*shape, scale=1.0):
        return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)

    return {"x": r(t, n, d), "h0": r(n, h, scale=0.5), "c0": r(n, h),
            "W_ih": r(4 * h, d, scale=0.8), "W_hh": r(4 * h, h, scale=0.8),
            "b_ih": r(4 * h, scale=0.5), "b_hh": r(4 * h, scale=0.5)}


def seeded_cell_case(seed: int, n: int, d: int, h: int, dtype=torch.float64, n_gates: int = 4,
                     with_c: bool = True) -> dict:
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)

    case = {"x": r(n, d), "h": r(n, h)}
    if with_c:
        case["c"] = r(n, h)
    case.update({"W_ih": r(n_gates * h, d), "W_hh": r(n_gates * h, h),
                 "b_ih": r(n_gates * h), "b_hh": r(n_gates * h)})
    return case


# ---------------------------------------------------------------------------- rounding

def rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh, c=None) -> float:
    """``scale`` for assert_close: how far a correct result may drift by rounding alone.

    A pre-activation W x + b + U h + b' computed in another order differs from the exact one by
    up to (number of terms) * eps * (sum of its |terms|), not eps * |result| (it cancels);
    sigmoid' and tanh' <= 1 pass that on to the gates, and c' = f c + i g multiplies it by up to
    1 + |c|. For a sequence (x of shape (T, N, D)), |h| < 1 after the first step and |c| grows
    by at most 1 per step (|i g| <= 1). Measured over 1,500 drawn cases, a float32 solution in
    another order or in float64 stays below 0.2 of the unscaled tolerance (below 0.02 with this
    scale); float64 tolerances (1e-12 * scale, scale below ~3e3 here) still fail a float32
    leak (6e-8 relative on values near 1) by more than 10x.
    """
    d64 = [t.detach().double().abs() for t in (x, h, W_ih, W_hh, b_ih, b_hh)]
    xs, hs, wi, wh, bi, bh = d64
    x_terms = (xs.reshape(-1, xs.shape[-1]) @ wi.T).amax(0)
    h_max = max(1.0, float(hs.max()))
    terms = float((x_terms + h_max * wh.sum(1) + bi + bh).max())
    c_max = 0.0 if c is None else float(c.detach().double().abs().max()) + (x.shape[0] if x.dim() == 3 else 0)
    return max(1.0, terms * (1.0 + c_max))


# ---------------------------------------------------------------------------- oracles

def _load(module: torch.nn.Module, W_ih, W_hh, b_ih, b_hh, suffix: str = "") -> torch.nn.Module:
    module = module.to(device=W_ih.device, dtype=torch.float64)
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(W_ih)
        getattr(module, "weight_hh" + suffix).copy_(W_hh)
        getattr(module, "bias_ih" + suffix).copy_(b_ih)
        getattr(module, "bias_hh" + suffix).copy_(b_hh)
    return module


def _f64(*tensors):
    return [t.to(torch.float64) for t in tensors]


def torch_lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    hidden, inp = h.shape[1], x.shape[1]
    cell = _load(torch.nn.LSTMCell(inp, hidden), *_f64(W_ih, W_hh, b_ih, b_hh))
    with torch.no_grad():
        h_new, c_new = cell(*_f64(x), (*_f64(h, c),))
    return h_new.to(x.dtype), c_new.to(x.dtype)


def torch_lstm(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    hidden, inp = h0.shape[1], x.shape[2]
    lstm = _load(torch.nn.LSTM(inp, hidden, num_layers=1), *_f64(W_ih, W_hh, b_ih, b_hh), suffix="_l0")
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x.to(torch.float64), (h0.to(torch.float64)[None], c0.to(torch.float64)[None]))
    return out.to(x.dtype), (h_n[0].to(x.dtype), c_n[0].to(x.dtype))


def torch_gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    cell = _load(torch.nn.GRUCell(x.shape[1], h.shape[1]), *_f64(W_ih, W_hh, b_ih, b_hh))
    with torch.no_grad():
        return cell(x.to(torch.float64), h.to(torch.float64)).to(x.dtype)


def gates_by_formula(x, h, W_ih, W_hh, b_ih, b_hh):
    """The SPEC's gates, in float64: rows of W stacked i, f, g, o."""
    x, h, W_ih, W_hh, b_ih, b_hh = _f64(x, h, W_ih, W_hh, b_ih, b_hh)
    pre = F.linear(x, W_ih, b_ih) + F.linear(h, W_hh, b_hh)
    i, f, g, o = pre.chunk(4, dim=1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


# ---------------------------------------------------------------------------- tests

@suite.test(
    "lstm_gates: order i, f, g, o with sigmoid, sigmoid, tanh, sigmoid",
    functions=("lstm_gates",),
    points=2,
    inputs=cell_case(with_c=False),
    examples=[seeded_cell_case(1, 3, 4, 2, with_c=False),
              seeded_cell_case(2, 2, 3, 3, torch.float32, with_c=False)],
    max_examples=30,
    hint="Rows of W_ih and W_hh are stacked i, f, g, o (torch's order, not the notes' i, f, o, g); "
         "g uses tanh, the other three sigmoid; both biases are added.",
)
def _(student, x, h, W_ih, W_hh, b_ih, b_hh):
    got = student.lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh)
    check(isinstance(got, (tuple, list)) and len(got) == 4,
          f"lstm_gates must return a tuple (i, f, g, o), got {type(got).__name__}")
    for name, gate, (lo, hi) in zip("ifgo", got, [(0, 1), (0, 1), (-1, 1), (0, 1)], strict=True):
        if isinstance(gate, torch.Tensor) and gate.numel():
            check(bool(((gate >= lo) & (gate <= hi)).all()),
                  f"gate {name} has values outside [{lo}, {hi}] (min {gate.min().item():.4g}, "
                  f"max {gate.max().item():.4g}): check its activation")
    # The range bounds are exact: sigmoid in [0, 1] and tanh in [-1, 1] hold for every valid formula
    # under rounding (and after a float64 -> float32 cast), so they cannot fail a correct gate.
    want = [t.to(x.dtype) for t in gates_by_formula(x, h, W_ih, W_hh, b_ih, b_hh)]
    scale = rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh)
    for name, g_, w_ in zip("ifgo", got, want, strict=True):
        assert_close(g_, w_, name=f"gate {name}", scale=scale)


@suite.test(
    "lstm_cell matches torch.nn.LSTMCell",
    functions=("lstm_cell",),
    points=2,
    inputs=cell_case(),
    examples=[seeded_cell_case(3, 3, 4, 2), seeded_cell_case(4, 1, 2, 3, torch.float32)],
    max_examples=30,
    hint="c' = f * c + i * g, then h' = o * tanh(c') with the NEW cell state; return (h', c').",
)
def _(student, x, h, c, W_ih, W_hh, b_ih, b_hh):
    got = student.lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)
    want = torch_lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)
    check(isinstance(got, (tuple, list)) and len(got) == 2,
          f"lstm_cell must return a tuple (h_new, c_new), got {type(got).__name__}")
    scale = rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh, c)
    assert_close(got[1], want[1], name="c_new", scale=scale)
    assert_close(got[0], want[0], name="h_new", scale=scale)


@suite.test(
    "lstm_forward matches a single-layer torch.nn.LSTM",
    functions=("lstm_forward",),
    points=2,
    inputs=sequence_case(),
    examples=[seeded_sequence_case(5, 3, 2, 3, 2), seeded_sequence_case(6, 4, 1, 2, 3, torch.float32)],
    max_examples=25,
    hint="Carry (h, c) from step to step; output stacks h_1 .. h_T along dim 0; "
         "return (output, (h_T, c_T)) with the LAST step's state.",
)
def _(student, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    got = student.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    check(isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], (tuple, list))
          and len(got[1]) == 2, "lstm_forward must return (output, (h_T, c_T))")
    out, (h_t, c_t) = got
    want_out, (want_h, want_c) = torch_lstm(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    scale = rounding_scale(x, h0, W_ih, W_hh, b_ih, b_hh, c0)
    assert_close(out, want_out, name="output", scale=scale)
    assert_close(h_t, want_h, name="h_T", scale=scale)
    assert_close(c_t, want_c, name="c_T", scale=scale)
    assert_close(out[-1], h_t, name="output[-1] vs h_T (they must be the same last hidden state)", scale=scale)


@suite.test(
    "gru_cell matches torch.nn.GRUCell",
    functions=("gru_cell",),
    points=2,
    inputs=cell_case(n_gates=3, with_c=False),
    examples=[seeded_cell_case(7, 3, 4, 2, n_gates=3, with_c=False),
              seeded_cell_case(8, 2, 2, 3, torch.float32, n_gates=3, with_c=False)],
    max_examples=30,
    hint="torch's order is r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) (r multiplies "
         "the whole hidden term, bias included); h' = (1 - z) * n + z * h.",
)
def _(student, x, h, W_ih, W_hh, b_ih, b_hh):
    assert_close(student.gru_cell(x, h, W_ih, W_hh, b_ih, b_hh),
                 torch_gru_cell(x, h, W_ih, W_hh, b_ih, b_hh), name="h_new",
                 scale=rounding_scale(x, h, W_ih, W_hh, b_ih, b_hh))


@st.composite
def saturated_case(draw) -> dict:
    n, d, h = draw(gst.dims(1, 4)), draw(gst.dims(1, 4)), draw(gst.dims(1, 4))
    dtype = draw(gst.float_dtypes())
    big = draw(st.sampled_from([40.0, 60.0]))
    b_ih = torch.zeros(4 * h, dtype=dtype)
    b_ih[:h] = -big       # i -> 0
    b_ih[h:2 * h] = big   # f -> 1
    b_ih[2 * h:3 * h] = draw(gst.tensors((h,), dtype=dtype, min_value=-3, max_value=3))  # g
    b_ih[3 * h:] = big    # o -> 1
    return {"x": draw(gst.tensors((n, d), dtype=dtype, min_value=-3, max_value=3)),
            "h": draw(gst.tensors((n, h), dtype=dtype, min_value=-1, max_value=1)),
            "c": draw(gst.tensors((n, h), dtype=dtype, min_value=-3, max_value=3)),
            "W_ih": torch.zeros(4 * h, d, dtype=dtype), "W_hh": torch.zeros(4 * h, h, dtype=dtype),
            "b_ih": b_ih, "b_hh": torch.zeros(4 * h, dtype=dtype)}


@suite.test(
    "lstm_cell: with f = 1 and i = 0 the cell state is kept (and h' = tanh(c) when o = 1)",
    functions=("lstm_cell",),
    points=1,
    inputs=saturated_case(),
    max_examples=20,
    hint="With zero weights and biases saturating f -> 1, i -> 0, o -> 1: c' = c and h' = tanh(c').",
)
def _(student, x, h, c, W_ih, W_hh, b_ih, b_hh):
    got = student.lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)
    check(isinstance(got, (tuple, list)) and len(got) == 2,
          f"lstm_cell must return a tuple (h_new, c_new), got {type(got).__name__}")
    h_new, c_new = got
    # |b| = 40 or 60 keeps sigma within 4e-18 of 0 or 1 (exactly 0 or 1 in float32): c' = c and
    # h' = tanh(c) up to rounding, whichever formula; the oracle is tanh in float64, cast back.
    assert_close(c_new, c, name="c_new (should equal c)")
    assert_close(h_new, torch.tanh(c.double()).to(c.dtype), name="h_new (should equal tanh(c))")


@st.composite
def causal_case(draw) -> dict:
    case = draw(sequence_case(min_t=2, max_t=5))
    t_cut = draw(st.integers(0, case["x"].shape[0] - 2))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    noise = torch.randn(case["x"].shape, generator=g, dtype=torch.float64).to(case["x"].dtype)
    noise[: t_cut + 1] = 0
    case.update(t_cut=t_cut, noise=noise)
    return case


@suite.test(
    "lstm_forward: the output at time t ignores inputs after t",
    functions=("lstm_forward",),
    points=1,
    inputs=causal_case(),
    max_examples=20,
    hint="output[t] may depend on x[0..t] only.",
)
def _(student, x, h0, c0, W_ih, W_hh, b_ih, b_hh, t_cut, noise):
    got_a = student.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    got_b = student.lstm_forward(x + noise, h0, c0, W_ih, W_hh, b_ih, b_hh)
    out_a = got_a[0] if isinstance(got_a, (tuple, list)) and got_a else got_a
    out_b = got_b[0] if isinstance(got_b, (tuple, list)) and got_b else got_b
    check(isinstance(out_a, torch.Tensor) and isinstance(out_b, torch.Tensor)
          and tuple(out_a.shape) == (x.shape[0], x.shape[1], h0.shape[1]),
          "lstm_forward must return (output, (h_T, c_T)) with output of shape (T, N, H)")
    # A relation alone passes a constant: the unchanged run must also be the LSTM's output.
    scale = rounding_scale(x + noise, h0, W_ih, W_hh, b_ih, b_hh, c0)
    assert_close(out_a, torch_lstm(x, h0, c0, W_ih, W_hh, b_ih, b_hh)[0], name="output", scale=scale)
    assert_close(out_b[: t_cut + 1], out_a[: t_cut + 1],
                 name=f"output[:{t_cut + 1}] after changing x[{t_cut + 1}:]", scale=scale)
