"""Bug: NMS visits the boxes by index (0, 1, 2, ...) instead of by decreasing score, so a
low-scored box that comes first suppresses a better one (SPEC §3: visit by decreasing score).
The overlaps, GIoU and conversions are correct, and so is the suppression rule (strictly greater).

Caught by: nms matches greedy suppression (decreasing score, ties lower index first, strict >)
Caught by: nms follows greedy suppression on up to 10 boxes and returns int64 indices on the boxes' device
"""

from __future__ import annotations

import torch


def box_area(boxes):
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    return (x2 - x1) * (y2 - y1)


def _pairwise(boxes1, boxes2):
    ax1, ay1, ax2, ay2 = [c[:, None] for c in boxes1.unbind(dim=1)]
    bx1, by1, bx2, by2 = [c[None, :] for c in boxes2.unbind(dim=1)]
    iw = (torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp_min(0)
    ih = (torch.minimum(ay2, by2) - torch.maximum(ay1, by1)).clamp_min(0)
    inter = iw * ih
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    cw = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)
    ch = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    return inter, union, cw * ch


def box_iou(boxes1, boxes2):
    inter, union, _ = _pairwise(boxes1, boxes2)
    ok = union > 0
    return torch.where(ok, inter / torch.where(ok, union, torch.ones_like(union)), torch.zeros_like(union))


def generalized_box_iou(boxes1, boxes2):
    inter, union, enclosing = _pairwise(boxes1, boxes2)
    ok_u = union > 0
    iou = torch.where(ok_u, inter / torch.where(ok_u, union, torch.ones_like(union)), torch.zeros_like(union))
    ok_c = enclosing > 0
    safe_c = torch.where(ok_c, enclosing, torch.ones_like(enclosing))
    return torch.where(ok_c, iou - 1 + union / safe_c, torch.zeros_like(iou))


def box_convert(boxes, in_fmt, out_fmt):
    formats = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in formats or out_fmt not in formats:
        raise ValueError(f"unknown box format: {in_fmt!r} or {out_fmt!r}")
    a, b, c, d = boxes.unbind(dim=1)
    if in_fmt == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    else:
        x1, y1, x2, y2 = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xyxy":
        cols = [x1, y1, x2, y2]
    elif out_fmt == "xywh":
        cols = [x1, y1, x2 - x1, y2 - y1]
    else:
        cols = [0.5 * (x1 + x2), 0.5 * (y1 + y2), x2 - x1, y2 - y1]
    return torch.stack(cols, dim=1)


def nms(boxes, scores, iou_threshold):
    order = torch.arange(boxes.shape[0], device=boxes.device)  # the bug: scores never order the visit
    iou = box_iou(boxes, boxes)
    keep = []
    while order.numel() > 0:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        order = rest[iou[i, rest] <= iou_threshold]
    return torch.tensor(keep, dtype=torch.long, device=boxes.device)
