"""Hidden tests for ``optimizers``: the visible suite's cases and oracles, resumed from a
mid-training state, Adam's step bound, AdamW's decoupling, argument checks."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite, visible_suite_of

visible = visible_suite_of(__file__)
suite = Suite("optimizers")
F64 = torch.float64


@st.composite
def resumed_case(draw) -> dict:
    """A case whose state comes from 3 oracle steps: the step count and buffers are nonzero."""
    kind = draw(st.sampled_from(sorted(visible.HYPER)))
    case = draw(visible.optimizer_case(kind, nesterov=kind == "sgd" and draw(st.booleans())))
    if kind == "sgd" and case["hyper"]["momentum"] == 0:
        case["hyper"]["momentum"] = 0.9
    g = torch.Generator().manual_seed(len(case["grads"]))
    params, state = [p.to(F64) for p in case["params"]], None
    for _ in range(3):
        params, state = visible.torch_step(kind, params, [torch.randn(p.shape, generator=g, dtype=F64)
                                                          for p in params], state, **case["hyper"])
    dtype = case["params"][0].dtype
    cast = {k: (v if k == "step" or v is None else [b.to(dtype) for b in v]) for k, v in state.items()}
    return {**case, "params": [p.to(dtype) for p in params], "state": cast}


@suite.test("every step resumes from a given mid-training state as torch.optim does", points=2,
            functions=("sgd_step", "rmsprop_step", "adam_step", "adamw_step"), inputs=resumed_case(),
            max_examples=30, hint="Read state['step'] and the buffers; the bias correction uses step + 1.")
def _(student, kind, params, grads, state, hyper):
    visible.run_and_compare(student, kind, params, grads, state, hyper)


@st.composite
def constant_grad_case(draw) -> dict:
    case = draw(visible.optimizer_case("adam"))
    case["hyper"].update(weight_decay=0.0, eps=1e-8)
    g = [(torch.rand(p.shape, dtype=F64, generator=torch.Generator().manual_seed(i)) + 0.1)
         * torch.where(torch.arange(p.numel()).reshape(p.shape) % 2 == 0, 1.0, -1.0) for i, p in
         enumerate(case["params"])]
    case["grads"] = [[x.to(case["params"][0].dtype) for x in g]] * len(case["grads"])
    return case


@suite.test("with a constant gradient every Adam step moves each parameter by lr against its sign",
            functions=("adam_step",), points=1, inputs=constant_grad_case(), max_examples=20,
            hint="m_hat = g and v_hat = g^2 exactly when the gradient never changes: bias correction.")
def _(student, kind, params, grads, state, hyper):
    lr, dtype = hyper["lr"], params[0].dtype
    rel = 1e-5 if dtype == torch.float32 else 1e-9
    mine, theirs = (params, None), ([p.to(F64) for p in params], None)
    for t, gs in enumerate(grads, 1):
        new_theirs = visible.torch_step("adam", theirs[0], gs, theirs[1], **hyper)
        for a, b, g in zip(new_theirs[0], theirs[0], gs):
            check(bool(((b - a) * g.sign() - lr).abs().max() <= 1e-6 * lr), "oracle: Adam step is not lr")
        new_mine = visible.student_step(student, "adam", mine[0], gs, mine[1], **hyper)
        for a, b, g in zip(new_mine[0], mine[0], gs):
            delta = (b.to(F64) - a.to(F64)) * g.to(F64).sign()
            assert_close(delta, torch.full_like(delta, lr), rtol=rel * max(1, 1 / lr), atol=rel * 4,
                         name=f"step {t} size times sign(g)", check_dtype=False)
        mine, theirs = new_mine, new_theirs


@suite.test("adamw_step from a fresh state with a zero gradient shrinks params by exactly (1 - lr * wd)",
            functions=("adamw_step",), points=1, inputs=visible.optimizer_case("adamw", max_steps=1),
            max_examples=20, hint="Decoupled: the decay never enters the moments.")
def _(student, kind, params, grads, state, hyper):
    hyper = {**hyper, "weight_decay": 0.3}
    zeros = [torch.zeros_like(p) for p in params]
    want = [p.to(F64) * (1 - hyper["lr"] * 0.3) for p in params]
    assert_close(visible.torch_step("adamw", params, zeros, None, **hyper)[0], want, name="oracle")
    got, _ = visible.student_step(student, "adamw", params, zeros, None, **hyper)
    assert_close(got, [w.to(p.dtype) for w, p in zip(want, params)], name="params after a zero-gradient step")


@suite.test("adam_step with weight decay is L2 (wd * p added to the gradient), not AdamW", functions=("adam_step",),
            points=1, inputs=visible.optimizer_case("adam", max_steps=3), max_examples=15)
def _(student, kind, params, grads, state, hyper):
    visible.run_and_compare(student, kind, params, grads, state, {**hyper, "weight_decay": 0.5})


@suite.test("invalid hyper-parameters and mismatched lists raise ValueError",
            functions=("sgd_step", "rmsprop_step", "adam_step", "adamw_step"), points=1,
            inputs=st.just({"p": [torch.ones(2)], "g": [torch.ones(2)]}), max_examples=1)
def _(student, p, g):
    assert_raises(ValueError, student.sgd_step, p, g, None, -0.1)
    assert_raises(ValueError, student.sgd_step, p, g, None, 0.1, momentum=0.0, nesterov=True)
    assert_raises(ValueError, student.sgd_step, p, g, None, 0.1, momentum=0.9, dampening=0.5, nesterov=True)
    assert_raises(ValueError, student.rmsprop_step, p, g, None, lr=0.01, eps=-1.0)
    assert_raises(ValueError, student.adam_step, p, g, None, betas=(1.0, 0.999))
    assert_raises(ValueError, student.adamw_step, p, g, None, weight_decay=-0.1)
    assert_raises(ValueError, student.adam_step, p, [torch.ones(3)], None)
    assert_raises(ValueError, student.adam_step, p, [], None)
