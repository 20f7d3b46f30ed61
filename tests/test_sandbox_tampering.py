"""Undoing the worker's call tracers does not let a forbidden call pass: the source is read too."""

from __future__ import annotations

from grader.grading import GradeOptions, grade_submission

RESTORES_AUTOGRAD = '''
import importlib
import torch
import torch.autograd

importlib.reload(torch.autograd)  # puts the real torch.autograd.grad back over the tracer


def linear_forward(x, W, b):
    return x @ W.T + b


def linear_backward(dz, x, W):
    x = x.detach().requires_grad_(True)
    W = W.detach().requires_grad_(True)
    b = torch.zeros(W.shape[0], dtype=x.dtype, requires_grad=True)
    dx, dW, db = torch.autograd.grad(x @ W.T + b, (x, W, b), dz)
    return dx, dW, db
'''


def test_restoring_a_forbidden_function_is_still_a_violation(course, make_submission) -> None:
    folder = make_submission({"backprop.py": RESTORES_AUTOGRAD})
    result = grade_submission(folder, course, GradeOptions(only=("backprop",), max_examples=2))
    (assignment,) = result.assignments
    assert assignment.score == 0
    # Every test of the function that refers to autograd is a violation; the reload itself
    # broke the import, so the others are errors, never passes.
    assert {t.status for t in assignment.tests if "linear_backward" in t.functions} == {"violation"}
    assert {t.status for t in assignment.tests if "linear_backward" not in t.functions} == {"error"}
    # The static scan says where, not that anything was called at import.
    assert assignment.message.startswith("backprop.py refers to torch.autograd.grad (in linear_backward)")
    assert "no test of backprop was run" in assignment.message
