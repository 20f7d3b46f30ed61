"""Copies of replayed cases and cached answers share nothing with the originals."""

from __future__ import annotations

import torch

from grader.checks.copying import fresh, to_device


def test_tensors_in_containers_are_copied_with_their_leaf_flags():
    x = torch.arange(6.0).reshape(2, 3).requires_grad_(True)
    case = {"x": x, "pair": (torch.ones(2, dtype=torch.int64), 3), "items": [1.5, "a", None]}
    copied = fresh(case)
    assert copied["x"] is not x and torch.equal(copied["x"], x)
    assert copied["x"].requires_grad and copied["x"].is_leaf and copied["x"].grad_fn is None
    assert copied["pair"][0].dtype == torch.int64 and copied["pair"][1] == 3
    with torch.no_grad():
        copied["x"].add_(1)
    copied["pair"][0].zero_()
    copied["items"].append(0)
    assert torch.equal(x, torch.arange(6.0).reshape(2, 3))
    assert torch.equal(case["pair"][0], torch.ones(2, dtype=torch.int64))
    assert case["items"] == [1.5, "a", None]


def test_other_objects_fall_back_to_deepcopy():
    class Box:
        def __init__(self) -> None:
            self.inside = [torch.zeros(1)]

    box = Box()
    copied = fresh({"box": box, "param": torch.nn.Parameter(torch.zeros(2))})["box"]
    assert copied is not box and copied.inside[0] is not box.inside[0]
    assert isinstance(fresh(torch.nn.Parameter(torch.zeros(2))), torch.nn.Parameter)


def test_to_device_moves_every_tensor():
    moved = to_device({"a": [torch.zeros(1)], "b": (torch.ones(1), 2)}, "cpu")
    assert moved["a"][0].device.type == "cpu" and moved["b"][1] == 2
