"""Reference solution: box areas, IoU, GIoU, format conversion and NMS (continuous coordinates, no +1)."""

from __future__ import annotations

import torch

FORMATS = ("xyxy", "xywh", "cxcywh")


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)  # disjoint along an axis: no overlap, not a negative one
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    return inter, union


def _safe_div(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den where den > 0, else 0 (never NaN)."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(num))


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    inter, union = _inter_union(boxes1, boxes2)
    return _safe_div(inter, union)


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    inter, union = _inter_union(boxes1, boxes2)
    iou = _safe_div(inter, union)
    lt = torch.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    enclosing = wh[..., 0] * wh[..., 1]
    return torch.where(enclosing > 0, iou - _safe_div(enclosing - union, enclosing), torch.zeros_like(iou))


def box_convert(boxes: torch.Tensor, in_fmt: str, out_fmt: str) -> torch.Tensor:
    if in_fmt not in FORMATS or out_fmt not in FORMATS:
        raise ValueError(f"box formats must be among {FORMATS}, got {in_fmt!r} -> {out_fmt!r}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:
        x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xyxy":
        out = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return torch.stack(out, dim=-1)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    # A stable descending sort visits equal scores lower index first.
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    overlaps = (box_iou(boxes, boxes) > iou_threshold).cpu().tolist()  # IoU in the boxes' dtype
    suppressed = [False] * boxes.shape[0]
    keep: list[int] = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        for j, over in enumerate(overlaps[i]):
            if over:
                suppressed[j] = True
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)
