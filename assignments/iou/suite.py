"""Visible tests for iou: oracles written here from the definitions (torchvision is not used).

Boxes are drawn half on a grid of multiples of 0.5 (so identical, touching, nested and
zero-area boxes are frequent, and every area is exact in binary floating point) and half
as arbitrary floats. NMS thresholds are exactly representable in float32, so "IoU strictly
greater than the threshold" means the same whatever the precision of the comparison.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, check
from grader.spec import Suite

suite = Suite(
    "iou",
    student_file="iou.py",
    title="Boxes: IoU, GIoU, conversions and NMS",
    functions=("box_area", "box_iou", "generalized_box_iou", "box_convert", "nms"),
)

FORMATS = ("xyxy", "xywh", "cxcywh")


# ---------------------------------------------------------------- strategies


def coordinates(dtype: torch.dtype, grid: bool) -> st.SearchStrategy[float]:
    if grid:
        return st.integers(0, 16).map(lambda k: k / 2)
    return st.floats(
        0.0,
        10.0,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=32 if dtype == torch.float32 else 64,
    )


def sorted_corners(raw: torch.Tensor) -> torch.Tensor:
    """Valid xyxy boxes from ``(n, 4)`` drawn coordinates: each axis's two sorted (x1 <= x2, y1 <= y2)."""
    x1, x2 = torch.minimum(raw[:, 0], raw[:, 2]), torch.maximum(raw[:, 0], raw[:, 2])
    y1, y2 = torch.minimum(raw[:, 1], raw[:, 3]), torch.maximum(raw[:, 1], raw[:, 3])
    return torch.stack([x1, y1, x2, y2], dim=1)


@st.composite
def boxes(draw, n: int, dtype: torch.dtype, grid: bool | None = None) -> torch.Tensor:
    """``n`` valid xyxy boxes."""
    on_grid = draw(st.booleans()) if grid is None else grid
    return sorted_corners(draw(gst.tensors((n, 4), dtype=dtype, elements=coordinates(dtype, on_grid))))


@st.composite
def pair_case(draw, max_side: int = 6, grid: bool | None = None):
    dtype = draw(gst.float_dtypes())
    n, m = draw(gst.dims(1, max_side)), draw(gst.dims(1, max_side))
    return {"boxes1": draw(boxes(n, dtype, grid)), "boxes2": draw(boxes(m, dtype, grid))}


# Thresholds exactly representable in float32 (and so in float64).
THRESHOLDS = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 0.125, 0.375]), st.floats(0.0, 1.0, width=32))


@st.composite
def nms_case(draw, max_boxes: int = 8):
    dtype = draw(gst.float_dtypes())
    n = draw(gst.dims(1, max_boxes))
    tied = draw(st.booleans())  # few distinct scores: many ties
    elements = st.sampled_from([0.0, 0.5, 1.0, 2.0]) if tied else None
    scores = draw(gst.tensors((n,), dtype=dtype, min_value=0.0, max_value=1.0, elements=elements))
    return {"boxes": draw(boxes(n, dtype)), "scores": scores, "iou_threshold": draw(THRESHOLDS)}


# ---------------------------------------------------------------- oracles (from the definitions)


def oracle_area(b: torch.Tensor) -> torch.Tensor:
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def oracle_iou(b1: torch.Tensor, b2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(iou, union, enclosing area), pairwise, in the boxes' dtype."""
    w = (torch.minimum(b1[:, None, 2], b2[None, :, 2]) - torch.maximum(b1[:, None, 0], b2[None, :, 0])).clamp_min(0)
    h = (torch.minimum(b1[:, None, 3], b2[None, :, 3]) - torch.maximum(b1[:, None, 1], b2[None, :, 1])).clamp_min(0)
    inter = w * h
    union = oracle_area(b1)[:, None] + oracle_area(b2)[None, :] - inter
    iou = torch.where(union > 0, inter / union.clamp_min(torch.finfo(union.dtype).tiny), torch.zeros_like(union))
    cw = torch.maximum(b1[:, None, 2], b2[None, :, 2]) - torch.minimum(b1[:, None, 0], b2[None, :, 0])
    ch = torch.maximum(b1[:, None, 3], b2[None, :, 3]) - torch.minimum(b1[:, None, 1], b2[None, :, 1])
    return iou, union, cw * ch


def oracle_giou(b1: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    iou, union, c = oracle_iou(b1, b2)
    safe_c = c.clamp_min(torch.finfo(c.dtype).tiny)
    return torch.where(c > 0, iou - (c - union) / safe_c, torch.zeros_like(c))


def oracle_convert(b: torch.Tensor, in_fmt: str, out_fmt: str) -> torch.Tensor:
    if in_fmt == "xyxy":
        xyxy = b
    elif in_fmt == "xywh":
        xyxy = torch.cat([b[:, :2], b[:, :2] + b[:, 2:]], dim=1)
    else:
        xyxy = torch.cat([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], dim=1)
    if out_fmt == "xyxy":
        return xyxy.clone()
    size = xyxy[:, 2:] - xyxy[:, :2]
    if out_fmt == "xywh":
        return torch.cat([xyxy[:, :2], size], dim=1)
    return torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, size], dim=1)


def oracle_nms(b: torch.Tensor, scores: torch.Tensor, thr: float) -> list[int]:
    iou = oracle_iou(b, b)[0].cpu().tolist()
    order = sorted(range(len(iou)), key=lambda i: (-float(scores[i]), i))  # ties: lower index first
    keep: list[int] = []
    for i in order:
        if all(iou[i][k] <= thr for k in keep):
            keep.append(i)
    return keep


def check_nms_result(got, want: list[int], device: torch.device | str, *, name: str) -> None:
    """``got`` is the int64 tensor of ``want`` on ``device``, with a message showing both lists."""
    check(isinstance(got, torch.Tensor), f"{name} returned {type(got).__name__} {got!r}, expected an int64 tensor")
    check(got.dtype == torch.int64, f"{name} returned dtype {got.dtype}, expected torch.int64")
    check(got.dim() == 1, f"{name} returned shape {tuple(got.shape)}, expected a 1-d tensor")
    check(got.cpu().tolist() == want, f"{name} kept {got.cpu().tolist()}, expected {want}")
    check(got.device.type == torch.device(device).type, f"{name} returned indices on {got.device}, expected {device}")


def visiting_order(scores: torch.Tensor) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))


def check_nms(got, b: torch.Tensor, scores: torch.Tensor, thr: float, *, name: str = "nms") -> None:
    check_nms_result(
        got, oracle_nms(b, scores, thr), b.device, name=f"{name} (visiting order {visiting_order(scores)})"
    )


def scale_of(*ts: torch.Tensor) -> float:
    return max([1.0] + [float(t.abs().max()) for t in ts if t.numel()])


# ---------------------------------------------------------------- tests


@suite.test(
    "box_area is (x2 - x1) * (y2 - y1), no +1",
    functions=("box_area",),
    points=1,
    inputs=pair_case().map(lambda c: {"boxes": c["boxes1"]}),
    examples=[{"boxes": torch.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.0, 5.0], [0.5, 0.5, 1.5, 1.0]])}],
    max_examples=25,
    hint="Continuous coordinates: a box from x1 = 0 to x2 = 2 has width 2, not 3.",
)
def _(student, boxes):
    assert_close(student.box_area(boxes), oracle_area(boxes), scale=scale_of(boxes) ** 2, name="box_area")


@suite.test(
    "box_iou matches the definition, shape (N, M)",
    functions=("box_iou",),
    points=2,
    inputs=pair_case(),
    examples=[
        {
            "boxes1": torch.tensor([[0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]]),
            "boxes2": torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [2.0, 0.0, 3.0, 2.0]]),
        }
    ],
    max_examples=30,
    hint="Clamp the intersection's width and height at 0 separately; union = area1 + area2 - intersection.",
)
def _(student, boxes1, boxes2):
    assert_close(student.box_iou(boxes1, boxes2), oracle_iou(boxes1, boxes2)[0], name="box_iou")


@suite.test(
    "generalized_box_iou matches the definition, values in [-1, 1]",
    functions=("generalized_box_iou",),
    points=2,
    inputs=pair_case(),
    examples=[
        {
            "boxes1": torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]], dtype=torch.float64),
            "boxes2": torch.tensor([[2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 3.0, 3.0]], dtype=torch.float64),
        }
    ],
    max_examples=30,
    hint="C is the area of the smallest box enclosing both (min of x1/y1, max of x2/y2), not the union.",
)
def _(student, boxes1, boxes2):
    got = student.generalized_box_iou(boxes1, boxes2)
    assert_close(got, oracle_giou(boxes1, boxes2), name="generalized_box_iou")
    check(bool(((got >= -1 - 1e-6) & (got <= 1 + 1e-6)).all()), f"generalized_box_iou outside [-1, 1]: {got}")


@st.composite
def convert_case(draw):
    case = draw(pair_case())
    return {
        "boxes": case["boxes1"],
        "in_fmt": draw(st.sampled_from(FORMATS)),
        "out_fmt": draw(st.sampled_from(FORMATS)),
    }


@suite.test(
    "box_convert follows the formulas between xyxy, xywh and cxcywh",
    functions=("box_convert",),
    points=2,
    inputs=convert_case(),
    examples=[
        {"boxes": torch.tensor([[1.0, 2.0, 5.0, 8.0]]), "in_fmt": "xyxy", "out_fmt": "xywh"},
        {"boxes": torch.tensor([[1.0, 2.0, 5.0, 8.0]]), "in_fmt": "xyxy", "out_fmt": "cxcywh"},
        {"boxes": torch.tensor([[3.0, 5.0, 4.0, 6.0]]), "in_fmt": "cxcywh", "out_fmt": "xyxy"},
        {"boxes": torch.tensor([[1.0, 2.0, 4.0, 6.0]]), "in_fmt": "xywh", "out_fmt": "cxcywh"},
    ],
    max_examples=40,
    hint="xywh is the top-left corner and the FULL width/height; cxcywh is the centre (x1+x2)/2 and full sizes.",
)
def _(student, boxes, in_fmt, out_fmt):
    got = student.box_convert(boxes, in_fmt, out_fmt)
    assert_close(
        got,
        oracle_convert(boxes, in_fmt, out_fmt),
        scale=scale_of(boxes),
        name=f"box_convert(boxes, {in_fmt!r}, {out_fmt!r})",
    )


@suite.test(
    "nms matches greedy suppression (decreasing score, ties lower index first, strict >)",
    functions=("nms",),
    points=2,
    inputs=nms_case(),
    examples=[
        {
            "boxes": torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]]),
            "scores": torch.tensor([0.5, 0.9, 0.7]),
            "iou_threshold": 0.5,
        },
        # a chain: 0 suppresses 1 (IoU 1/3), 1 would suppress 2, but 1 is not kept, so 2 survives
        {
            "boxes": torch.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0], [2.0, 0.0, 4.0, 1.0]]),
            "scores": torch.tensor([0.9, 0.8, 0.7]),
            "iou_threshold": 0.25,
        },
    ],
    max_examples=40,
    hint="Only KEPT boxes suppress (a suppressed box suppresses nothing). Return "
    "torch.tensor(kept, dtype=torch.int64, device=boxes.device) with the kept indices in visiting order, not sorted.",
)
def _(student, boxes, scores, iou_threshold):
    check_nms(
        student.nms(boxes, scores, iou_threshold),
        boxes,
        scores,
        iou_threshold,
        name=f"nms(boxes, scores, {iou_threshold!r})",
    )


# IoUs exactly representable in binary floating point: inter and union are small integers.
AT_THRESHOLD = [
    # IoU([0,0,3,1], [1,0,4,1]) = 2 / 4 = 0.5
    (torch.tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0]]), torch.tensor([0.9, 0.8]), 0.5),
    # IoU([0,0,4,1], [0,0,1,1]) = 1 / 4 = 0.25
    (
        torch.tensor([[0.0, 0.0, 4.0, 1.0], [0.0, 0.0, 1.0, 1.0]], dtype=torch.float64),
        torch.tensor([0.3, 0.6], dtype=torch.float64),
        0.25,
    ),
    # touching boxes: IoU 0 is not > 0
    (
        torch.tensor([[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 1.0, 2.0]]),
        torch.tensor([1.0, 0.5, 0.25]),
        0.0,
    ),
    # identical boxes: IoU 1 is not > 1
    (torch.tensor([[2.0, 2.0, 4.0, 4.0], [2.0, 2.0, 4.0, 4.0]]), torch.tensor([0.1, 0.2]), 1.0),
]


@suite.test(
    "nms keeps a box whose IoU equals the threshold exactly",
    functions=("nms",),
    points=1,
    inputs=None,
    hint="Suppress only when IoU > threshold (strictly); IoU == threshold keeps the box.",
)
def _(student, device):
    for b, s, thr in AT_THRESHOLD:
        b, s = b.to(device), s.to(device)
        check_nms_result(
            student.nms(b, s, thr),
            visiting_order(s),
            device,
            name=f"nms(boxes={b.tolist()}, scores={s.tolist()}, iou_threshold={thr}) "
            f"(every IoU is <= {thr}, so every box is kept)",
        )
