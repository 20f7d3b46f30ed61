"""The reference cache answers repeated inputs once, and is invisible otherwise."""

from __future__ import annotations

import types

import torch

from grader.checks.reference_cache import CachedReference


def make_module() -> tuple[types.ModuleType, list]:
    calls: list = []
    module = types.ModuleType("fake_reference")

    def double(x, *, scale=2):
        calls.append(x)
        return x * scale

    def draw(generator):
        calls.append("draw")
        return torch.rand(2, generator=generator)

    double.__module__ = draw.__module__ = "fake_reference"
    module.double, module.draw, module.CONSTANT = double, draw, 3
    return module, calls


def test_same_input_is_computed_once_and_copies_come_out():
    module, calls = make_module()
    ref = CachedReference(module)
    x = torch.tensor([1.0, 2.0])
    first = ref.double(x)
    first.add_(100)  # a test mutating its answer must not poison the cache
    second = ref.double(x.clone())
    assert torch.equal(second, torch.tensor([2.0, 4.0]))
    assert len(calls) == 1 and ref.hits == 1 and ref.misses == 1


def test_different_inputs_dtypes_and_keywords_are_different_keys():
    module, calls = make_module()
    ref = CachedReference(module)
    ref.double(torch.tensor([1.0]))
    ref.double(torch.tensor([1.0], dtype=torch.float64))
    ref.double(torch.tensor([1.0]), scale=3)
    ref.double(torch.tensor([[1.0]]))
    assert len(calls) == 4 and ref.hits == 0


def test_stateful_arguments_are_never_cached():
    module, calls = make_module()
    ref = CachedReference(module)
    g = torch.Generator().manual_seed(0)
    a, b = ref.draw(g), ref.draw(g)
    assert calls == ["draw", "draw"] and not torch.equal(a, b)  # the generator advanced, as uncached


def test_non_functions_pass_through():
    module, _ = make_module()
    assert CachedReference(module).CONSTANT == 3
