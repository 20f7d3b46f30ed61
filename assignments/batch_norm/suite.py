"""Visible tests for ``batch_norm``: the oracles are torch.nn.functional.batch_norm (what
BatchNorm1d/2d call) in float64 and its autograd; the hidden suite reuses them."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "batch_norm",
    student_file="batch_norm.py",
    title="Batch normalisation: train and eval forward, backward by hand",
    functions=("batch_norm_forward", "batch_norm_backward"),
    meta_safe=("batch_norm_backward",),
    forbidden_calls=("torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.BatchNorm1d",
                     "torch.nn.BatchNorm2d", "torch.native_batch_norm", "torch.autograd.grad"),
)

F64 = torch.float64


# ---------------------------------------------------------------------------- cases

def seeded_case(seed: int, shape=(4, 3), dtype=F64, training=True, momentum=0.1, eps=1e-5) -> dict:
    g = torch.Generator().manual_seed(seed)
    C = shape[1]

    def r(*s):
        return torch.randn(s, generator=g, dtype=F64)

    x = (r(*shape) * 2 + 1).to(dtype)
    return {"x": x, "gamma": (r(C) + 1).to(dtype), "beta": r(C).to(dtype), "running_mean": r(C).to(dtype),
            "running_var": (torch.rand(C, generator=g, dtype=F64) + 0.5).to(dtype), "training": training,
            "momentum": momentum, "eps": eps, "dy": r(*shape).to(dtype)}


@st.composite
def bn_case(draw, ndim=None, training=None, eps=None) -> dict:
    ndim = draw(st.sampled_from([2, 3, 4])) if ndim is None else ndim
    shape = [draw(st.integers(2, 5)), draw(st.integers(1, 4))] + [draw(st.integers(1, 3)) for _ in range(ndim - 2)]
    return seeded_case(draw(st.integers(0, 2**31 - 1)), tuple(shape), draw(st.sampled_from([F64, torch.float32])),
                       draw(st.booleans()) if training is None else training,
                       draw(st.sampled_from([0.1, 0.3, 1.0])),
                       draw(st.sampled_from([1e-5, 1e-3, 0.5])) if eps is None else eps)


# ---------------------------------------------------------------------------- oracles

def torch_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """(y, new running mean, new running var) from torch, float64, cast back."""
    rm, rv = running_mean.to(F64).clone(), running_var.to(F64).clone()
    y = F.batch_norm(x.to(F64), rm, rv, gamma.to(F64), beta.to(F64), training, momentum, eps)
    return y.to(x.dtype), rm.to(x.dtype), rv.to(x.dtype)


def torch_backward(dy, x, gamma, eps=1e-5):
    """(dx, dgamma, dbeta) of the training-mode forward, by autograd in float64."""
    x64 = x.detach().to(F64).clone().requires_grad_(True)
    g64 = gamma.detach().to(F64).clone().requires_grad_(True)
    b64 = torch.zeros_like(g64, requires_grad=True)
    y = F.batch_norm(x64, None, None, g64, b64, True, 0.0, eps)
    dx, dg, db = torch.autograd.grad(y, (x64, g64, b64), dy.to(F64))
    return dx.to(x.dtype), dg.to(x.dtype), db.to(x.dtype)


def triple(got, what):
    check(isinstance(got, (tuple, list)) and len(got) == 3, f"{what} must return three tensors")
    return tuple(got)


def forward_args(case):
    return tuple(case[k] for k in ("x", "gamma", "beta", "running_mean", "running_var", "training",
                                   "momentum", "eps"))


def amp(x, gamma, eps) -> float:
    """How much rounding in x grows through 1/sigma: tolerances are scaled by it."""
    dims = [0] + list(range(2, x.dim()))
    var = x.detach().to(F64).var(dim=dims, unbiased=False).min()
    return max(1.0, float(gamma.detach().abs().max()) * float(x.detach().abs().max()) / float(torch.sqrt(var + eps)))


def tol(x) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if x.dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-11}


# ---------------------------------------------------------------------------- tests

@suite.test("training forward output matches torch.nn.BatchNorm1d/2d (biased batch variance)",
            functions=("batch_norm_forward",), points=2, inputs=bn_case(training=True),
            examples=[seeded_case(1), seeded_case(2, (3, 2, 2, 2), eps=0.5)], max_examples=30,
            hint="Normalise with the biased variance (divide by n), eps inside the square root.")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    args = (x, gamma, beta, running_mean, running_var, training, momentum, eps)
    got = triple(student.batch_norm_forward(*args), "batch_norm_forward")
    assert_close(got[0], torch_forward(*args)[0], **tol(x), scale=amp(x, gamma, eps), name="y")


@suite.test("training forward updates the running statistics as torch does (unbiased variance, momentum)",
            functions=("batch_norm_forward",), points=2, inputs=bn_case(training=True),
            examples=[seeded_case(3, momentum=0.3), seeded_case(4, (2, 3, 3))], max_examples=30,
            hint="new = (1 - momentum) * old + momentum * batch statistic; the variance is unbiased (n - 1).")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    args = (x, gamma, beta, running_mean, running_var, training, momentum, eps)
    got = triple(student.batch_norm_forward(*args), "batch_norm_forward")
    want = torch_forward(*args)
    assert_close(got[1], want[1], **tol(x), name="new running_mean")
    assert_close(got[2], want[2], **tol(x), name="new running_var")


@suite.test("eval forward uses the running statistics and leaves them unchanged",
            functions=("batch_norm_forward",), points=2, inputs=bn_case(training=False),
            examples=[seeded_case(5, training=False), seeded_case(6, (2, 2, 2, 3), training=False, eps=0.5)],
            max_examples=30, hint="In eval mode the batch's own mean and variance are not used.")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    args = (x, gamma, beta, running_mean, running_var, training, momentum, eps)
    got, want = triple(student.batch_norm_forward(*args), "batch_norm_forward"), torch_forward(*args)
    assert_close(got, want, **tol(x), name="(y, running_mean, running_var)")


@suite.test("batch_norm_backward: dx matches autograd through torch's batch norm",
            functions=("batch_norm_backward",), points=2, inputs=bn_case(training=True),
            examples=[seeded_case(7), seeded_case(8, (3, 2, 2, 2), eps=0.5)], max_examples=30,
            hint="dx = (1/sigma) (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means per channel.")
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    got = triple(student.batch_norm_backward(dy, x, gamma, eps), "batch_norm_backward")
    s = float(dy.abs().max()) * amp(x, gamma, eps) ** 2
    assert_close(got[0], torch_backward(dy, x, gamma, eps)[0], **tol(x), scale=s, name="dx")


@suite.test("batch_norm_backward: dgamma and dbeta match autograd",
            functions=("batch_norm_backward",), points=1, inputs=bn_case(training=True),
            examples=[seeded_case(9), seeded_case(10, (2, 3, 4))], max_examples=30)
def _(student, x, gamma, beta, running_mean, running_var, training, momentum, eps, dy):
    got, want = triple(student.batch_norm_backward(dy, x, gamma, eps), "batch_norm_backward"), \
        torch_backward(dy, x, gamma, eps)
    s = float(dy.abs().max()) * amp(x, gamma, eps) * x.numel() // x.shape[1]
    assert_close(got[1:], want[1:], **tol(x), scale=s, name="(dgamma, dbeta)")
