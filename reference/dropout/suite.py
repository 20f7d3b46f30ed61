"""Hidden tests for ``dropout``: the visible suite's cases, oracle and bands on independence
(pairs of neighbours, counts that vary), the generator's state, 3-d/4-d and empty inputs with
p near 0 and 1, and the reference's backward. Each statistical test states its false-fail
probability (a union bound over its bands, each at most P_CHECK = 2e-8)."""

from __future__ import annotations

import math

import torch

from grader.checks.compare import assert_close, check
from grader.spec import Suite, reference_beside, visible_suite_of

visible = visible_suite_of(__file__)
ref = reference_beside(__file__, "dropout.py")
suite = Suite("dropout")
gen, checked_mask, seeded_x, F64 = visible.gen, visible.checked_mask, visible.seeded_x, visible.F64


@suite.test("elements are dropped independently: neighbours along every dimension are both kept w.p. (1 - p)^2",
            functions=("dropout_mask",), points=1.5, inputs=None,
            hint="One draw per element: no mask shared over the batch, per row or per channel (Dropout2d). "
                 "5 bands x 2e-8: false-fail probability at most 1e-7.")
def _(student, device):
    for k, (p, shape) in enumerate(((0.3, (100, 500)), (0.6, (20, 50, 50)))):
        mask = checked_mask(student.dropout_mask(shape, p, gen(600 + k)), shape, device).cpu()
        for dim, size in enumerate(shape):
            even = torch.arange(0, size - 1, 2)
            both = mask.index_select(dim, even) & mask.index_select(dim, even + 1)  # disjoint pairs
            visible.check_fraction(int(both.sum()), both.numel(), (1 - p) ** 2,
                                   f"dropout_mask({shape}, p={p}): pairs of neighbours along dim {dim} both kept")


@suite.test("the number of kept elements varies from draw to draw (Binomial, not a fixed count)",
            functions=("dropout_mask",), points=1, inputs=None,
            hint="Each element is kept on its own: not exactly (1 - p) * n of them (randperm, argsort, topk). "
                 "A correct mask fails this test with probability below 3e-8.")
def _(student, device):
    draws, shape, p = 5, (100, 500), 0.3
    n, q = math.prod(shape), 1 - p
    masks = [checked_mask(student.dropout_mask(shape, p, gen(700 + k)), shape, device) for k in range(draws)]
    counts = [int(m.sum()) for m in masks]
    visible.check_fraction(sum(counts), n * draws, q, f"dropout_mask({shape}, p={p}): kept fraction of {draws} draws")
    # iid Binomial(n, q) counts all lie in some {a, a + 1} w.p. <= 2 (2 max pmf)^(draws - 1)
    mode = math.floor((n + 1) * q)
    pmf = math.exp(math.lgamma(n + 1) - math.lgamma(mode + 1) - math.lgamma(n - mode + 1)
                   + mode * math.log(q) + (n - mode) * math.log(1 - q))
    check(max(counts) - min(counts) >= 2, f"dropout_mask kept {counts} of {n} elements in {draws} draws: a "
          f"Binomial count varies (false-fail probability {2 * (2 * pmf) ** (draws - 1):.1g})")


def advanced(seed: int, draws: int) -> torch.Generator:
    g = gen(seed)
    torch.rand(draws, generator=g)
    return g


@suite.test("the mask depends on the generator's current state, not only on its seed",
            functions=("dropout_mask", "dropout"), points=1, inputs=None,
            hint="Draw from the generator you are given; do not rebuild one from generator.initial_seed() (or "
                 "torch.manual_seed it): a generator that has already drawn must give a new mask.")
def _(student, device):
    shape, p = (64, 64), 0.4
    x = seeded_x(shape, 800, F64, device)
    fresh, moved, again = (checked_mask(student.dropout_mask(shape, p, g), shape, device)
                           for g in (gen(801), advanced(801, 1000), advanced(801, 1000)))
    check(torch.equal(moved, again), "two generators in the same (advanced) state gave two masks")
    check(not torch.equal(fresh, moved), "a generator seeded 801 and one seeded 801 that then drew 1000 numbers "
          "gave the same mask: the mask comes from the seed, not from the generator's state")
    assert_close(student.dropout(x, p, True, advanced(801, 1000)), visible.masked_scale(x, moved, p),
                 name=f"dropout(x, p={p}) from the advanced state")


@suite.test("dropout and dropout_backward on 3-d, 4-d and empty inputs, p from 0 to 1, against the reference",
            functions=("dropout_mask", "dropout", "dropout_backward"), points=1.5, max_examples=25,
            inputs=visible.dropout_case(ndims=(3, 4), ps=(0.01, 0.05, 0.95, 0.99, 0.0, 1.0), p_range=(0.0, 1.0)),
            examples=[{"x": seeded_x((2, 3, 4, 5), 20), "p": 0.99, "seed": 21},
                      {"x": torch.zeros(3, 0, 2), "p": 0.3, "seed": 22},
                      {"x": torch.zeros(0, 4, dtype=torch.float32), "p": 0.5, "seed": 23}])
def _(student, x, p, seed, device):
    mask = checked_mask(student.dropout_mask(tuple(x.shape), p, gen(seed)), x.shape, device)
    assert_close(student.dropout(x, p, True, gen(seed)), visible.masked_scale(x, mask, p),
                 name=f"dropout(x, p={p}, training=True)")
    grad = x * 3 - 1
    assert_close(student.dropout_backward(grad, mask, p), ref.dropout_backward(grad, mask, p),
                 name=f"dropout_backward(grad_out, mask, p={p})")


@suite.test("keep rate and expectation at p = 0.02 and p = 0.97, float64 inputs",
            functions=("dropout_mask", "dropout"), points=1, inputs=None,
            hint="4 bands x 2e-8: a correct dropout fails this test with probability below 1e-7.")
def _(student, device):
    shape = (200, 500)
    for k, p in enumerate((0.02, 0.97)):
        label = f"dropout_mask({shape}, p={p})"
        visible.check_keep_rate(checked_mask(student.dropout_mask(shape, p, gen(1000 + k)), shape, device, label),
                                p, label)
        x = seeded_x(shape, 1100 + k, F64, device)
        out = student.dropout(x, p, True, gen(1200 + k))
        label = f"dropout(x of shape {shape}, p={p}, training=True) in float64"
        visible.check_values(out, x, p, label)
        visible.check_expectation(x, out, p, label)
