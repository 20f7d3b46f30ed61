"""Visible tests for ``siamese``: oracles are torch.cdist, torch.nn.TripletMarginLoss and the
contrastive loss written with torch ops (in float64, cast back), and invariants next to them."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close, assert_raises, check
from grader.spec import Suite

suite = Suite(
    "siamese",
    student_file="siamese.py",
    title="Siamese networks: distances, contrastive and triplet losses",
    functions=("pairwise_distances", "contrastive_loss", "triplet_loss"),
    meta_safe=("pairwise_distances", "contrastive_loss", "triplet_loss"),
)

F64 = torch.float64
REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------- cases

def _randn(g, shape, dtype, scale=1.0):
    return (torch.randn(shape, generator=g, dtype=F64) * scale).to(dtype)


def seeded_points(seed: int, n: int, m: int | None, d: int, dtype=F64, scale: float = 1.0,
                  shared: int = 0) -> dict:
    """x (n, d) and y (m, d) (None: y is x); the first ``shared`` rows of y copy rows of x."""
    g = torch.Generator().manual_seed(seed)
    x = _randn(g, (n, d), dtype, scale)
    y = None if m is None else _randn(g, (m, d), dtype, scale)
    shared = min(shared, 0 if m is None else m)
    if shared:
        y[:shared] = x[torch.randint(0, n, (shared,), generator=g)]
    return {"x": x, "y": y}


@st.composite
def points_case(draw, with_y: bool | None = None, scale: float = 3.0, shared: bool = False) -> dict:
    n, d = draw(gst.dims(1, 6)), draw(gst.dims(1, 5))
    has_y = draw(st.booleans()) if with_y is None else with_y
    m = draw(gst.dims(1, 6)) if has_y else None
    return seeded_points(draw(st.integers(0, 2**31 - 1)), n, m, d, draw(gst.float_dtypes()), scale,
                         min(m, draw(gst.dims(1, 3))) if shared and m else 0)


def seeded_pairs(seed: int, n: int, d: int, dtype=F64, margin: float = 1.0, reduction: str = "mean") -> dict:
    """Pairs at distances around the margin, some similar (True), some not; a few identical pairs."""
    g = torch.Generator().manual_seed(seed)
    x1 = _randn(g, (n, d), dtype)
    x2 = (x1.to(F64) + torch.randn((n, d), generator=g, dtype=F64) * 0.6 * margin / d ** 0.5).to(dtype)
    x2[::3] = x1[::3]  # identical pairs: d = 0
    same = torch.rand(n, generator=g) < 0.5
    return {"x1": x1, "x2": x2, "same": same, "margin": margin, "reduction": reduction}


@st.composite
def pairs_case(draw, reductions=REDUCTIONS) -> dict:
    return seeded_pairs(draw(st.integers(0, 2**31 - 1)), draw(gst.dims(1, 8)), draw(gst.dims(1, 5)),
                        draw(gst.float_dtypes()), draw(st.sampled_from([0.5, 1.0, 2.0])),
                        draw(st.sampled_from(reductions)))


def seeded_triplets(seed: int, n: int, d: int, dtype=F64, margin: float = 1.0, swap: bool = False,
                    reduction: str = "mean", eps: float = 1e-6, spread: float = 1.0) -> dict:
    g = torch.Generator().manual_seed(seed)
    a = _randn(g, (n, d), dtype)
    p = (a.to(F64) + torch.randn((n, d), generator=g, dtype=F64) * 0.5).to(dtype)
    neg = (a.to(F64) + torch.randn((n, d), generator=g, dtype=F64) * spread).to(dtype)
    return {"anchor": a, "positive": p, "negative": neg, "margin": margin, "swap": swap, "eps": eps,
            "reduction": reduction}


@st.composite
def triplets_case(draw, swap=(False,), reductions=("mean",), spread: float = 1.0) -> dict:
    return seeded_triplets(draw(st.integers(0, 2**31 - 1)), draw(gst.dims(1, 8)), draw(gst.dims(1, 5)),
                           draw(gst.float_dtypes()), draw(st.sampled_from([0.2, 1.0, 3.0])),
                           draw(st.sampled_from(swap)), draw(st.sampled_from(reductions)), 1e-6, spread)


# ---------------------------------------------------------------------------- oracles

def torch_distances(x, y=None, squared=False):
    """torch.cdist on the differences (never the mm expansion), float64, cast back."""
    y = x if y is None else y
    dist = torch.cdist(x.to(F64), y.to(F64), p=2.0, compute_mode="donot_use_mm_for_euclid_dist")
    return (dist ** 2 if squared else dist).to(x.dtype)


def _reduce(per_pair, reduction):
    return {"mean": per_pair.mean, "sum": per_pair.sum, "none": lambda: per_pair}[reduction]()


def torch_contrastive(x1, x2, same, margin=1.0, reduction="mean"):
    d = torch.linalg.vector_norm(x1.to(F64) - x2.to(F64), dim=-1)
    per_pair = torch.where(same, d ** 2, torch.clamp(margin - d, min=0) ** 2)
    return _reduce(per_pair, reduction).to(x1.dtype)


def torch_triplet(anchor, positive, negative, margin=1.0, swap=False, eps=1e-6, reduction="mean"):
    loss = torch.nn.TripletMarginLoss(margin=margin, p=2.0, eps=eps, swap=swap, reduction=reduction)
    return loss(anchor.to(F64), positive.to(F64), negative.to(F64)).to(anchor.dtype)


def _scale(*tensors) -> float:
    """Losses are sums of squared distances: their error grows with the inputs' magnitude squared."""
    return max([1.0] + [float(t.abs().max()) ** 2 for t in tensors if t.numel()])


# ---------------------------------------------------------------------------- tests

@suite.test(
    "pairwise_distances matches torch.cdist (y given or None, squared or not)",
    functions=("pairwise_distances",),
    points=2,
    inputs=st.tuples(points_case(), st.booleans()).map(lambda c: {**c[0], "squared": c[1]}),
    examples=[{**seeded_points(1, 3, 4, 2), "squared": False}, {**seeded_points(2, 4, None, 3), "squared": True},
              {**seeded_points(3, 2, 5, 4, torch.float32), "squared": False}],
    max_examples=30,
    hint="D[i, j] = ||x_i - y_j||_2 (its square with squared=True); y=None means y = x.",
)
def _(student, x, y, squared):
    assert_close(student.pairwise_distances(x, y, squared), torch_distances(x, y, squared),
                 scale=_scale(x, x if y is None else y) if squared else 1.0, name="distance matrix")


@suite.test(
    "pairwise_distances(x): symmetric, >= 0, exactly 0 on the diagonal",
    functions=("pairwise_distances",),
    points=1,
    inputs=points_case(with_y=False, scale=30.0),
    examples=[seeded_points(4, 5, None, 3, scale=1e3)],
    max_examples=20,
)
def _(student, x, y):
    got = student.pairwise_distances(x)
    assert_close(got, torch_distances(x), name="distance matrix")
    check(bool((got >= 0).all()), "distances must be >= 0")
    assert_close(got.T, got, name="transposed distance matrix (D must be symmetric)")
    check(bool((got.diagonal() == 0).all()), f"the diagonal must be exactly 0, got {got.diagonal().tolist()}")


@suite.test(
    "pairwise_distances: identical rows are at distance exactly 0 (no sqrt of rounding noise)",
    functions=("pairwise_distances",),
    points=1.5,
    inputs=points_case(with_y=True, scale=100.0, shared=True),
    examples=[seeded_points(5, 4, 3, 3, scale=1e3, shared=2), seeded_points(6, 3, 3, 2, torch.float32, 50.0, 3)],
    max_examples=20,
    hint="||x||^2 + ||y||^2 - 2 x.y cancels catastrophically when x = y: compute from the differences x_i - y_j; "
         "and do not add an eps inside the square root.",
)
def _(student, x, y):
    got = student.pairwise_distances(x, y)
    want = torch_distances(x, y)
    assert_close(got, want, name="distance matrix")
    same = (x[:, None, :] == y[None, :, :]).all(-1)
    check(bool((got[same] == 0).all()), f"identical rows must be at distance exactly 0, got {got[same].tolist()}")


@suite.test(
    "contrastive_loss matches y d^2 + (1 - y) max(0, margin - d)^2 (y = same)",
    functions=("contrastive_loss",),
    points=2,
    inputs=pairs_case(),
    examples=[seeded_pairs(7, 6, 3), seeded_pairs(8, 5, 2, torch.float32, 2.0, "none"),
              seeded_pairs(9, 4, 4, margin=0.5, reduction="sum")],
    max_examples=30,
    hint="same = True marks a SIMILAR pair (pulled together by d^2); dissimilar pairs are pushed to the margin by "
         "max(0, margin - d)^2 (the hinge on d, then squared). No factor 1/2.",
)
def _(student, x1, x2, same, margin, reduction):
    assert_close(student.contrastive_loss(x1, x2, same, margin, reduction),
                 torch_contrastive(x1, x2, same, margin, reduction), scale=_scale(x1, x2, x2 - x1),
                 name=f"contrastive loss (reduction={reduction!r})")


@st.composite
def margin_case(draw) -> dict:
    n, d = draw(gst.dims(2, 6)), draw(gst.dims(1, 4))
    dtype, margin = draw(gst.float_dtypes()), draw(st.sampled_from([0.5, 1.0, 2.0]))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    x1 = _randn(g, (n, d), dtype)
    direction = torch.randn((n, d), generator=g, dtype=F64)
    direction = direction / torch.linalg.vector_norm(direction, dim=1, keepdim=True)
    # dissimilar pairs either identical (loss margin^2) or clearly beyond the margin (loss 0), far from the kink
    far = torch.rand(n, generator=g) < 0.5
    x2 = (x1.to(F64) + direction * torch.where(far, 1.5 * margin, 0.0)[:, None]).to(dtype)
    return {"x1": x1, "x2": x2, "same": torch.zeros(n, dtype=torch.bool), "margin": margin, "far": far}


@suite.test(
    "contrastive_loss: dissimilar pairs beyond the margin cost 0, identical ones margin^2",
    functions=("contrastive_loss",),
    points=1,
    inputs=margin_case(),
    max_examples=20,
)
def _(student, x1, x2, same, margin, far):
    got = student.contrastive_loss(x1, x2, same, margin, "none")
    want = torch_contrastive(x1, x2, same, margin, "none")
    assert_close(got, want, name="per-pair losses")
    check(bool((got[far] == 0).all()), f"pairs beyond the margin must cost 0, got {got[far].tolist()}")
    assert_close(got[~far], torch.full_like(want[~far], margin ** 2), name="identical dissimilar pairs (margin^2)")


@suite.test(
    "triplet_loss matches torch.nn.TripletMarginLoss (p = 2, eps = 1e-6)",
    functions=("triplet_loss",),
    points=2,
    inputs=triplets_case(),
    examples=[seeded_triplets(10, 5, 3), seeded_triplets(11, 4, 2, torch.float32, margin=0.2)],
    max_examples=30,
    hint="d(a, b) = ||a - b + eps||_2 as torch.nn.functional.pairwise_distance computes it; "
         "loss = max(d(a, p) - d(a, n) + margin, 0), mean over the batch.",
)
def _(student, anchor, positive, negative, margin, swap, eps, reduction):
    assert_close(student.triplet_loss(anchor, positive, negative, margin, swap, eps, reduction),
                 torch_triplet(anchor, positive, negative, margin, swap, eps, reduction), name="triplet loss")


@suite.test(
    "triplet_loss with swap and every reduction matches torch.nn.TripletMarginLoss",
    functions=("triplet_loss",),
    points=1.5,
    inputs=triplets_case(swap=(False, True), reductions=REDUCTIONS),
    examples=[seeded_triplets(12, 6, 3, swap=True, reduction="none"),
              seeded_triplets(13, 3, 2, torch.float32, swap=True, reduction="sum")],
    max_examples=30,
    hint="swap=True replaces d(a, n) by min(d(a, n), d(p, n)), d(p, n) = ||p - n + eps||.",
)
def _(student, anchor, positive, negative, margin, swap, eps, reduction):
    assert_close(student.triplet_loss(anchor, positive, negative, margin, swap, eps, reduction),
                 torch_triplet(anchor, positive, negative, margin, swap, eps, reduction),
                 name=f"triplet loss (swap={swap}, reduction={reduction!r})")


@suite.test(
    "triplet_loss: 0 when every negative is far beyond the margin, margin when negative = positive",
    functions=("triplet_loss",),
    points=1,
    inputs=triplets_case(spread=50.0),
    max_examples=20,
)
def _(student, anchor, positive, negative, margin, swap, eps, reduction):
    far = student.triplet_loss(anchor, positive, negative, margin, swap, eps, "none")
    want = torch_triplet(anchor, positive, negative, margin, swap, eps, "none")
    assert_close(far, want, name="per-triplet losses")
    # the hinge's argument, in float64; only triplets clearly past the margin are checked for an exact 0
    d_ap = torch.nn.functional.pairwise_distance(anchor.to(F64), positive.to(F64), eps=eps)
    d_an = torch.nn.functional.pairwise_distance(anchor.to(F64), negative.to(F64), eps=eps)
    clear = (d_an - d_ap - margin) > 1e-3 * _scale(anchor) ** 0.5
    check(bool((far[clear] == 0).all()), "triplets beyond the margin must cost exactly 0 (the hinge)")
    tied = student.triplet_loss(anchor, positive, positive, margin, swap, eps, "mean")
    assert_close(tied, anchor.new_tensor(margin), name="loss with negative = positive (d(a,p) = d(a,n))")


@suite.test(
    "ValueError for an unknown reduction",
    functions=("contrastive_loss", "triplet_loss"),
    points=0.5,
    inputs=None,
)
def _(student):
    case = seeded_triplets(14, 3, 2)
    a, p, n = case["anchor"], case["positive"], case["negative"]
    same = torch.tensor([True, False, True])
    assert_raises(ValueError, student.contrastive_loss, a, p, same, 1.0, "average")
    assert_raises(ValueError, student.triplet_loss, a, p, n, 1.0, False, 1e-6, "batchmean")
    assert_close(student.triplet_loss(a, p, n), torch_triplet(a, p, n), name="triplet loss (defaults)")
    assert_close(student.contrastive_loss(a, p, same), torch_contrastive(a, p, same),
                 name="contrastive loss (defaults)")
