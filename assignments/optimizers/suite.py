"""Visible tests for ``optimizers``: the oracle is torch.optim itself (SGD, RMSprop, Adam, AdamW),
run one step at a time in float64 from a state in this assignment's layout; the hidden suite
(reference/optimizers/suite.py) reuses these cases and oracles."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "optimizers",
    student_file="optimizers.py",
    title="One optimizer step: SGD (momentum, Nesterov), RMSProp, Adam, AdamW",
    functions=("sgd_step", "rmsprop_step", "adam_step", "adamw_step"),
    forbidden_calls=tuple(f"torch.optim.{n}" for n in (
        "SGD", "RMSprop", "Adam", "AdamW", "sgd.sgd", "rmsprop.rmsprop", "adam.adam", "adamw.adamw")),
)

F64 = torch.float64
_BUFFERS = {"sgd": ("momentum_buffer",), "rmsprop": ("square_avg",), "adam": ("exp_avg", "exp_avg_sq"),
            "adamw": ("exp_avg", "exp_avg_sq")}
HYPER = {
    "sgd": {"lr": [0.01, 0.1, 0.5], "momentum": [0.0, 0.5, 0.9], "dampening": [0.0, 0.3],
            "weight_decay": [0.0, 0.1]},
    "rmsprop": {"lr": [1e-3, 1e-2, 0.1], "alpha": [0.9, 0.99], "eps": [1e-8, 1e-3], "weight_decay": [0.0, 0.1]},
    "adam": {"lr": [1e-3, 1e-2, 0.1], "betas": [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)], "eps": [1e-8, 1e-4],
             "weight_decay": [0.0, 0.1]},
}
HYPER["adamw"] = {**HYPER["adam"], "weight_decay": [0.0, 0.01, 0.3]}


# ---------------------------------------------------------------------------- cases

def seeded_case(seed: int, kind: str, shapes=((3,), (2, 2)), steps: int = 5, dtype=F64, **hyper) -> dict:
    """params, a list of ``steps`` gradient lists, state None (fresh) and the hyper-parameters."""
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g, dtype=F64).to(dtype) for s in shapes]
    grads = [[torch.randn(s, generator=g, dtype=F64).to(dtype) for s in shapes] for _ in range(steps)]
    return {"kind": kind, "params": params, "grads": grads, "state": None, "hyper": hyper}


@st.composite
def optimizer_case(draw, kind: str, nesterov: bool = False, max_steps: int = 8) -> dict:
    shapes = draw(st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3))
    hyper = {k: draw(st.sampled_from(v)) for k, v in HYPER[kind].items()}
    if kind == "sgd":
        hyper["nesterov"] = nesterov
        if nesterov:
            hyper["momentum"], hyper["dampening"] = draw(st.sampled_from([0.5, 0.9])), 0.0
    return seeded_case(draw(st.integers(0, 2**31 - 1)), kind, shapes, draw(st.integers(1, max_steps)),
                       draw(st.sampled_from([F64, torch.float32])), **hyper)


# ---------------------------------------------------------------------------- oracles

_TORCH = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
          "adamw": torch.optim.AdamW}


def torch_step(kind: str, params, grads, state, **hyper):
    """One step of torch.optim in float64 from ``state`` (this assignment's layout; None = fresh).
    Returns (new params, new state), float64."""
    ps = [p.detach().to(F64).clone().requires_grad_(True) for p in params]
    opt = _TORCH[kind](ps, **hyper)
    if state is not None:
        for i, p in enumerate(ps):
            entry = {"step": torch.tensor(float(state["step"]), dtype=torch.float32)} if kind != "sgd" else {}
            for name in _BUFFERS[kind]:
                if state[name] is not None:
                    entry[name] = state[name][i].detach().to(F64).clone()
            opt.state[p] = entry
    for p, g in zip(ps, grads):
        p.grad = g.detach().to(F64).clone()
    opt.step()
    step = (0 if state is None else state["step"]) + 1
    new_state = {"step": step}
    for name in _BUFFERS[kind]:
        have = all(name in opt.state[p] and opt.state[p][name] is not None for p in ps)
        new_state[name] = [opt.state[p][name].detach().clone() for p in ps] if have else None
    return [p.detach() for p in ps], new_state


def student_step(student, kind, params, grads, state, **hyper):
    got = getattr(student, f"{kind}_step")(params, grads, state, **hyper)
    check(isinstance(got, (tuple, list)) and len(got) == 2, f"{kind}_step must return (new_params, new_state)")
    new_params, new_state = got
    check(isinstance(new_params, (list, tuple)) and len(new_params) == len(params),
          f"{kind}_step: new_params must be a list of {len(params)} tensors")
    check(isinstance(new_state, dict), f"{kind}_step: new_state must be a dict")
    return list(new_params), new_state


def tol(dtype, steps: int) -> dict:
    return {"rtol": 2e-5 * steps, "atol": 2e-6 * steps} if dtype == torch.float32 else \
        {"rtol": 1e-10 * steps, "atol": 1e-12 * steps}


def run_and_compare(student, kind, params, grads, state, hyper, check_state: bool = True):
    """Both chains from ``state`` over every gradient list; parameters (and the state's buffers)
    compared after every step, the oracle's float64 cast to the inputs' dtype."""
    mine, theirs = (params, state), (params, state)
    dtype = params[0].dtype
    for t, gs in enumerate(grads, 1):
        mine = student_step(student, kind, mine[0], gs, mine[1], **hyper)
        theirs = torch_step(kind, theirs[0], gs, theirs[1], **hyper)
        assert_close(mine[0], [p.to(dtype) for p in theirs[0]], **tol(dtype, t), name=f"params after step {t}")
        if check_state:
            check(mine[1].get("step") == theirs[1]["step"], f"state['step'] after step {t} should be "
                  f"{theirs[1]['step']}, got {mine[1].get('step')!r}")
            for name in _BUFFERS[kind]:
                if theirs[1][name] is not None:
                    check(isinstance(mine[1].get(name), (list, tuple)), f"state[{name!r}] must be a list of tensors")
                    assert_close(list(mine[1][name]), [b.to(dtype) for b in theirs[1][name]], **tol(dtype, t),
                                 name=f"state[{name!r}] after step {t}")
    return mine


# ---------------------------------------------------------------------------- tests

def _compare_test(name, kind, examples, hint, nesterov=False, points=2):
    @suite.test(name, functions=(f"{kind}_step",), points=points, inputs=optimizer_case(kind, nesterov),
                examples=examples, max_examples=25, hint=hint)
    def _(student, kind, params, grads, state, hyper):
        run_and_compare(student, kind, params, grads, state, hyper)


_compare_test("sgd_step matches torch.optim.SGD over many steps (momentum, dampening, weight decay)", "sgd",
              [seeded_case(1, "sgd", lr=0.1, momentum=0.9), seeded_case(2, "sgd", lr=0.1, momentum=0.5,
                                                                         dampening=0.3, weight_decay=0.1)],
              "The first step's buffer is the gradient itself (no dampening); weight decay adds wd * p "
              "to the gradient before the momentum.")
_compare_test("sgd_step with nesterov=True matches torch.optim.SGD", "sgd",
              [seeded_case(3, "sgd", lr=0.1, momentum=0.9, nesterov=True)],
              "Nesterov steps along g + momentum * buf, with buf already updated.", nesterov=True, points=1)
_compare_test("rmsprop_step matches torch.optim.RMSprop over many steps", "rmsprop",
              [seeded_case(4, "rmsprop", lr=0.01, alpha=0.99, eps=1e-8),
               seeded_case(5, "rmsprop", lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1)],
              "eps is added outside the square root: p - lr * g / (sqrt(v) + eps).")
_compare_test("adam_step matches torch.optim.Adam over many steps (bias correction, L2 weight decay)", "adam",
              [seeded_case(6, "adam", lr=0.01), seeded_case(7, "adam", lr=0.1, betas=(0.5, 0.9), eps=1e-4,
                                                            weight_decay=0.1)],
              "Bias-correct both moments with the step count t starting at 1; eps goes outside the square "
              "root of the corrected second moment.")
_compare_test("adamw_step matches torch.optim.AdamW over many steps (decoupled weight decay)", "adamw",
              [seeded_case(8, "adamw", lr=0.01, weight_decay=0.3), seeded_case(9, "adamw", lr=0.1)],
              "AdamW multiplies p by (1 - lr * wd) and never adds wd * p to the gradient.")


@st.composite
def zero_grad_case(draw) -> dict:
    kind = draw(st.sampled_from(sorted(_TORCH)))
    case = draw(optimizer_case(kind, max_steps=1))
    case["hyper"]["weight_decay"] = 0.0
    case["grads"] = [[torch.zeros_like(p) for p in case["params"]]]
    return case


@suite.test("a zero gradient from a fresh state keeps the parameters (zero weight decay)",
            functions=("sgd_step", "rmsprop_step", "adam_step", "adamw_step"), points=1,
            inputs=zero_grad_case(), examples=[{**seeded_case(10, k, steps=1), "grads": [[torch.zeros(3, dtype=F64),
                                               torch.zeros(2, 2, dtype=F64)]]} for k in ("adam", "rmsprop")],
            max_examples=20)
def _(student, kind, params, grads, state, hyper):
    want, _ = torch_step(kind, params, grads[0], None, **hyper)
    check(all(torch.equal(w, p.to(F64)) for w, p in zip(want, params)), "oracle: zero gradient moved params")
    got, _ = student_step(student, kind, params, grads[0], None, **hyper)
    assert_close(got, params, name="params after a zero-gradient step")
