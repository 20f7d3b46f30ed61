"""The batch_norm reference against torch.nn.BatchNorm1d/2d and autograd (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "batch_norm" / "batch_norm.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_batch_norm", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 2, 4)])
def test_forward_and_backward_match_torch(shape, dtype):
    torch.manual_seed(0)
    bn = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(shape[1], momentum=0.3, eps=1e-3)
    bn = bn.to(dtype)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.normal_()
    x = torch.randn(shape, dtype=dtype, requires_grad=True)
    rm, rv = bn.running_mean.clone(), bn.running_var.clone()
    y, new_m, new_v = ref.batch_norm_forward(x.detach(), bn.weight.detach(), bn.bias.detach(), rm, rv, True, 0.3, 1e-3)
    want = bn(x)
    torch.testing.assert_close(y, want.detach())
    torch.testing.assert_close(new_m, bn.running_mean)
    torch.testing.assert_close(new_v, bn.running_var)
    assert torch.equal(rm, torch.zeros(shape[1], dtype=dtype))
    dy = torch.randn(shape, dtype=dtype)
    want.backward(dy)
    dx, dg, db = ref.batch_norm_backward(dy, x.detach(), bn.weight.detach(), 1e-3)
    torch.testing.assert_close(dx, x.grad)
    torch.testing.assert_close(dg, bn.weight.grad)
    torch.testing.assert_close(db, bn.bias.grad)
    bn.eval()
    y_eval, m2, v2 = ref.batch_norm_forward(x.detach(), bn.weight.detach(), bn.bias.detach(), new_m, new_v, False,
                                            0.3, 1e-3)
    torch.testing.assert_close(y_eval, bn(x).detach())
    assert torch.equal(m2, new_m) and torch.equal(v2, new_v)


def test_one_value_per_channel_raises_in_training():
    with pytest.raises(ValueError):
        ref.batch_norm_forward(torch.ones(1, 2), torch.ones(2), torch.zeros(2), torch.zeros(2), torch.ones(2), True)
