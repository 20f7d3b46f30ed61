"""A function that changes its arguments in place fails the test that called it (SPEC §2)."""

from __future__ import annotations

import torch
from test_engine_grading import FAST, grade_source, toy_course, with_function  # noqa: F401 - fixture

from grader.sandbox.arguments import changes, snapshot


def _f(x, params, *, scale=1.0):
    return x


def test_a_change_names_the_argument_and_its_first_changed_index() -> None:
    x = torch.tensor([[1.0, float("nan")], [3.0, 4.0]])
    params = [(torch.zeros(2), torch.ones(1))]
    before = snapshot(_f, [x, params], {"scale": torch.tensor(2.0)})
    assert changes(before) == []  # NaN staying NaN is no change
    x[1, 0] = -3.0
    params[0][1].add_(1)
    params.append(None)
    found = changes(before)
    assert {"argument": "x", "index": [1, 0], "before": 3.0, "after": -3.0, "count": 1} in found
    assert {"argument": "params[0][1]", "index": [0], "before": 1.0, "after": 2.0, "count": 1} in found
    assert any(c["argument"] == "params" and "length changed from 1 to 2" in c["what"] for c in found)


def test_a_shape_change_in_place_is_a_change() -> None:
    x = torch.zeros(2, 3)
    before = snapshot(_f, [x, []], {})
    x.t_()
    (change,) = changes(before)
    assert change["argument"] == "x" and "shape or dtype changed" in change["what"]


def test_a_function_that_modifies_an_argument_fails_with_the_argument_named(toy_course, make_submission):  # noqa: F811
    # Right values, but the pre-activation is clamped in place: the caller's z is corrupted.
    buggy = with_function("def relu_backward(dout, z):\n    z.clamp_(min=-0.0)\n"
                          "    return dout * (z > 0).to(dout.dtype)")
    assignment, tests = grade_source(toy_course, make_submission, buggy)
    for name in ("relu_backward: ReLU'(0) = 0", "relu_backward matches the reference"):
        t = tests[name]
        assert t.status == "failed" and t.score == 0
        assert "relu_backward modified its arguments in place: z[" in t.message
        assert "relu_backward(" in t.counterexample
    assert tests["scale doubles"].status == "passed"  # the other functions keep their points


def test_the_same_values_returned_from_a_copy_keep_every_point(toy_course, make_submission):  # noqa: F811
    fixed = with_function("def relu_backward(dout, z):\n    z = z.clamp(min=-0.0)\n"
                          "    return dout * (z > 0).to(dout.dtype)")
    assignment, _ = grade_source(toy_course, make_submission, fixed)
    assert assignment.score == assignment.max_score
