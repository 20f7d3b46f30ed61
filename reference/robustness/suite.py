"""Hidden tests for ``robustness``: the visible suite's cases and oracles at the edges (tiny and
large norms, max_norm 0, zero gradients), the invariants next to a value check (the bound above
the empirical ratio of an MLP, iterates inside the ball over several steps) and the ValueErrors."""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st

from grader.checks.compare import assert_close, assert_raises, check, tolerances
from grader.spec import Suite, visible_suite_of

visible = visible_suite_of(__file__)
suite = Suite("robustness")
F64 = torch.float64


@suite.test("clip_grad_norm at tiny and large norms (the 1e-6 shows), 0-dim tensors and max_norm 0",
            functions=("clip_grad_norm",), points=1,
            inputs=st.sampled_from([1e-7, 1e-3, 1e3]).flatmap(
                lambda s: visible.clip_case(norm_types=(1.0, 2.0, math.inf), scale=s)),
            examples=[visible.seeded_grads(21, ((), (2,)), torch.float32, scale=1e-7),
                      visible.seeded_grads(22, ((3,), ()), ratio=0.0)], max_examples=25,
            hint="clip_coef = max_norm / (total_norm + 1e-6): at a norm of 1e-7 the 1e-6 dominates.")
def _(student, grads, max_norm, norm_type):
    got = student.clip_grad_norm(grads, max_norm, norm_type)
    # relative comparison only: at a norm of 1e-7 every entry is below float32's default atol
    assert_close(got, visible.torch_clip(grads, max_norm, norm_type), atol=0.0, name="(clipped, total_norm)")


def mlp(x, weights, biases, activation):
    act = torch.relu if activation == "relu" else torch.tanh
    for i, (W, b) in enumerate(zip(weights, biases)):
        x = x @ W.to(F64).T + b
        x = act(x) if i < len(weights) - 1 else x
    return x


@st.composite
def mlp_pairs(draw) -> dict:
    """A converged MLP case (spectral gaps, 40 steps), biases and 32 pairs at distances 1e-3 to 1."""
    case = draw(visible.mlp_case(gap=draw(st.sampled_from([0.3, 0.5])), n_iters=(40,)))
    g = torch.Generator().manual_seed(draw(visible.SEEDS))
    d = case["weights"][0].shape[1]
    x = torch.randn(32, d, generator=g, dtype=F64)
    y = x + torch.randn(32, d, generator=g, dtype=F64) * torch.logspace(-3, 0, 32, dtype=F64)[:, None]
    biases = [torch.randn(W.shape[0], generator=g, dtype=F64) for W in case["weights"]]
    return {**case, "x": x, "y": y, "biases": biases, "activation": draw(st.sampled_from(["relu", "tanh"]))}


@suite.test("lipschitz_bound (converged) is the product of spectral norms and bounds ||f(x) - f(y)|| / ||x - y||",
            functions=("lipschitz_bound",), points=1.5, inputs=mlp_pairs(), max_examples=20,
            hint="The product of the layers' spectral norms bounds an MLP with 1-Lipschitz activations.")
def _(student, weights, v0s, n_iter, x, y, biases, activation):
    got = student.lipschitz_bound(weights, v0s, n_iter)
    want = math.prod(float(visible.torch_spectral(W)) for W in weights)
    assert_close(got, weights[0].new_tensor(want), name="bound (converged power iteration)")
    fx, fy = mlp(x, weights, biases, activation), mlp(y, weights, biases, activation)
    ratio = float(((fx - fy).norm(dim=1) / (x - y).norm(dim=1)).max())
    check(ratio <= want, "oracle: the empirical ratio exceeds the product of spectral norms")
    rtol, atol = tolerances(got.dtype)
    check(float(got) >= ratio * (1 - rtol) - atol,
          f"the bound {float(got):.6g} is below the empirical ratio {ratio:.6g} of a {activation} MLP")


@st.composite
def walk(draw) -> dict:
    """Five gradients around one direction (the walk reaches the ball's boundary) from x = x0."""
    case = draw(visible.attack_case(start=False))
    g = torch.Generator().manual_seed(draw(visible.SEEDS))
    base = case.pop("grad").to(F64)
    case["grads"] = [(base + 0.5 * torch.randn(base.shape, generator=g, dtype=F64)).to(case["x"].dtype)
                     for _ in range(5)]
    return case


@suite.test("pgd_step: five steps from x0 match the oracle and stay inside the eps-ball around x0 and [0, 1]",
            functions=("pgd_step",), points=1.5, inputs=walk(), max_examples=25,
            hint="Every step projects the WHOLE perturbation x - x0 (not the step) onto the ball, then clamps.")
def _(student, x, x0, grads, step_size, eps, norm):
    rtol, atol = tolerances(x0.dtype)
    for k, grad in enumerate(grads, start=1):
        got = student.pgd_step(x, x0, grad, step_size, eps, norm)
        assert_close(got, visible.torch_pgd(x, x0, grad, step_size, eps, norm), name=f"x after step {k}")
        delta = (got - x0).to(F64).reshape(x0.shape[0], -1)
        size = delta.abs().amax(dim=1) if norm == "inf" else delta.norm(dim=1)
        check(bool((size <= eps * (1 + rtol) + atol).all()),
              f"step {k}: ||x - x0||_{norm} = {size.max():.6g} per sample at most, outside the ball of radius {eps}")
        check(bool(((got >= -atol) & (got <= 1 + atol)).all()), f"step {k}: x leaves [0, 1]")
        x = got


@st.composite
def zero_grad_case(draw) -> dict:
    """Attack cases whose gradient is 0 on about a third of the entries and on the whole first sample."""
    case = draw(visible.attack_case())
    g = torch.Generator().manual_seed(draw(visible.SEEDS))
    grad = case["grad"].clone()
    grad[torch.rand(grad.shape, generator=g) < 0.3] = 0
    grad[0] = 0
    return {**case, "grad": grad}


@suite.test("fgsm and pgd_step with zero gradients: sign(0) = 0, and a sample with grad = 0 takes no step",
            functions=("fgsm", "pgd_step"), points=1, inputs=zero_grad_case(), max_examples=20,
            hint="torch.sign(0) = 0; in the l2 step, grad / ||grad|| is taken as 0 where ||grad|| = 0 (no NaN).")
def _(student, x, x0, grad, step_size, eps, norm):
    assert_close(student.fgsm(x0, grad, eps), visible.torch_fgsm(x0, grad, eps), name="fgsm x_adv")
    assert_close(student.pgd_step(x, x0, grad, step_size, eps, norm),
                 visible.torch_pgd(x, x0, grad, step_size, eps, norm), name=f"x after one {norm}-step")


@suite.test("ValueError for empty or mismatched layers, bad norms, negative eps, step, max_norm and n_iter",
            functions=visible.FUNCTIONS, points=0.5, inputs=None)
def _(student):
    grads = visible.seeded_grads(23)["grads"]
    m, net, a = visible.seeded_matrix(24), visible.seeded_mlp(25), visible.seeded_attack(26)
    W, v0, weights, v0s, x, x0, grad = m["W"], m["v0"], net["weights"], net["v0s"], a["x"], a["x0"], a["grad"]
    for fn, *args in [("clip_grad_norm", grads, -1.0, 2.0), ("clip_grad_norm", grads, 1.0, 0.5),
                      ("clip_grad_norm", grads, 1.0, 0.0), ("clip_grad_norm", [], 1.0, 2.0),
                      ("spectral_norm", W, v0, -1), ("spectral_norm", W, v0[:-1], 2), ("spectral_norm", W[0], v0, 2),
                      ("lipschitz_bound", [], [], 2), ("lipschitz_bound", weights, v0s[:1], 2),
                      ("lipschitz_bound", weights[::-1], v0s[::-1], 2), ("fgsm", x0, grad, -0.1),
                      ("pgd_step", x, x0, grad, 0.05, 0.1, "l2"), ("pgd_step", x, x0, grad, -0.05, 0.1, "inf"),
                      ("pgd_step", x, x0, grad, 0.05, -0.1, "2")]:
        assert_raises(ValueError, getattr(student, fn), *args)
    assert_close(student.pgd_step(x, x0, grad, 0.05, 0.1), visible.torch_pgd(x, x0, grad, 0.05, 0.1),
                 name="pgd_step with the default norm ('inf')")
    assert_close(student.clip_grad_norm(grads, 0.5), visible.torch_clip(grads, 0.5),
                 name="clip_grad_norm with the default norm_type (2)")
