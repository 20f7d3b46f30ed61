"""The conv_shapes reference against torch itself (tiny zero inputs), on a grid of arguments."""

from __future__ import annotations

import importlib.util
import itertools
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

_PATH = Path(__file__).resolve().parents[1] / "reference" / "conv_shapes" / "conv_shapes.py"
_SPEC = importlib.util.spec_from_file_location("_reference_conv_shapes_under_test", _PATH)
ref = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ref)


def _torch(op, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op(*args, **kwargs)
    except (RuntimeError, ValueError):
        return None
    return (int(out.shape[-2]), int(out.shape[-1]))


def _ours(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except ValueError:
        return None
    assert type(out) is tuple and len(out) == 2 and all(type(v) is int for v in out)
    return out


def test_conv2d_matches_torch_on_a_grid():
    for h, k, s, p, d in itertools.product(range(1, 6), range(0, 4), range(0, 3), range(-1, 2), range(0, 3)):
        want = _torch(F.conv2d, torch.zeros(1, 1, h, 3), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0),
                      dilation=(d, 1)) if k >= 0 else None
        got = _ours(ref.conv2d_output_shape, (h, 3), (k, 1), (s, 1), (p, 0), (d, 1))
        assert got == want, (h, k, s, p, d)


def test_conv_transpose2d_matches_torch_on_a_grid():
    for h, k, s, p, op, d in itertools.product(range(1, 4), range(0, 3), range(0, 4), range(-1, 2), range(-1, 3),
                                               range(0, 3)):
        want = _torch(F.conv_transpose2d, torch.zeros(1, 1, h, 2), torch.zeros(1, 1, k, 1), stride=(s, 1),
                      padding=(p, 0), output_padding=(op, 0), dilation=(d, 1))
        got = _ours(ref.conv_transpose2d_output_shape, (h, 2), (k, 1), (s, 1), (p, 0), (op, 0), (d, 1))
        assert got == want, (h, k, s, p, op, d)


def test_pool2d_matches_torch_on_a_grid():
    for h, k, s, p, d, ceil in itertools.product(range(1, 7), range(0, 4), [None, 0, 2, 3], range(-1, 3),
                                                 range(0, 3), [False, True]):
        want = _torch(F.max_pool2d, torch.zeros(1, 1, h, 4), (k, 1), stride=None if s is None else (s, 1),
                      padding=(p, 0), dilation=(d, 1), ceil_mode=ceil)
        got = _ours(ref.pool2d_output_shape, (h, 4), (k, 1), None if s is None else (s, 1), (p, 0), (d, 1), ceil)
        assert got == want, (h, k, s, p, d, ceil)


def test_pool2d_ceil_mode_drops_a_window_starting_in_the_right_padding():
    assert ref.pool2d_output_shape((5, 5), 2, 2, 1, ceil_mode=True) == (3, 3)
    assert ref.pool2d_output_shape((5, 5), 2, 2, 1, ceil_mode=False) == (3, 3)
    assert ref.pool2d_output_shape((5, 5), 2, ceil_mode=True) == (3, 3)
    assert ref.pool2d_output_shape((5, 5), 2) == (2, 2)


@pytest.mark.parametrize("in_c, out_c, k, groups, bias", [
    (3, 8, 3, 1, True), (4, 6, (3, 1), 2, False), (8, 8, 5, 8, True), (6, 4, 1, 2, True), (4, 6, 3, 4, True),
    (4, 4, 3, 0, True), (4, 4, 2, 3, False),
])
def test_param_count_matches_nn_conv2d(in_c, out_c, k, groups, bias):
    try:
        module = torch.nn.Conv2d(in_c, out_c, k, groups=groups, bias=bias)
    except ValueError:
        with pytest.raises(ValueError):
            ref.conv2d_param_count(in_c, out_c, k, groups, bias)
        return
    got = ref.conv2d_param_count(in_c, out_c, k, groups, bias)
    assert type(got) is int and got == sum(p.numel() for p in module.parameters())


def test_param_count_refuses_an_empty_kernel():
    with pytest.raises(ValueError):
        ref.conv2d_param_count(2, 2, 0)


@pytest.mark.parametrize("layers, want", [
    ([], 1), ([(3, 1, 1)] * 3, 7), ([(2, 2, 1)] * 4, 16), ([(3, 2, 1), (3, 3, 1), (3, 1, 1)], 19),
    ([(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)], 31),
])
def test_receptive_field(layers, want):
    assert ref.receptive_field(layers) == want


def test_transposed_conv_restores_the_input_size():
    for h, k, s, p, d in itertools.product(range(1, 10), range(1, 4), range(1, 4), range(0, 2), range(1, 3)):
        try:
            out = ref.conv2d_output_shape((h, h), k, s, p, d)
        except ValueError:
            continue
        op = (h + 2 * p - d * (k - 1) - 1) % s
        assert ref.conv_transpose2d_output_shape(out, k, s, p, op, d) == (h, h)
