"""Visible tests for ``backprop``: every oracle here is torch's own autograd (run by the grader,
never by your code) or a torch builtin, so ``grader check`` needs no reference solution."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite

suite = Suite(
    "backprop",
    student_file="backprop.py",
    title="Backpropagation by hand",
    functions=(
        "linear_forward",
        "linear_backward",
        "relu_forward",
        "relu_backward",
        "sigmoid_backward",
        "tanh_backward",
        "softmax_cross_entropy",
        "mlp_forward",
        "mlp_loss_and_grads",
    ),
    # Shapes alone decide what each function computes: all of them are checked for device
    # discipline on the meta device when grading on the CPU (grader.checks.device).
    meta_safe=(
        "linear_forward",
        "linear_backward",
        "relu_forward",
        "relu_backward",
        "sigmoid_backward",
        "tanh_backward",
        "softmax_cross_entropy",
        "mlp_forward",
        "mlp_loss_and_grads",
    ),
    # Everything that computes a gradient for you. The worker wraps these names and reports a
    # call as a violation (vmap, functional_call and no_grad compute no gradient: allowed).
    forbidden_calls=(
        "torch.Tensor.backward",
        "torch.autograd.backward",
        "torch.autograd.grad",
        "torch.autograd.functional.jacobian",
        "torch.autograd.functional.hessian",
        "torch.autograd.functional.vjp",
        "torch.autograd.functional.jvp",
        "torch.autograd.functional.vhp",
        "torch.autograd.functional.hvp",
        "torch.autograd.forward_ad.make_dual",
        "torch.autograd.forward_ad.unpack_dual",
        "torch.func.grad",
        "torch.func.grad_and_value",
        "torch.func.vjp",
        "torch.func.jvp",
        "torch.func.jacrev",
        "torch.func.jacfwd",
        "torch.func.hessian",
        "torch.func.linearize",
    ),
)

ACTIVATIONS = ("relu", "sigmoid", "tanh")
_TORCH_ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def _floats(lo: float, hi: float, dtype: torch.dtype = torch.float64, **kw) -> st.SearchStrategy[float]:
    # elements at the drawn dtype's own width: float64 draws carry float64 precision (SPEC §2)
    return gst.float_elements(dtype, lo, hi, **kw)


def _with_zeros(lo: float, hi: float, dtype: torch.dtype = torch.float64, **kw) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] where exact zeros (and -0.0) are frequent: ReLU'(0) lives there."""
    return _floats(lo, hi, dtype, specials=(0.0, -0.0), **kw)


def relu_gates_are_clear(x, params, activation) -> bool:
    """No hidden ReLU pre-activation lies within rounding of 0 (SPEC §2: no verdict hinges on
    rounding). ReLU'(z) jumps at 0, so a pre-activation of 1e-17 in one summation order and
    -1e-17 in another would flip a gradient; such draws are avoided, not judged. Exact zeros
    are kept only where the inputs are small integers (there every order gives exactly 0)."""
    if activation != "relu":
        return True
    h = x.double()
    for W, b in params[:-1]:
        W, b = W.double(), b.double()
        z = h @ W.T + b
        terms = h.abs() @ W.abs().T + b.abs()
        exact_zero = (z == 0) & (terms == 0)
        if bool(((z.abs() <= 1e-5 * terms) & ~exact_zero).any()):
            return False
        h = torch.relu(z)
    return True


def _grads64(fn, *tensors: torch.Tensor):
    """Value and gradients of ``fn`` in float64 by torch autograd (the grader's oracle)."""
    leaves = [t.detach().to(torch.float64).requires_grad_(True) for t in tensors]
    out = fn(*leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return out.detach(), [torch.zeros_like(t) if g is None else g for g, t in zip(grads, leaves)]


def _magnitude(*values: torch.Tensor) -> float:
    """Scale for atol: float32 sums of products lose ~eps relative to the sum of |terms|."""
    return max([1.0] + [float(v.abs().max()) for v in values if v.numel()])


@st.composite
def linear_case(draw):
    n, d_in, d_out = draw(gst.dims(1, 5)), draw(gst.dims(1, 5)), draw(gst.dims(1, 5))
    dtype = draw(gst.float_dtypes())
    t = lambda *shape: draw(gst.tensors(shape, dtype=dtype, min_value=-5, max_value=5))  # noqa: E731
    return {"x": t(n, d_in), "W": t(d_out, d_in), "b": t(d_out), "dz": t(n, d_out)}


@suite.test(
    "linear_forward and linear_backward match torch autograd",
    functions=("linear_forward", "linear_backward"),
    points=2,
    inputs=linear_case(),
    examples=[
        {"x": torch.tensor([[1.0, 2.0, 3.0]]), "W": torch.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]),
         "b": torch.tensor([0.5, -1.0]), "dz": torch.tensor([[1.0, -2.0]])},
        {"x": torch.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], dtype=torch.float64),
         "W": torch.tensor([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5], [0.0, 1.0]], dtype=torch.float64),
         "b": torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64),
         "dz": torch.tensor([[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 1.0, 0.0], [2.0, -3.0, 0.0, 1.0]], dtype=torch.float64)},
    ],
    max_examples=25,
    hint="W has shape (out, in) like torch.nn.Linear: z = x @ W.T + b, so dx = dz @ W (N, in), "
         "dW = dz.T @ x (out, in), and db sums dz over the batch (out,).",
)
def _(student, x, W, b, dz):
    dtype = x.dtype
    z64 = F.linear(x.double(), W.double(), b.double())
    z = student.linear_forward(x, W, b)
    assert_close(z, z64.to(dtype), name="z", scale=_magnitude(x.abs() @ W.abs().T + b.abs()))
    _, (dx, dW, db) = _grads64(lambda x_, W_, b_: (F.linear(x_, W_, b_) * dz.double()).sum(), x, W, b)
    got = student.linear_backward(dz, x, W)
    assert_close(got, (dx.to(dtype), dW.to(dtype), db.to(dtype)), name="(dx, dW, db)",
                 scale=_magnitude(dz.abs() @ W.abs(), dz.abs().T @ x.abs()))


@st.composite
def relu_case(draw):
    shape = draw(gst.shapes(2, max_side=5))
    dtype = draw(gst.float_dtypes())
    # z is the student's input, so z > 0 is decided on exact values: no rounding near the jump
    return {"z": draw(gst.tensors(shape, dtype=dtype, elements=_with_zeros(-5, 5, dtype))),
            "dout": draw(gst.tensors(shape, dtype=dtype, elements=_floats(-5, 5, dtype)))}


@suite.test(
    "relu_forward and relu_backward, with ReLU'(0) = 0",
    functions=("relu_forward", "relu_backward"),
    points=1,
    inputs=relu_case(),
    examples=[
        {"z": torch.tensor([[0.0, -1.0, 2.0], [-0.0, 3.0, 0.0]]),
         "dout": torch.tensor([[5.0, 6.0, 7.0], [8.0, -9.0, 10.0]])},
        {"z": torch.zeros(2, 2, dtype=torch.float64), "dout": torch.ones(2, 2, dtype=torch.float64)},
    ],
    max_examples=25,
    hint="The derivative of ReLU at exactly z = 0 is 0 by the SPEC's convention (use z > 0, "
         "not z >= 0), and the result is dout times that derivative.",
)
def _(student, z, dout):
    assert_close(student.relu_forward(z), torch.relu(z), name="relu_forward(z)")
    want = torch.where(z > 0, dout, torch.zeros_like(dout))
    assert_close(student.relu_backward(dout, z), want, name="relu_backward(dout, z)")


@st.composite
def squash_case(draw):
    shape = draw(gst.shapes(2, max_side=5))
    dtype = draw(gst.float_dtypes())
    # extreme=1e4: pre-activations out to |z| = 1e4 (sigma'(-100), tanh'(30): finite, tiny),
    # where exp(-z) overflows; the true derivative is finite there (SPEC §2)
    return {"z": draw(gst.tensors(shape, dtype=dtype, elements=_with_zeros(-8, 8, dtype, extreme=1e4))),
            "dout": draw(gst.tensors(shape, dtype=dtype, elements=_floats(-5, 5, dtype)))}


@suite.test(
    "sigmoid_backward and tanh_backward match autograd at the pre-activation z",
    functions=("sigmoid_backward", "tanh_backward"),
    points=1.5,
    inputs=squash_case(),
    examples=[{"z": torch.tensor([[0.0, 0.5, -2.0, 3.0]]), "dout": torch.tensor([[1.0, 1.0, 2.0, -1.0]])},
              {"z": torch.tensor([[-1000.0, -100.0, 100.0, 1000.0, -30.0]], dtype=torch.float64),
               "dout": torch.ones(1, 5, dtype=torch.float64)},
              {"z": torch.tensor([[-100.0], [-90.0], [45.0]]), "dout": torch.ones(3, 1)}],
    max_examples=25,
    hint="Finite for |z| up to 1e4 (exp(-z) overflows at z = -1000). z is the PRE-activation: "
         "sigmoid'(z) = s(1 - s) with s = sigmoid(z), and "
         "tanh'(z) = 1 - tanh(z)^2. Do not plug z itself in where s or tanh(z) belongs.",
)
def _(student, z, dout):
    for name, fn in (("sigmoid_backward", torch.sigmoid), ("tanh_backward", torch.tanh)):
        _, (dz,) = _grads64(lambda z_, fn=fn: (fn(z_) * dout.double()).sum(), z)
        assert_close(getattr(student, name)(dout, z), dz.to(z.dtype), name=f"{name}(dout, z)")


@st.composite
def ce_case(draw, scale=st.sampled_from([10.0, 10.0, 10.0, 100.0, 1e4])):
    # |logits| up to the handout's 1e4 (not beyond: elements in [-1, 1] times the scale)
    n, c = draw(gst.dims(1, 5)), draw(gst.dims(2, 5))
    dtype = draw(gst.float_dtypes())
    s = draw(scale)
    logits = draw(gst.tensors((n, c), dtype=dtype, elements=_floats(-1, 1, dtype))) * s
    return {"logits": logits, "y": draw(gst.int_tensors((n,), low=0, high=c - 1))}


def check_cross_entropy(student, logits: torch.Tensor, y: torch.Tensor) -> None:
    loss64, (dl64,) = _grads64(lambda l_: F.cross_entropy(l_, y), logits)
    got = student.softmax_cross_entropy(logits, y)
    check(isinstance(got, (tuple, list)) and len(got) == 2,
          f"softmax_cross_entropy must return a pair (loss, dlogits), got {type(got).__name__}")
    # rounding errors grow with |logits| (logsumexp of 1e4 in float32 is only good to ~1e-3)
    assert_close(got[0], loss64.to(logits.dtype), name="loss", scale=_magnitude(logits))
    assert_close(got[1], dl64.to(logits.dtype), name="dlogits", scale=_magnitude(logits))


@suite.test(
    "softmax_cross_entropy matches torch cross_entropy (mean over the batch), stable at |logits| = 1e4",
    functions=("softmax_cross_entropy",),
    points=2,
    inputs=ce_case(),
    examples=[
        {"logits": torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), "y": torch.tensor([2, 0])},
        {"logits": torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]]), "y": torch.tensor([1, 2])},
        {"logits": torch.tensor([[1e4, 1e4 - 5.0], [-1e4, -1e4 + 1.0]], dtype=torch.float64),
         "y": torch.tensor([1, 0])},
        {"logits": torch.tensor([[0.5], [-3.0]], dtype=torch.float64), "y": torch.tensor([0, 0])},
    ],
    max_examples=25,
    hint="loss = mean_n (logsumexp(logits_n) - logits_n[y_n]), a 0-dim tensor; dlogits = "
         "(softmax(logits) - onehot(y)) / N. Subtract each row's max before exp, or exp overflows "
         "at logits of 1e4.",
)
def _(student, logits, y):
    check_cross_entropy(student, logits, y)


@st.composite
def mlp_case(draw, activations=st.sampled_from(ACTIVATIONS), max_layers=3):
    dtype = draw(gst.float_dtypes())
    n = draw(gst.dims(1, 4))
    sizes = draw(st.lists(gst.dims(1, 5), min_size=2, max_size=max_layers + 1))
    params = []
    for d_in, d_out in zip(sizes, sizes[1:]):
        W = draw(gst.tensors((d_out, d_in), dtype=dtype, elements=_floats(-1.5, 1.5, dtype)))
        b = draw(gst.tensors((d_out,), dtype=dtype, elements=_floats(-1, 1, dtype)))
        params.append((W, b))
    return {"x": draw(gst.tensors((n, sizes[0]), dtype=dtype, elements=_floats(-3, 3, dtype))),
            "y": draw(gst.int_tensors((n,), low=0, high=sizes[-1] - 1)),
            "params": params,
            "activation": draw(activations)}


def torch_mlp(x, params, activation):
    h = x
    for i, (W, b) in enumerate(params):
        h = F.linear(h, W, b)
        if i < len(params) - 1:
            h = _TORCH_ACT[activation](h)
    return h


def _flat(params):
    return [t for layer in params for t in layer]


@suite.test(
    "mlp_forward matches torch layers; ValueError for an unknown activation",
    functions=("mlp_forward",),
    points=1.5,
    inputs=mlp_case(),
    max_examples=20,
    hint="Every layer but the LAST is followed by the activation (the output is raw logits); "
         "activation must be 'relu', 'sigmoid' or 'tanh', anything else raises ValueError.",
)
def _(student, x, y, params, activation):
    want = torch_mlp(x.double(), [(W.double(), b.double()) for W, b in params], activation)
    got = student.mlp_forward(x, params, activation)
    assert_close(got, want.to(x.dtype), name="logits", scale=_magnitude(want))
    if len(params) >= 2:
        for bad in ("gelu", "softmax"):
            assert_raises(ValueError, student.mlp_forward, x, params, bad)


@suite.test(
    "mlp_loss_and_grads matches torch autograd, one (dW, db) per layer in order",
    functions=("mlp_loss_and_grads",),
    points=2.5,
    inputs=mlp_case(),
    max_examples=20,
    hint="grads[i] = (dW_i, db_i) for params[i] (first layer first); backpropagate through the "
         "activation with the PRE-activation z of that layer; the last layer has no activation.",
)
def _(student, x, y, params, activation):
    assume(relu_gates_are_clear(x, params, activation))
    flat = _flat(params)

    def loss_of(*leaves):
        pairs = list(zip(leaves[0::2], leaves[1::2]))
        return F.cross_entropy(torch_mlp(x.double(), pairs, activation), y)

    loss, grads = _grads64(loss_of, *flat)
    want = (loss.to(x.dtype), [(grads[2 * i].to(x.dtype), grads[2 * i + 1].to(x.dtype)) for i in range(len(params))])
    got = student.mlp_loss_and_grads(x, y, params, activation)
    assert_close(got, want, name="(loss, grads)", scale=10 * _magnitude(loss, *grads))
