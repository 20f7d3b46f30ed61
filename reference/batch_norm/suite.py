"""Hidden tests for ``batch_norm``: the visible suite's cases and oracles on 2-D/4-D inputs,
invariants (checked on the oracle too), large eps and argument checks."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite, visible_suite_of

visible = visible_suite_of(__file__)
suite = Suite("batch_norm")
F64 = torch.float64


@suite.test("eval output of a row does not depend on the rest of the batch (oracle checked too)",
            functions=("batch_norm_forward",), points=1, inputs=visible.bn_case(training=False), max_examples=20,
            hint="Eval mode must not compute batch statistics.")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    rest = (gamma, beta, running_mean, running_var, False, momentum, eps)
    want_all, want_one = visible.torch_forward(x, *rest)[0], visible.torch_forward(x[:1], *rest)[0]
    assert_close(want_one, want_all[:1], name="oracle")
    y_all = visible.triple(student.batch_norm_forward(x, *rest), "batch_norm_forward")[0]
    y_one = visible.triple(student.batch_norm_forward(x[:1].clone(), *rest), "batch_norm_forward")[0]
    assert_close(y_one, want_one, **visible.tol(x), name="eval y of the first row alone")
    assert_close(y_all, want_all, **visible.tol(x), name="eval y")


@suite.test("training output per channel has mean beta and variance gamma^2 var / (var + eps)",
            functions=("batch_norm_forward",), points=1, inputs=visible.bn_case(training=True, eps=0.5),
            max_examples=20, hint="eps goes inside the square root: sqrt(var + eps).")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    dims = [0] + list(range(2, x.dim()))
    var = x.to(F64).var(dim=dims, unbiased=False)
    want_var = gamma.to(F64) ** 2 * var / (var + eps)
    args = visible.forward_args({"x": x, "gamma": gamma, "beta": beta, "running_mean": running_mean,
                                 "running_var": running_var, "training": True, "momentum": momentum, "eps": eps})
    y_oracle = visible.torch_forward(*args)[0].to(F64)
    assert_close(y_oracle.var(dim=dims, unbiased=False), want_var.to(F64), rtol=1e-4, atol=1e-5, name="oracle")
    y = visible.triple(student.batch_norm_forward(*args), "batch_norm_forward")[0]
    check(isinstance(y, torch.Tensor) and y.shape == x.shape, "y must have x's shape")
    y = y.to(F64)
    assert_close(y.mean(dim=dims), beta.to(F64), rtol=1e-4, atol=1e-4, name="per-channel mean of y")
    assert_close(y.var(dim=dims, unbiased=False), want_var, rtol=1e-4, atol=1e-4, name="per-channel var of y")


@suite.test("4-D inputs (BatchNorm2d): forward in both modes and backward match torch", points=2,
            functions=("batch_norm_forward", "batch_norm_backward"), inputs=visible.bn_case(ndim=4),
            max_examples=25)
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    args = (x, gamma, beta, running_mean, running_var, training, momentum, eps)
    got, want = visible.triple(student.batch_norm_forward(*args), "batch_norm_forward"), visible.torch_forward(*args)
    a = visible.amp(x, gamma, eps) if training else 1.0
    assert_close(got, want, **visible.tol(x), scale=a, name="(y, running_mean, running_var)")
    dgot = visible.triple(student.batch_norm_backward(dy, x, gamma, eps), "batch_norm_backward")
    dwant = visible.torch_backward(dy, x, gamma, eps)
    s = float(dy.abs().max()) * visible.amp(x, gamma, eps) ** 2 * x.numel() // x.shape[1]
    assert_close(dgot, dwant, **visible.tol(x), scale=s, name="(dx, dgamma, dbeta)")


@suite.test("dx sums to zero per channel and is orthogonal to xhat (oracle checked too)",
            functions=("batch_norm_backward",), points=1, inputs=visible.bn_case(training=True), max_examples=20)
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    x, gamma, dy = x.to(F64), gamma.to(F64), dy.to(F64)
    dims = [0] + list(range(2, x.dim()))
    s = float(dy.abs().max()) * visible.amp(x, gamma, eps) ** 2 * x.numel() // x.shape[1]
    want = visible.torch_backward(dy, x, gamma, eps)[0]
    assert_close(want.sum(dim=dims), torch.zeros(x.shape[1], dtype=F64), atol=1e-9 * s, name="oracle")
    dx = visible.triple(student.batch_norm_backward(dy, x, gamma, eps), "batch_norm_backward")[0]
    assert_close(dx.sum(dim=dims), torch.zeros(x.shape[1], dtype=F64), atol=1e-9 * s, name="per-channel sum of dx")
    assert_close(dx, want, rtol=1e-9, atol=1e-11, scale=s, name="dx")


@suite.test("one value per channel in training, or x of fewer than 2 dimensions, raise ValueError",
            functions=("batch_norm_forward",), points=1,
            inputs=st.just({"c": visible.seeded_case(11, (1, 3))}), max_examples=1)
def _(student, c):
    assert_raises(ValueError, student.batch_norm_forward, c["x"], c["gamma"], c["beta"], c["running_mean"],
                  c["running_var"], True)
    assert_raises(ValueError, student.batch_norm_forward, c["x"][0], c["gamma"], c["beta"], c["running_mean"],
                  c["running_var"], False)
    y = student.batch_norm_forward(c["x"], c["gamma"], c["beta"], c["running_mean"], c["running_var"], False)
    assert_close(visible.triple(y, "batch_norm_forward")[0], visible.torch_forward(*visible.forward_args(
        {**c, "training": False, "momentum": 0.1, "eps": 1e-5}))[0], name="eval y for one row")
