"""The init_variance reference against torch.nn.init, without the sandbox."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load(ROOT / "reference" / "init_variance" / "init_variance.py", "_ref_init_variance")


@pytest.mark.parametrize("shape", [(3, 5), (16, 8, 3, 3), (4, 2, 3, 5, 7), (6, 4, 1), (1, 1)])
def test_fans_match_torch(shape):
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    got = ref.fan_in_fan_out(shape)
    assert got == want and all(type(v) is int for v in got)


@pytest.mark.parametrize("shape", [(), (7,)])
def test_fans_refuse_short_shapes(shape):
    with pytest.raises(ValueError):
        ref.fan_in_fan_out(shape)


@pytest.mark.parametrize("fan_in,fan_out,gain", [(512, 128, 1.0), (27, 144, math.sqrt(2)), (1, 1, 0.5)])
def test_xavier_formulas(fan_in, fan_out, gain):
    std = ref.xavier_std(fan_in, fan_out, gain)
    bound = ref.xavier_uniform_bound(fan_in, fan_out, gain)
    assert type(std) is float and type(bound) is float
    assert std == pytest.approx(gain * math.sqrt(2 / (fan_in + fan_out)), rel=1e-12)
    assert bound == pytest.approx(math.sqrt(3) * std, rel=1e-12)


@pytest.mark.parametrize("fan_in,slope", [(1600, 0.0), (300, 0.2), (7, 1.0), (10, 0.01)])
def test_kaiming_formulas_match_calculate_gain(fan_in, slope):
    gain = torch.nn.init.calculate_gain("leaky_relu", slope)
    assert ref.kaiming_std(fan_in, slope) == pytest.approx(gain / math.sqrt(fan_in), rel=1e-12)
    assert ref.kaiming_uniform_bound(fan_in, slope) == pytest.approx(gain * math.sqrt(3 / fan_in), rel=1e-12)
    assert type(ref.kaiming_std(fan_in)) is float


@pytest.mark.parametrize(
    "scheme,torch_init",
    [
        ("xavier_normal", lambda w, g: torch.nn.init.xavier_normal_(w, generator=g)),
        ("xavier_uniform", lambda w, g: torch.nn.init.xavier_uniform_(w, generator=g)),
        ("kaiming_normal", lambda w, g: torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g)),
        ("kaiming_uniform", lambda w, g: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=g)),
    ],
)
def test_init_weight_variance_matches_torch_init(scheme, torch_init):
    shape = (32, 64, 5, 5)
    ours = ref.init_weight(shape, scheme, torch.Generator().manual_seed(0))
    theirs = torch_init(torch.empty(shape), torch.Generator().manual_seed(1))
    assert ours.shape == shape and ours.dtype == torch.float32
    # Same law: variances agree to a few percent (each has relative sd ~0.6% at 51,200 draws).
    assert float(ours.var()) == pytest.approx(float(theirs.var()), rel=0.05)
    if scheme.endswith("uniform"):
        assert float(ours.abs().max()) <= float(theirs.abs().max()) * 1.001 + 1e-9


def test_init_weight_is_reproducible_and_honours_dtype():
    a = ref.init_weight((4, 3), "xavier_uniform", torch.Generator().manual_seed(3), torch.float64)
    b = ref.init_weight((4, 3), "xavier_uniform", torch.Generator().manual_seed(3), torch.float64)
    assert a.dtype == torch.float64 and torch.equal(a, b)
    with pytest.raises(ValueError):
        ref.init_weight((4, 3), "xavier", torch.Generator())


def test_relu_second_moments_depth_experiment():
    x = torch.randn(64, 512, generator=torch.Generator().manual_seed(2**31 + 1))
    ex2 = float(x.square().mean())
    kaiming = ref.relu_second_moments(x, 4, "kaiming_normal", torch.Generator().manual_seed(1))
    xavier = ref.relu_second_moments(x, 4, "xavier_normal", torch.Generator().manual_seed(2))
    assert all(type(m) is float for m in kaiming) and len(kaiming) == 4
    assert kaiming[0] == pytest.approx(2 * ex2, rel=0.06)
    assert xavier[0] == pytest.approx(ex2, rel=0.06)
    for layer in range(1, 4):
        assert kaiming[layer] / kaiming[layer - 1] == pytest.approx(1.0, rel=0.4)
        assert xavier[layer] / xavier[layer - 1] == pytest.approx(0.5, rel=0.4)


def test_relu_second_moments_first_layer_by_hand():
    x = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    got = ref.relu_second_moments(x, 2, "kaiming_uniform", torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    w1 = ref.init_weight((4, 4), "kaiming_uniform", g, torch.float64)
    w2 = ref.init_weight((4, 4), "kaiming_uniform", g, torch.float64)
    z1 = x @ w1.T
    z2 = torch.relu(z1) @ w2.T
    assert got == pytest.approx([float((z1**2).mean()), float((z2**2).mean())], rel=1e-12)
