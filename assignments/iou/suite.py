"""Visible tests for iou: oracles written here from the definitions (torchvision is not used).

Boxes are drawn half on a grid of multiples of 0.5 (so identical, touching, nested and
zero-area boxes are frequent, and every area is exact in binary floating point) and half
as arbitrary floats, at scales from normalised coordinates (boxes down to 1e-6) to large
pixel coordinates, so that an absolute epsilon shows.

NMS and rounding (SPEC §2, §3): where an IoU lies within rounding of the threshold, either
decision is accepted. The checker (``check_nms``) computes each pair's IoU in the boxes'
dtype and in float64; a pair is *ambiguous* when the two fall on different sides of the
threshold, either equals it, or either lies within a few units in the last place of the
dtype from it (another valid formula for the IoU in the boxes' dtype moves it by that much).
A student's output is verified by simulating NMS along the student's OWN decisions: each
visited box must be suppressed if some box the student kept before it has an unambiguous
IoU above the threshold, kept if none overlaps above or ambiguously, and either otherwise.
An ambiguous decision changes which boxes are kept later, so this is the only fair check.
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
    # Checked on the meta device: every function but nms, whose loop decides by IoU values
    # which boxes to keep (value-dependent control flow has nothing to run on meta).
    meta_safe=("box_area", "box_iou", "generalized_box_iou", "box_convert"),
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


# Scales of the coordinates: pixels (1), normalised coordinates with boxes down to ~1e-6
# (2**-20 times the grid's 0.5), and large pixel coordinates (up to 16 * 2**16 ~ 1e6). Powers
# of two, so a grid box stays exact at every scale. An absolute epsilon (``union + 1e-6``)
# shows at the small scales, where every area is below 1e-10.
SCALES = st.sampled_from([1.0, 1.0, 1.0, 2.0**-20, 2.0**-10, 2.0**10, 2.0**16])


@st.composite
def boxes(draw, n: int, dtype: torch.dtype, grid: bool | None = None, scale: float | None = None) -> torch.Tensor:
    """``n`` valid xyxy boxes (``n`` may be 0), at ``scale`` (drawn from SCALES if None)."""
    on_grid = draw(st.booleans()) if grid is None else grid
    factor = draw(SCALES) if scale is None else scale
    return sorted_corners(draw(gst.tensors((n, 4), dtype=dtype, elements=coordinates(dtype, on_grid)))) * factor


@st.composite
def pair_case(draw, max_side: int = 6, grid: bool | None = None, min_side: int = 1):
    """Two sets of boxes of one dtype and one scale (a shared scale: IoU compares them)."""
    dtype = draw(gst.float_dtypes())
    n, m = draw(gst.dims(min_side, max_side)), draw(gst.dims(min_side, max_side))
    scale = draw(SCALES)
    return {"boxes1": draw(boxes(n, dtype, grid, scale)), "boxes2": draw(boxes(m, dtype, grid, scale))}


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
    """One acceptable answer: strict ``>`` on the IoU in the boxes' dtype (the reference's rule)."""
    iou = oracle_iou(b, b)[0].cpu().tolist()
    keep: list[int] = []
    for i in visiting_order(scores):
        if all(iou[i][k] <= thr for k in keep):
            keep.append(i)
    return keep


def check_nms_type(got, device: torch.device | str, *, name: str) -> list[int]:
    """``got`` is a 1-d int64 tensor on ``device``; returns it as a list."""
    check(isinstance(got, torch.Tensor), f"{name} returned {type(got).__name__} {got!r}, expected an int64 tensor")
    check(got.dtype == torch.int64, f"{name} returned dtype {got.dtype}, expected torch.int64")
    check(got.dim() == 1, f"{name} returned shape {tuple(got.shape)}, expected a 1-d tensor")
    check(got.device.type == torch.device(device).type, f"{name} returned indices on {got.device}, expected {device}")
    return got.cpu().tolist()


def check_nms_result(got, want: list[int], device: torch.device | str, *, name: str) -> None:
    """``got`` is the int64 tensor of ``want`` on ``device`` (for cases with no IoU near the threshold)."""
    kept = check_nms_type(got, device, name=name)
    check(kept == want, f"{name} kept {kept}, expected {want}")


def visiting_order(scores: torch.Tensor) -> list[int]:
    """Decreasing score, equal scores lower index first."""
    return sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))


OVER, UNDER, NEAR = "over", "under", "near"
# Units in the last place (of the dtype, at the threshold) within which an IoU counts as "at"
# the threshold: the IoU of one pair computed in the boxes' dtype by another valid formula
# (areas vs widths first, another grouping of the union) differs from ours by a few ulps.
NEAR_ULPS = 8


def iou_relations(b: torch.Tensor, thr: float) -> tuple[list[list[str]], list[list[float]], list[list[float]]]:
    """Per pair (i, k): OVER (IoU > thr beyond rounding), UNDER (below beyond rounding) or NEAR;
    with the IoUs in the boxes' dtype and in float64."""
    in_dtype = oracle_iou(b, b)[0].cpu().double().tolist()
    in_f64 = oracle_iou(b.double(), b.double())[0].cpu().tolist()
    band = NEAR_ULPS * torch.finfo(b.dtype).eps * max(abs(thr), torch.finfo(b.dtype).tiny)
    rel = []
    for row_d, row_64 in zip(in_dtype, in_f64):
        rel.append([])
        for a, c in zip(row_d, row_64):
            lo, hi = min(a, c), max(a, c)
            rel[-1].append(OVER if lo > thr + band else UNDER if hi < thr - band else NEAR)
    return rel, in_dtype, in_f64


def check_nms(got, b: torch.Tensor, scores: torch.Tensor, thr: float, *, name: str = "nms") -> None:
    """``got`` follows greedy NMS, where every decision within rounding of the threshold may go either way."""
    kept_list = check_nms_type(got, b.device, name=name)
    order = visiting_order(scores)
    n = len(order)
    check(all(isinstance(i, int) and 0 <= i < n for i in kept_list) and len(set(kept_list)) == len(kept_list),
          f"{name} kept {kept_list}: expected distinct indices in [0, {n})")
    position = {i: p for p, i in enumerate(order)}
    check(kept_list == sorted(kept_list, key=position.__getitem__),
          f"{name} kept {kept_list}, not in visiting order {order} (decreasing score, equal scores lower index "
          f"first); one acceptable answer is {oracle_nms(b, scores, thr)}")
    rel, in_dtype, in_f64 = iou_relations(b, thr)
    chosen = set(kept_list)
    kept: list[int] = []
    for i in order:
        over = [k for k in kept if rel[i][k] == OVER]
        near = [k for k in kept if rel[i][k] == NEAR]
        if over and i in chosen:
            k = over[0]
            check(False, f"{name} kept box {i}, but its IoU with box {k}, kept before it, is {in_dtype[i][k]!r} "
                  f"(float64: {in_f64[i][k]!r}), strictly greater than the threshold {thr!r}: box {i} must be "
                  f"suppressed (visiting order {order}; you kept {kept_list}; one acceptable answer is "
                  f"{oracle_nms(b, scores, thr)})")
        if not over and not near and i not in chosen:
            check(False, f"{name} suppressed box {i}, but its IoU with every box kept before it ({kept}) is at most "
                  f"the threshold {thr!r} (only kept boxes suppress; visiting order {order}; you kept {kept_list}; "
                  f"one acceptable answer is {oracle_nms(b, scores, thr)})")
        if i in chosen:
            kept.append(i)


def scale_of(*ts: torch.Tensor) -> float:
    return max([1.0] + [float(t.abs().max()) for t in ts if t.numel()])


def magnitude(*ts: torch.Tensor) -> float:
    """The largest |coordinate| (no floor at 1: at normalised scales a floor would hide an absolute error)."""
    return max([0.0] + [float(t.abs().max()) for t in ts if t.numel()])


def tolerances_for(dtype: torch.dtype) -> tuple[float, float]:
    """(rtol, atol) for ratios (IoU, GIoU) and, times the magnitude, for coordinates and areas.

    float32: the comparison module's defaults. float64: 1e-12 relative, 1e-14 absolute; IoUs
    computed by other valid formulas (areas first, loops, float64 everywhere) agree to a few
    ulps (~1e-15), while a float32 constant or intermediate in a float64 call is off by ~1e-8.
    """
    return (1e-4, 1e-5) if dtype == torch.float32 else (1e-12, 1e-14)


def close_ratio(got, want: torch.Tensor, *, name: str) -> None:
    """IoU-like results (scale-free): the dtype's tolerances."""
    rtol, atol = tolerances_for(want.dtype)
    assert_close(got, want, rtol=rtol, atol=atol, name=name)


def close_coordinates(got, want: torch.Tensor, magnitude_of_inputs: float, power: int = 1, *, name: str) -> None:
    """Coordinates (power 1) or areas (power 2): absolute tolerance relative to the boxes' magnitude."""
    rtol, atol = tolerances_for(want.dtype)
    size = max(magnitude_of_inputs, torch.finfo(want.dtype).tiny) ** power
    # atol is passed already scaled; scale=1 (compare floors scale at 1, which would hide tiny boxes)
    assert_close(got, want, rtol=rtol, atol=atol * size, name=name)


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
    close_coordinates(student.box_area(boxes), oracle_area(boxes), magnitude(boxes), 2, name="box_area")


@suite.test(
    "box_iou matches the definition, shape (N, M)",
    functions=("box_iou",),
    points=2,
    inputs=pair_case(),
    examples=[
        {
            "boxes1": torch.tensor([[0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]]),
            "boxes2": torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [2.0, 0.0, 3.0, 2.0]]),
        },
        # normalised coordinates, boxes of size ~1e-6: IoUs 1/7 and 1 whatever the scale (no absolute epsilon)
        {
            "boxes1": torch.tensor([[0.0, 0.0, 2e-6, 2e-6], [0.5, 0.5, 0.500001, 0.500001]], dtype=torch.float64),
            "boxes2": torch.tensor([[1e-6, 1e-6, 3e-6, 3e-6], [0.5, 0.5, 0.500001, 0.500001]], dtype=torch.float64),
        },
    ],
    max_examples=30,
    hint="Clamp the intersection's width and height at 0 separately; union = area1 + area2 - intersection. "
    "Coordinates may be of any scale (boxes as small as 1e-6): no absolute epsilon such as union + 1e-6.",
)
def _(student, boxes1, boxes2):
    close_ratio(student.box_iou(boxes1, boxes2), oracle_iou(boxes1, boxes2)[0], name="box_iou")


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
    close_ratio(got, oracle_giou(boxes1, boxes2), name="generalized_box_iou")
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
    close_coordinates(got, oracle_convert(boxes, in_fmt, out_fmt), magnitude(boxes),
                      name=f"box_convert(boxes, {in_fmt!r}, {out_fmt!r})")


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
    "torch.tensor(kept, dtype=torch.int64, device=boxes.device) with the kept indices in visiting order, not sorted. "
    "Where an IoU lies within rounding of the threshold, either decision is accepted (and checked consistently "
    "with the boxes you kept).",
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
    # touching boxes: IoU 0
    (
        torch.tensor([[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 1.0, 2.0]]),
        torch.tensor([1.0, 0.5, 0.25]),
        0.0,
    ),
    # identical boxes: IoU 1
    (torch.tensor([[2.0, 2.0, 4.0, 4.0], [2.0, 2.0, 4.0, 4.0]]), torch.tensor([0.1, 0.2]), 1.0),
]
# Far beyond rounding (2**-8 from an IoU exact in both dtypes), yet close to it.
BESIDE = 2.0**-8


@suite.test(
    "nms at the threshold: either decision where the IoU equals it, strict > just beside it",
    functions=("nms",),
    points=1,
    inputs=None,
    hint="A box is suppressed when its IoU with a kept box is strictly greater than the threshold. Where the "
    "IoU equals the threshold (or lies within rounding of it), either decision is accepted; 2**-8 away it is not.",
)
def _(student, device):
    # SPEC §3: an IoU equal to the threshold may go either way, so ">=" and ">" are both accepted AT it;
    # thresholds 2**-8 below and above the (exact) IoU decide: suppress below, keep above.
    for b, s, iou in AT_THRESHOLD:
        b, s = b.to(device), s.to(device)
        for thr in (iou - BESIDE, iou, iou + BESIDE):
            if not 0.0 <= thr <= 1.0:
                continue
            check_nms(student.nms(b, s, thr), b, s, thr,
                      name=f"nms(boxes={b.tolist()}, scores={s.tolist()}, iou_threshold={thr!r}) (the IoUs are "
                      f"exactly {iou}: {'either decision' if thr == iou else 'beside the threshold, strict >'})")
