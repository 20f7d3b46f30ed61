"""Hidden tests for ``backprop``: the reference, finite differences, invariants, edge cases."""

from __future__ import annotations

import torch
from hypothesis import assume
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "backprop.py")
suite = Suite("backprop")

ACTIVATIONS = ("relu", "sigmoid", "tanh")
_SMALL_INTS = st.sampled_from([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])  # exact arithmetic, many exact zeros


def _floats(lo: float, hi: float, dtype: torch.dtype = torch.float64, **kw) -> st.SearchStrategy[float]:
    # elements at the drawn dtype's own width: float64 draws carry float64 precision (SPEC §2)
    return gst.float_elements(dtype, lo, hi, **kw)


def _relu_gates_are_clear(x, params, activation) -> bool:
    """No hidden ReLU pre-activation within rounding of 0 (SPEC §2): ReLU' jumps there, so a
    summation order could flip a gradient; such draws are avoided (exact zeros are tested with
    small-integer inputs, where every order gives exactly 0). Same rule as the visible suite."""
    if activation != "relu":
        return True
    h = x.double()
    for W, b in params[:-1]:
        W, b = W.double(), b.double()
        z = h @ W.T + b
        terms = h.abs() @ W.abs().T + b.abs()
        if bool(((z.abs() <= 1e-5 * terms) & ~((z == 0) & (terms == 0))).any()):
            return False
        h = torch.relu(z)
    return True


def _magnitude(*values: torch.Tensor) -> float:
    return max([1.0] + [float(v.abs().max()) for v in values if v.numel()])


def _pair(got, n: int, what: str):
    check(isinstance(got, (tuple, list)) and len(got) == n,
          f"{what} must return a tuple of {n} items, got {type(got).__name__}")
    return got


@st.composite
def mlp_case(draw, activations=st.sampled_from(ACTIVATIONS), dtypes=gst.float_dtypes(),
             elements=None, max_layers=3, min_layers=1, max_side=5):
    dtype = draw(dtypes)
    n = draw(gst.dims(1, 4))
    sizes = draw(st.lists(gst.dims(1, max_side), min_size=min_layers + 1, max_size=max_layers + 1))
    params = []
    for d_in, d_out in zip(sizes, sizes[1:]):
        W = draw(gst.tensors((d_out, d_in), dtype=dtype,
                             elements=_floats(-1.5, 1.5, dtype) if elements is None else elements))
        b = draw(gst.tensors((d_out,), dtype=dtype, elements=_floats(-1, 1, dtype) if elements is None else elements))
        params.append((W, b))
    x_elements = _floats(-3, 3, dtype) if elements is None else elements
    return {"x": draw(gst.tensors((n, sizes[0]), dtype=dtype, elements=x_elements)),
            "y": draw(gst.int_tensors((n,), low=0, high=sizes[-1] - 1)),
            "params": params,
            "activation": draw(activations)}


def _want_grads(x, y, params, activation):
    """The reference's (loss, grads), computed in float64 and cast back to the inputs' dtype."""
    p64 = [(W.double(), b.double()) for W, b in params]
    loss, grads = ref.mlp_loss_and_grads(x.double(), y, p64, activation)
    dtype = x.dtype
    return loss.to(dtype), [(dW.to(dtype), db.to(dtype)) for dW, db in grads]


def _check_mlp_grads(student, x, y, params, activation):
    want = _want_grads(x, y, params, activation)
    got = _pair(student.mlp_loss_and_grads(x, y, params, activation), 2, "mlp_loss_and_grads")
    scale = 10 * _magnitude(want[0], *[t for g in want[1] for t in g])
    assert_close(got[0], want[0], name="loss", scale=scale)
    check(isinstance(got[1], (tuple, list)) and len(got[1]) == len(params),
          f"grads must be a list with one (dW, db) per layer ({len(params)}), got "
          f"{len(got[1]) if isinstance(got[1], (tuple, list)) else type(got[1]).__name__}")
    for i, (g, w) in enumerate(zip(got[1], want[1])):
        assert_close(g, w, name=f"grads[{i}] (dW, db)", scale=scale)


# ---------------------------------------------------------------- linear layer


@st.composite
def linear_case(draw):
    n, d_in, d_out = draw(gst.dims(1, 5)), draw(gst.dims(2, 5)), draw(gst.dims(2, 5))
    dtype = draw(gst.float_dtypes())
    t = lambda *shape: draw(gst.tensors(shape, dtype=dtype, elements=_floats(-5, 5, dtype)))  # noqa: E731
    return {"x": t(n, d_in), "W": t(d_out, d_in), "dz": t(n, d_out), "dz2": t(n, d_out),
            "a": draw(st.sampled_from([2.0, -0.5, 3.0]))}


@suite.test(
    "linear_backward matches the reference; dW = dz.T @ x has W's shape (out, in), db sums over the batch",
    functions=("linear_backward",),
    points=1.5,
    inputs=linear_case(),
    examples=[{"x": torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
               "W": torch.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]]),
               "dz": torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0], [1.0, 1.0, 1.0]]),
               "dz2": torch.zeros(3, 3), "a": 2.0}],
    max_examples=20,
)
def _(student, x, W, dz, dz2, a):
    want = ref.linear_backward(dz.double(), x.double(), W.double())
    got = _pair(student.linear_backward(dz, x, W), 3, "linear_backward")
    scale = _magnitude(dz.abs() @ W.abs(), dz.abs().T @ x.abs())
    for name, g, w in zip(("dx", "dW", "db"), got, want):
        assert_close(g, w.to(x.dtype), name=name, scale=scale)


@suite.test(
    "backward functions are linear in the upstream gradient dout",
    functions=("linear_backward", "relu_backward", "sigmoid_backward", "tanh_backward"),
    points=1,
    inputs=linear_case(),
    max_examples=15,
)
def _(student, x, W, dz, dz2, a):
    # float64 only, so that rounding cannot hide a missing or doubled dout
    x, W, dz, dz2 = (t.double() for t in (x, W, dz, dz2))
    mixed = a * dz + dz2
    g1 = _pair(student.linear_backward(dz, x, W), 3, "linear_backward")
    # a relation alone passes a function that is wrong everywhere (zeros are linear): the
    # base case is checked against the reference first
    for name, g, w in zip(("dx", "dW", "db"), g1, ref.linear_backward(dz, x, W)):
        assert_close(g, w, name=name, scale=_magnitude(dz.abs() @ W.abs(), dz.abs().T @ x.abs()))
    g2 = _pair(student.linear_backward(dz2, x, W), 3, "linear_backward")
    gm = _pair(student.linear_backward(mixed, x, W), 3, "linear_backward")
    for name, u, v, m in zip(("dx", "dW", "db"), g1, g2, gm):
        assert_close(m, a * u + v, name=f"linear_backward(a*dz1 + dz2) {name} vs a*{name}1 + {name}2",
                     scale=_magnitude(mixed.abs() @ W.abs(), mixed.abs().T @ x.abs()))
    z = x @ W.T  # any pre-activation of the right shape, with its sign pattern
    for fn in ("relu_backward", "sigmoid_backward", "tanh_backward"):
        f = getattr(student, fn)
        assert_close(f(dz, z), getattr(ref, fn)(dz, z), name=f"{fn}(dz, z)", scale=_magnitude(dz))
        assert_close(f(mixed, z), a * f(dz, z) + f(dz2, z), name=f"{fn}(a*d1 + d2, z) vs a*{fn}(d1, z) + {fn}(d2, z)",
                     scale=_magnitude(mixed))


@st.composite
def fd_linear_case(draw):
    n, d_in, d_out = draw(gst.dims(1, 4)), draw(gst.dims(1, 4)), draw(gst.dims(1, 4))
    t = lambda *shape: draw(gst.tensors(shape, dtype=torch.float64, elements=_floats(-3, 3)))  # noqa: E731
    return {"x": t(n, d_in), "W": t(d_out, d_in), "b": t(d_out), "dz": t(n, d_out)}


@suite.test(
    "linear_forward and linear_backward agree with central finite differences (float64)",
    functions=("linear_forward", "linear_backward"),
    points=1,
    inputs=fd_linear_case(),
    max_examples=10,
)
def _(student, x, W, b, dz):
    # the scalar L = <dz, linear_forward(x, W, b)>; its gradients are linear_backward's answers
    z = student.linear_forward(x, W, b)
    assert_close(z, x @ W.T + b, name="z")
    h = 1e-3  # L is linear in each argument, so central differences are exact up to rounding

    def numeric(t: torch.Tensor, which: int) -> torch.Tensor:
        g = torch.zeros_like(t)
        for i in range(t.numel()):
            args = [x.clone(), W.clone(), b.clone()]
            args[which].view(-1)[i] += h
            up = (dz * (args[0] @ args[1].T + args[2])).sum()
            args[which].view(-1)[i] -= 2 * h
            down = (dz * (args[0] @ args[1].T + args[2])).sum()
            g.view(-1)[i] = (up - down) / (2 * h)
        return g

    got = _pair(student.linear_backward(dz, x, W), 3, "linear_backward")
    for name, g, t, which in (("dx", got[0], x, 0), ("dW", got[1], W, 1), ("db", got[2], b, 2)):
        assert_close(g, numeric(t, which), name=f"{name} vs finite differences", rtol=1e-6, atol=1e-7,
                     scale=_magnitude(dz) * 10)


# ---------------------------------------------------------------- activations


@suite.test(
    "sigmoid_backward and tanh_backward match the reference; z is the pre-activation",
    functions=("sigmoid_backward", "tanh_backward"),
    points=1,
    inputs=st.fixed_dictionaries({
        # both dtypes; |z| out to 1e4 where exp(-z) overflows, yet sigma'(z) and tanh'(z) are finite
        "z": gst.dtype_tensors(gst.shapes(2, max_side=4), dtype=gst.float_dtypes(), min_value=-6, max_value=6,
                               extreme=1e4),
    }),
    examples=[
        {"z": torch.tensor([[0.0, 1.0, -1.0, 2.0, -3.0, 0.25]], dtype=torch.float64)},
        {"z": torch.tensor([[0.0, 0.5], [4.0, -0.5]])},
        {"z": torch.tensor([[-1000.0, -100.0, 100.0, 1000.0, -1e4, 1e4]], dtype=torch.float64)},
        {"z": torch.tensor([[-100.0, -89.0, 89.0, 1e4]])},
    ],
    max_examples=15,
)
def _(student, z):
    dout = torch.linspace(-2.0, 3.0, z.numel(), dtype=z.dtype, device=z.device).reshape(z.shape)
    assert_close(student.sigmoid_backward(dout, z), ref.sigmoid_backward(dout, z), name="sigmoid_backward")
    assert_close(student.tanh_backward(dout, z), ref.tanh_backward(dout, z), name="tanh_backward")


# ---------------------------------------------------------------- softmax cross-entropy


@st.composite
def ce_case(draw, scale=st.sampled_from([1.0, 1e4])):
    # batch 1 and a single class (C = 1: loss 0, dlogits 0) are drawn; |logits| up to 1e4
    n, c = draw(gst.dims(1, 5)), draw(gst.dims(1, 6))
    dtype = draw(gst.float_dtypes())
    logits = draw(gst.tensors((n, c), dtype=dtype, elements=_floats(-1, 1, dtype))) * draw(scale)
    return {"logits": logits, "y": draw(gst.int_tensors((n,), low=0, high=c - 1))}


_HUGE = [
    {"logits": torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, 1e4]]), "y": torch.tensor([1, 2, 0])},
    {"logits": torch.tensor([[-1e4, -1e4 + 2.0, -1e4 + 1.0]], dtype=torch.float64), "y": torch.tensor([0])},
    {"logits": torch.tensor([[1e4, 9999.0], [-9999.5, -1e4]]), "y": torch.tensor([0, 0])},
]


@suite.test(
    "softmax_cross_entropy is stable for |logits| up to 1e4: finite, loss >= 0, rows of dlogits sum to 0",
    functions=("softmax_cross_entropy",),
    points=1.5,
    inputs=ce_case(),
    examples=_HUGE,
    max_examples=20,
)
def _(student, logits, y):
    loss, dl = _pair(student.softmax_cross_entropy(logits, y), 2, "softmax_cross_entropy")
    want_loss, want_dl = ref.softmax_cross_entropy(logits.double(), y)
    assert_close(loss, want_loss.to(logits.dtype), name="loss", scale=_magnitude(logits))
    assert_close(dl, want_dl.to(logits.dtype), name="dlogits", scale=_magnitude(logits))
    check(bool(torch.isfinite(loss)) and float(loss) >= -1e-6 * _magnitude(logits),
          f"loss must be finite and >= 0, got {float(loss)!r}")
    row_sums = dl.double().sum(dim=1)
    tol = (1e-5 if logits.dtype == torch.float32 else 1e-12) * _magnitude(logits)
    check(bool((row_sums.abs() <= tol).all()), f"each row of dlogits must sum to 0, got row sums {row_sums.tolist()}")


@suite.test(
    "softmax_cross_entropy averages over the batch: repeating the batch keeps the loss, halves dlogits",
    functions=("softmax_cross_entropy",),
    points=1,
    inputs=ce_case(scale=st.just(5.0)),
    max_examples=15,
)
def _(student, logits, y):
    loss1, dl1 = _pair(student.softmax_cross_entropy(logits, y), 2, "softmax_cross_entropy")
    loss2, dl2 = _pair(student.softmax_cross_entropy(torch.cat([logits, logits]), torch.cat([y, y])), 2,
                       "softmax_cross_entropy")
    want_loss, want_dl = ref.softmax_cross_entropy(logits, y)
    assert_close(loss1, want_loss, name="loss", scale=5.0)
    assert_close(loss2, want_loss, name="loss of the batch repeated twice (a mean, not a sum)", scale=5.0)
    assert_close(dl2, torch.cat([want_dl, want_dl]) / 2, name="dlogits of the batch repeated twice (1/N)", scale=5.0)
    assert_close(dl1, want_dl, name="dlogits", scale=5.0)


# ---------------------------------------------------------------- the MLP


@suite.test(
    "mlp_forward matches the reference (no activation after the last layer)",
    functions=("mlp_forward",),
    points=1,
    inputs=mlp_case(),
    examples=[
        {"x": torch.tensor([[1.0, -2.0]]), "y": torch.tensor([0]),
         "params": [(torch.tensor([[1.0, 1.0], [-1.0, 2.0]]), torch.tensor([0.0, -10.0]))], "activation": "relu"},
        {"x": torch.tensor([[1.0, -2.0]], dtype=torch.float64), "y": torch.tensor([0]),
         "params": [(torch.tensor([[1.0, 1.0], [-1.0, 2.0]], dtype=torch.float64),
                     torch.tensor([0.0, 1.0], dtype=torch.float64)),
                    (torch.tensor([[2.0, -1.0], [-3.0, 1.0]], dtype=torch.float64),
                     torch.tensor([-5.0, 0.0], dtype=torch.float64))],
         "activation": "tanh"},
    ],
    max_examples=15,
)
def _(student, x, y, params, activation):
    want = ref.mlp_forward(x.double(), [(W.double(), b.double()) for W, b in params], activation)
    assert_close(student.mlp_forward(x, params, activation), want.to(x.dtype), name="logits", scale=_magnitude(want))


@suite.test(
    "mlp_forward raises ValueError for an unknown activation",
    functions=("mlp_forward",),
    points=0.5,
    inputs=mlp_case(min_layers=2, max_layers=2,
                    activations=st.sampled_from(["gelu", "leaky_relu", "identity", "softplus"])),
    max_examples=4,
)
def _(student, x, y, params, activation):
    # only mlp_forward: the SPEC documents the ValueError there
    assert_raises(ValueError, student.mlp_forward, x, params, activation)


@suite.test(
    "mlp_loss_and_grads matches the reference for relu, sigmoid and tanh, grads in layer order",
    functions=("mlp_loss_and_grads",),
    points=2,
    inputs=mlp_case(),
    examples=[
        {"x": torch.tensor([[0.5, -1.0, 2.0], [1.0, 1.0, -1.0]]), "y": torch.tensor([1, 0]),
         "params": [(torch.tensor([[0.5, -1.0, 0.2], [1.0, 0.3, -0.7]]), torch.tensor([0.1, -0.2])),
                    (torch.tensor([[1.0, -2.0], [0.5, 0.5], [-1.0, 1.5]]), torch.tensor([0.0, 0.3, -0.1])),
                    (torch.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]), torch.tensor([0.2, -0.4]))],
         "activation": "sigmoid"},
    ],
    max_examples=20,
)
def _(student, x, y, params, activation):
    assume(_relu_gates_are_clear(x, params, activation))
    _check_mlp_grads(student, x, y, params, activation)


@suite.test(
    "mlp_loss_and_grads: exact-zero pre-activations pass no gradient (ReLU'(0) = 0)",
    functions=("mlp_loss_and_grads",),
    points=1,
    inputs=mlp_case(activations=st.just("relu"), dtypes=st.just(torch.float64), elements=_SMALL_INTS, min_layers=2),
    examples=[
        {"x": torch.tensor([[1.0, -1.0], [2.0, 0.0]], dtype=torch.float64), "y": torch.tensor([0, 1]),
         "params": [(torch.tensor([[1.0, 1.0], [0.0, 3.0], [-1.0, 0.5]], dtype=torch.float64),
                     torch.tensor([0.0, 0.0, 0.0], dtype=torch.float64)),
                    (torch.tensor([[1.0, -2.0, 0.5], [0.5, 1.0, -1.0]], dtype=torch.float64),
                     torch.tensor([0.1, -0.1], dtype=torch.float64))],
         "activation": "relu"},
    ],
    max_examples=15,
)
def _(student, x, y, params, activation):
    _check_mlp_grads(student, x, y, params, activation)


@suite.test(
    "mlp_loss_and_grads agrees with central finite differences of mlp_forward's loss (float64)",
    functions=("mlp_loss_and_grads",),
    points=1,
    inputs=mlp_case(activations=st.sampled_from(["sigmoid", "tanh"]), dtypes=st.just(torch.float64), max_layers=2,
                    max_side=3),
    max_examples=6,
)
def _(student, x, y, params, activation):
    def loss_at(p):
        logits = ref.mlp_forward(x, p, activation)
        return float(torch.nn.functional.cross_entropy(logits, y))

    h = 1e-6
    numeric = []
    for i, (W, b) in enumerate(params):
        pair = []
        for j, t in enumerate((W, b)):
            g = torch.zeros_like(t)
            for k in range(t.numel()):
                bumped = [(W_.clone(), b_.clone()) for W_, b_ in params]
                bumped[i][j].view(-1)[k] += h
                up = loss_at(bumped)
                bumped[i][j].view(-1)[k] -= 2 * h
                down = loss_at(bumped)
                g.view(-1)[k] = (up - down) / (2 * h)
            pair.append(g)
        numeric.append(tuple(pair))
    got = _pair(student.mlp_loss_and_grads(x, y, params, activation), 2, "mlp_loss_and_grads")
    assert_close(got[1], numeric, name="grads vs finite differences", rtol=1e-5, atol=1e-6)
