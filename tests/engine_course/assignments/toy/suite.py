"""A tiny course for the engine's own tests (not a real assignment)."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, assert_equal, assert_raises
from grader.spec import Suite

suite = Suite(
    "toy",
    student_file="toy.py",
    title="Toy",
    functions=("relu_backward", "safe_div", "scale", "count", "use_model"),
    forbidden_calls=("torch.autograd.grad", "torch.Tensor.backward"),
)


@suite.test("relu_backward: ReLU'(0) = 0", functions=("relu_backward",),
            inputs=st.fixed_dictionaries({"z": gst.tensors(gst.shapes(2), dtype=gst.float_dtypes())}),
            hint="ReLU'(0) is 0 by convention.")
def _(student, z):
    dout = torch.ones_like(z)
    assert_close(student.relu_backward(dout, z), (z > 0).to(z.dtype) * dout, name="dz")


@suite.test("safe_div raises ValueError on zero", functions=("safe_div",))
def _(student):
    assert_raises(ValueError, student.safe_div, 1.0, 0.0)


@suite.test("scale doubles", functions=("scale",),
            inputs=st.fixed_dictionaries({"x": gst.tensors(gst.shapes(1))}))
def _(student, x):
    assert_close(student.scale(x), 2 * x)


@suite.test("count returns an int", functions=("count",), inputs=st.fixed_dictionaries({"n": st.integers(0, 50)}))
def _(student, n):
    assert_equal(student.count(list(range(n))), n)


@suite.test("use_model calls the model", functions=("use_model",),
            inputs=st.fixed_dictionaries({"k": st.integers(1, 5)}))
def _(student, k):
    model = gst.built(__file__, "models.py", "adder", k=k)
    assert_equal(student.use_model(model, 3), model.build()(3))
