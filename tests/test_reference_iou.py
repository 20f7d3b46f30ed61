"""The iou reference against hand-computed values and independent formulas, without the sandbox."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load(ROOT / "reference" / "iou" / "iou.py", "_ref_iou")


def _pair_iou(a, b):
    """IoU of two boxes as lists, in exact Python floats (independent scalar formula)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _pair_giou(a, b):
    c = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    if c == 0:
        return 0.0
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return _pair_iou(a, b) - (c - union) / c


BOXES = [
    [0.0, 0.0, 2.0, 2.0],
    [1.0, 1.0, 3.0, 3.0],
    [2.0, 0.0, 3.0, 2.0],
    [5.0, 5.0, 5.0, 5.0],
    [0.0, 0.0, 4.0, 1.0],
    [-1.0, -2.0, 0.5, 0.5],
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_area_iou_giou_against_scalar_formulas(dtype):
    b = torch.tensor(BOXES, dtype=dtype)
    assert torch.equal(ref.box_area(b), torch.tensor([4.0, 4.0, 2.0, 0.0, 4.0, 3.75], dtype=dtype))
    iou, giou = ref.box_iou(b, b), ref.generalized_box_iou(b, b)
    assert iou.dtype == dtype and iou.shape == (6, 6)
    for i, j in itertools.product(range(6), range(6)):
        assert float(iou[i, j]) == pytest.approx(_pair_iou(BOXES[i], BOXES[j]), abs=1e-6)
        assert float(giou[i, j]) == pytest.approx(_pair_giou(BOXES[i], BOXES[j]), abs=1e-6)
    assert float(iou[0, 1]) == pytest.approx(1 / 7)
    assert float(giou[0, 1]) == pytest.approx(1 / 7 - 2 / 9)
    assert float(iou[3, 3]) == 0.0 and float(giou[3, 3]) == 0.0  # zero-area box with itself


def test_zero_area_and_rectangular_shapes():
    points = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    assert torch.equal(ref.box_iou(points, points), torch.zeros(2, 2))
    assert torch.equal(ref.generalized_box_iou(points, points), torch.zeros(2, 2))
    assert ref.box_iou(points, torch.tensor(BOXES)).shape == (2, 6)
    assert ref.box_iou(torch.zeros(0, 4), torch.tensor(BOXES)).shape == (0, 6)


def test_box_convert_formulas_and_round_trips():
    b = torch.tensor([[1.0, 2.0, 5.0, 8.0]], dtype=torch.float64)
    assert ref.box_convert(b, "xyxy", "xywh").tolist() == [[1.0, 2.0, 4.0, 6.0]]
    assert ref.box_convert(b, "xyxy", "cxcywh").tolist() == [[3.0, 5.0, 4.0, 6.0]]
    assert ref.box_convert(torch.tensor([[3.0, 5.0, 4.0, 6.0]]), "cxcywh", "xyxy").tolist() == [[1.0, 2.0, 5.0, 8.0]]
    for fa, fb in itertools.permutations(["xyxy", "xywh", "cxcywh"], 2):
        there = ref.box_convert(b, "xyxy", fa)
        assert torch.allclose(ref.box_convert(ref.box_convert(there, fa, fb), fb, "xyxy"), b)
    with pytest.raises(ValueError):
        ref.box_convert(b, "xyxy", "ltrb")
    with pytest.raises(ValueError):
        ref.box_convert(b, "xywh2", "xywh2")


def test_nms_threshold_ties_and_order():
    # IoU exactly 0.5 is kept (strict >)
    b = torch.tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0]])
    assert ref.nms(b, torch.tensor([0.9, 0.8]), 0.5).tolist() == [0, 1]
    assert ref.nms(b, torch.tensor([0.9, 0.8]), 0.49).tolist() == [0]
    # equal scores: lower index first
    same = torch.tensor([[0.0, 0.0, 2.0, 2.0]] * 3)
    out = ref.nms(same, torch.tensor([0.5, 0.5, 0.5]), 0.5)
    assert out.tolist() == [0] and out.dtype == torch.int64
    # visiting order, not sorted; only kept boxes suppress
    chain = torch.tensor([[2.0, 0.0, 4.0, 1.0], [0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0]])
    assert ref.nms(chain, torch.tensor([0.7, 0.9, 0.8]), 0.25).tolist() == [1, 0]


def test_nms_iou_in_the_boxes_dtype():
    thr = float(torch.tensor(0.7, dtype=torch.float32))  # float32's 7/10 is below 0.7
    b = torch.tensor([[0.0, 0.0, 7.0, 1.0], [0.0, 0.0, 10.0, 1.0]])
    s = torch.tensor([0.9, 0.8])
    assert ref.nms(b, s, thr).tolist() == [0, 1]
    assert ref.nms(b.double(), s.double(), thr).tolist() == [0]


def _visible_suite():
    from grader.checks.built import load_module_file

    return load_module_file(str(ROOT / "assignments" / "iou" / "suite.py"))


def _accepts(visible, kept, b, s, thr) -> bool:
    from grader.checks.compare import Mismatch

    try:
        visible.check_nms(torch.tensor(kept, dtype=torch.int64), b, s, thr)
    except Mismatch:
        return False
    return True


def test_nms_checker_accepts_either_decision_within_rounding_and_follows_the_kept_boxes():
    visible = _visible_suite()
    thr = float(torch.tensor(0.7, dtype=torch.float32))  # float32's 7/10: the float32 IoU equals it
    b = torch.tensor([[0.0, 0.0, 7.0, 1.0], [0.0, 0.0, 10.0, 1.0], [1.0, 0.0, 10.0, 1.0]])
    s = torch.tensor([0.9, 0.8, 0.7])
    assert _accepts(visible, [0, 1], b, s, thr)  # box 1 kept (ambiguous), so box 2 (IoU 9/10 with it) is suppressed
    assert _accepts(visible, [0, 2], b, s, thr)  # box 1 suppressed (ambiguous), so box 2 (IoU 6/10 with 0) is kept
    assert not _accepts(visible, [0], b, s, thr)  # box 2 suppressed by a suppressed box
    assert not _accepts(visible, [0, 1, 2], b, s, thr)  # box 2 kept beside kept box 1
    assert not _accepts(visible, [1, 0], b, s, thr)  # not in visiting order
    # float64 boxes: the IoU is 0.7 in the dtype and in float64, above the threshold beyond rounding
    b64, s64 = b.double(), s.double()
    assert _accepts(visible, [0, 2], b64, s64, thr)
    assert not _accepts(visible, [0, 1], b64, s64, thr)


def test_nms_checker_is_strict_away_from_the_threshold():
    visible = _visible_suite()
    b = torch.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0], [2.0, 0.0, 4.0, 1.0]])  # IoU(0,1) = 1/3
    s = torch.tensor([0.9, 0.8, 0.7])
    assert _accepts(visible, [0, 2], b, s, 0.25)
    assert not _accepts(visible, [0, 1, 2], b, s, 0.25)
    assert not _accepts(visible, [0], b, s, 0.25)  # only kept boxes suppress
    # an IoU exactly equal to the threshold: either decision (SPEC §3 "or either equals it")
    exact = torch.tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0]])  # IoU 2/4
    assert _accepts(visible, [0, 1], exact, s[:2], 0.5) and _accepts(visible, [0], exact, s[:2], 0.5)
    assert not _accepts(visible, [0, 1], exact, s[:2], 0.5 - 2**-8)
    assert not _accepts(visible, [0], exact, s[:2], 0.5 + 2**-8)
    assert _accepts(visible, [], torch.zeros(0, 4), torch.zeros(0), 0.5)
