"""Comparisons explain a mismatch: shape, dtype, worst errors and where, NaN positions."""

from __future__ import annotations

import pytest
import torch

from grader.checks.compare import Mismatch, assert_close, assert_equal, check
from grader.sandbox.wire import Opaque


def mismatch(got, want, **kw) -> Mismatch:
    with pytest.raises(Mismatch) as info:
        assert_close(got, want, **kw)
    return info.value


def test_close_values_pass_within_dtype_tolerance():
    want = torch.tensor([1.0, 2.0], dtype=torch.float32)
    assert_close(want * (1 + 5e-5), want)
    assert_close(torch.tensor([1.0 + 1e-12], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))


def test_worst_absolute_and_relative_errors_are_located():
    want = torch.tensor([[1.0, 100.0], [0.001, 5.0]], dtype=torch.float64)
    got = want.clone()
    got[0, 1] = 101.0   # largest absolute error
    got[1, 0] = 0.002   # largest relative error
    m = mismatch(got, want, name="dW")
    assert m.message.startswith("dW: 2 of 4 elements differ")
    assert "worst absolute error 1.0 at [0, 1] (got 101.0, expected 100.0)" in m.message
    assert "worst relative error 1.0 at [1, 0]" in m.message
    assert m.details["differs"] == [[False, True], [True, False]]


def test_shape_dtype_and_device_are_checked_first():
    want = torch.zeros(2, 3, dtype=torch.float64)
    assert "shape (3, 2), expected (2, 3)" in mismatch(torch.zeros(3, 2, dtype=torch.float64), want).message
    assert "dtype torch.float32, expected torch.float64" in mismatch(torch.zeros(2, 3), want).message
    assert "expected a tensor" in mismatch([[0.0] * 3] * 2, want).message
    assert "expected a tensor" in mismatch(Opaque("numpy.ndarray", "array(...)"), want).message


def test_nan_where_a_number_was_expected_is_located():
    want = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    got = torch.tensor([0.5, float("nan"), float("inf")], dtype=torch.float64)
    m = mismatch(got, want)
    assert "got NaN/Inf at [[1], [2]]" in m.message
    assert m.details["nonfinite_at"] == [[1], [2]]


def test_scale_widens_atol_for_large_inputs():
    want = torch.tensor([0.0], dtype=torch.float64)
    got = torch.tensor([1e-9], dtype=torch.float64)
    mismatch(got, want)
    assert_close(got, want, scale=1e4)


def test_float64_tolerance_fails_a_float32_leak_and_passes_float64_rounding():
    # SPEC §2: a float32 intermediate in a float64 call leaves a relative error ~6e-8; another
    # valid float64 formula differs by ~1e-16 per operation
    want = torch.tensor([1.0 / 3.0, 2.0 / 7.0, -5.0 / 9.0], dtype=torch.float64)
    leaked = want.float().double()
    assert "rtol=1e-10" in mismatch(leaked, want).message
    assert_close(want * (1 + 8e-16), want)
    assert_close(want + 1e-13, want)  # within atol 1e-12 plus rtol
    mismatch(float(leaked[0]), float(want[0]))  # a Python float is float64 too
    assert_close(float(want[0]) * (1 + 1e-15), float(want[0]))


def test_python_numbers_and_ints_are_type_checked():
    assert_close(0.30000000000000004, 0.3)
    assert "expected a Python number" in mismatch(torch.tensor(0.3), 0.3).message
    with pytest.raises(Mismatch, match="expected a Python int"):
        assert_equal(3.0, 3)
    with pytest.raises(Mismatch, match="expected a Python int"):
        assert_equal(True, 1)
    assert_equal((1, (2, 3)), (1, (2, 3)))
    with pytest.raises(Mismatch, match=r"result\[1\]\[0\]"):
        assert_equal((1, (5, 3)), (1, (2, 3)))


def test_integer_tensors_compare_exactly():
    with pytest.raises(Mismatch, match="1 of 3 elements differ; first at \\[2\\]"):
        assert_close(torch.tensor([0, 1, 3]), torch.tensor([0, 1, 2]))


def test_tuples_recurse_with_names():
    want = (torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64))
    m = mismatch((want[0], torch.zeros(2, dtype=torch.float64)), want, name="grads")
    assert m.message.startswith("grads[1]:")
    assert "expected 2 items, got 1" in mismatch((want[0],), want).message


def test_check_raises_with_message():
    check(True, "never")
    with pytest.raises(Mismatch, match="KL must be >= 0"):
        check(False, "KL must be >= 0")


def test_infinities_and_nans_in_the_expected_value_are_matched_exactly():
    inf, nan = float("inf"), float("nan")
    want = torch.tensor([inf, -inf, 1.0], dtype=torch.float64)
    assert_close(want.clone(), want)
    assert "2 of 3 elements differ" in mismatch(torch.tensor([1e300, inf, 1.0], dtype=torch.float64), want).message
    with_nan = torch.tensor([nan, 1.0], dtype=torch.float64)
    mismatch(with_nan.clone(), with_nan)
    assert_close(with_nan.clone(), with_nan, equal_nan=True)
    mismatch(torch.tensor([0.0, 1.0], dtype=torch.float64), with_nan, equal_nan=True)
