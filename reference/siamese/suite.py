"""Hidden tests for ``siamese``: the visible suite's oracles and cases on larger batches and
magnitudes, edge cases (eps = 0, anchor = positive, margin 0) and the reference."""

from __future__ import annotations

from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close
from grader.spec import Suite, reference_beside, visible_suite_of

visible = visible_suite_of(__file__)
ref = reference_beside(__file__, "siamese.py")
suite = Suite("siamese")


@st.composite
def big_points(draw) -> dict:
    # more than 25 rows: torch.cdist would switch to the mm expansion there, the reference does not
    case = visible.seeded_points(draw(st.integers(0, 2**31 - 1)), draw(gst.dims(26, 40)), draw(gst.dims(1, 40)),
                                 draw(gst.dims(1, 8)), draw(gst.float_dtypes()),
                                 draw(st.sampled_from([1.0, 1e3])), draw(gst.dims(0, 5)))
    case["squared"] = draw(st.booleans())
    return case


@suite.test(
    "pairwise_distances matches the reference on large batches and magnitudes (duplicated rows included)",
    functions=("pairwise_distances",),
    points=1.5,
    inputs=big_points(),
    examples=[{**visible.seeded_points(31, 30, 30, 4, scale=1e3, shared=5), "squared": False}],
    max_examples=15,
)
def _(student, x, y, squared):
    assert_close(student.pairwise_distances(x, y, squared), ref.pairwise_distances(x, y, squared),
                 scale=visible._scale(x, y) if squared else 1.0, name="distance matrix")


@suite.test(
    "contrastive_loss matches the reference (inputs up to 30, margin 0 included)",
    functions=("contrastive_loss",),
    points=1,
    inputs=st.tuples(visible.pairs_case(), st.sampled_from([0.0, 1.0, 30.0]), st.sampled_from([1.0, 30.0]))
    .map(lambda c: {**c[0], "margin": c[1], "x1": c[0]["x1"] * c[2], "x2": c[0]["x2"] * c[2]}),
    examples=[{**visible.seeded_pairs(32, 6, 3, reduction="none"), "margin": 0.0}],
    max_examples=25,
)
def _(student, x1, x2, same, margin, reduction):
    assert_close(student.contrastive_loss(x1, x2, same, margin, reduction),
                 ref.contrastive_loss(x1, x2, same, margin, reduction), scale=visible._scale(x1, x2),
                 name=f"contrastive loss (reduction={reduction!r})")


@st.composite
def edge_triplets(draw) -> dict:
    case = draw(visible.triplets_case(swap=(False, True), reductions=visible.REDUCTIONS))
    case["eps"] = draw(st.sampled_from([0.0, 1e-6, 1e-3]))
    if draw(st.booleans()):
        case["positive"] = case["anchor"].clone()  # d(a, p) = ||eps||, the eps convention shows
    return case


@suite.test(
    "triplet_loss matches the reference (eps 0 and 1e-3, anchor = positive, swap, reductions)",
    functions=("triplet_loss",),
    points=1.5,
    inputs=edge_triplets(),
    examples=[{**visible.seeded_triplets(33, 4, 3, eps=1e-3, reduction="none"),
               "positive": visible.seeded_triplets(33, 4, 3)["anchor"]}],
    max_examples=25,
)
def _(student, anchor, positive, negative, margin, swap, eps, reduction):
    assert_close(student.triplet_loss(anchor, positive, negative, margin, swap, eps, reduction),
                 visible.torch_triplet(anchor, positive, negative, margin, swap, eps, reduction),
                 name="triplet loss")


@suite.test(
    "contrastive_loss with reduction='none' is the loss of each pair on its own",
    functions=("contrastive_loss",),
    points=0.5,
    inputs=visible.pairs_case(reductions=("none",)),
    max_examples=10,
)
def _(student, x1, x2, same, margin, reduction):
    got = student.contrastive_loss(x1, x2, same, margin, "none")
    assert_close(got, ref.contrastive_loss(x1, x2, same, margin, "none"), scale=visible._scale(x1, x2),
                 name="per-pair losses")
    assert_close(student.contrastive_loss(x1[:1], x2[:1], same[:1], margin, "sum"), got[0],
                 scale=visible._scale(x1, x2), name="loss of the first pair alone")
