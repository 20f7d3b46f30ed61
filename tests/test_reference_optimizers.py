"""The optimizers reference against torch.optim, many steps (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "optimizers" / "optimizers.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_optimizers", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()

CASES = [
    ("sgd", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.05}, ()),
    ("sgd", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}, ()),
    ("sgd", torch.optim.SGD, {"lr": 0.3}, ()),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "weight_decay": 0.1}, ()),
    ("adam", torch.optim.Adam, {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1}, ()),
    ("adamw", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.3}, ()),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind,cls,hyper,_", CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(CASES)])
def test_steps_match_torch_optim(kind, cls, hyper, _, dtype):
    g = torch.Generator().manual_seed(0)
    params = [torch.randn(3, 2, generator=g, dtype=dtype), torch.randn(4, generator=g, dtype=dtype)]
    mine, state = [p.clone() for p in params], None
    theirs = [p.clone().requires_grad_(True) for p in params]
    opt = cls(theirs, **hyper)
    for _step in range(20):
        grads = [torch.randn(p.shape, generator=g, dtype=dtype) for p in params]
        mine, state = getattr(ref, f"{kind}_step")(mine, grads, state, **hyper)
        for p, gr in zip(theirs, grads):
            p.grad = gr.clone()
        opt.step()
        for a, b in zip(mine, theirs):
            torch.testing.assert_close(a, b.detach())
    assert state["step"] == 20


def test_inputs_untouched_and_zero_gradient_keeps_params():
    params, grads = [torch.ones(3)], [torch.zeros(3)]
    for kind in ("sgd", "rmsprop", "adam", "adamw"):
        kwargs = {"lr": 0.1} | ({"weight_decay": 0.0} if kind == "adamw" else {})
        new, state = getattr(ref, f"{kind}_step")(params, grads, None, **kwargs)
        assert torch.equal(new[0], params[0]) and torch.equal(params[0], torch.ones(3))


def test_value_errors():
    with pytest.raises(ValueError):
        ref.sgd_step([torch.ones(2)], [torch.ones(2)], None, 0.1, nesterov=True)
    with pytest.raises(ValueError):
        ref.adam_step([torch.ones(2)], [torch.ones(3)], None)
