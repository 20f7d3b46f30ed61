"""Bounding boxes: area, IoU, generalized IoU, format conversion and non-maximum suppression.

Boxes are float32 or float64 tensors of shape (N, 4) as (x1, y1, x2, y2) with x1 <= x2 and
y1 <= y2, in CONTINUOUS coordinates: a box's width is x2 - x1 (no "+1 pixel"). Results keep
the inputs' dtype and device; nms returns int64 indices on the boxes' device. Read
README.md: the lecture notes use the +1 pixel convention and other traps.
"""

from __future__ import annotations

import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas ``(x2 - x1) * (y2 - y1)`` of ``boxes (N, 4)``: a tensor of shape ``(N,)``."""
    raise NotImplementedError


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU of ``boxes1 (N, 4)`` and ``boxes2 (M, 4)``: shape ``(N, M)``.

    ``IoU = area(A and B) / area(A or B)``, with the intersection's width and height clamped
    at 0 (disjoint boxes do not overlap negatively). Where the union is 0 (two zero-area
    boxes) the IoU is 0, never NaN.
    """
    raise NotImplementedError


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise GIoU, shape ``(N, M)``: ``IoU - (C - U) / C``.

    ``U`` is the union's area and ``C`` the area of the smallest box enclosing both boxes
    (min of the x1/y1, max of the x2/y2). Where ``C`` is 0 the GIoU is 0. Values lie in [-1, 1].
    """
    raise NotImplementedError


def box_convert(boxes: torch.Tensor, in_fmt: str, out_fmt: str) -> torch.Tensor:
    """Convert ``boxes (N, 4)`` between formats; returns a new ``(N, 4)`` tensor.

    | format   | columns                                      |
    |----------|----------------------------------------------|
    | "xyxy"   | x1, y1, x2, y2 (corners)                     |
    | "xywh"   | x1, y1, w, h (top-left corner and full size) |
    | "cxcywh" | cx, cy, w, h (centre and full size)          |

    with ``w = x2 - x1``, ``h = y2 - y1``, ``cx = (x1 + x2) / 2``, ``cy = (y1 + y2) / 2``.
    Raises ValueError if ``in_fmt`` or ``out_fmt`` is not one of these three.
    """
    raise NotImplementedError


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression; returns the kept indices as an int64 tensor.

    Visit the boxes by decreasing ``scores (N,)``; equal scores are visited lower index
    first. A visited box is kept unless its IoU (computed in the boxes' dtype) with an
    already kept box is strictly greater than ``iou_threshold`` (an IoU exactly equal to
    the threshold does not suppress). Returns the kept indices in visiting order, as a 1-d
    int64 tensor on the boxes' device.
    """
    raise NotImplementedError
