"""The siamese reference against torch.cdist, torch.nn.TripletMarginLoss and a hand-checked
contrastive loss (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "siamese" / "siamese.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_siamese", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n,m,d", [(1, 1, 1), (4, 7, 3), (30, 26, 5)])
def test_distances_match_cdist_and_are_exact_on_duplicates(n, m, d, dtype):
    g = torch.Generator().manual_seed(n * 100 + m)
    x = torch.randn(n, d, generator=g, dtype=dtype) * 100
    y = torch.randn(m, d, generator=g, dtype=dtype) * 100
    y[0] = x[-1]
    want = torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
    torch.testing.assert_close(ref.pairwise_distances(x, y), want)
    torch.testing.assert_close(ref.pairwise_distances(x, y, squared=True), want ** 2)
    assert ref.pairwise_distances(x, y)[-1, 0] == 0
    own = ref.pairwise_distances(x)
    assert own.shape == (n, n) and torch.equal(own, own.T) and bool((own.diagonal() == 0).all())


def test_contrastive_loss_by_hand():
    x1 = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    x2 = torch.tensor([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0], [1.0, 1.0]], dtype=torch.float64)
    same = torch.tensor([True, False, False, False])
    # d = 5, 0.5, 5, 0: similar 25; dissimilar (1 - 0.5)^2 = 0.25, beyond the margin 0, identical 1
    want = torch.tensor([25.0, 0.25, 0.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(ref.contrastive_loss(x1, x2, same, 1.0, "none"), want)
    torch.testing.assert_close(ref.contrastive_loss(x1, x2, same), want.mean())
    torch.testing.assert_close(ref.contrastive_loss(x1, x2, same, reduction="sum"), want.sum())
    with pytest.raises(ValueError):
        ref.contrastive_loss(x1, x2, same, reduction="batchmean")


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 1e-6, 1e-3])
def test_triplet_loss_matches_torch(swap, reduction, eps):
    g = torch.Generator().manual_seed(7)
    a, p, n = (torch.randn(9, 4, generator=g, dtype=torch.float64) for _ in range(3))
    p[0] = a[0]
    for margin in (0.2, 1.0, 3.0):
        want = torch.nn.TripletMarginLoss(margin=margin, p=2, eps=eps, swap=swap, reduction=reduction)(a, p, n)
        torch.testing.assert_close(ref.triplet_loss(a, p, n, margin, swap, eps, reduction), want)
    with pytest.raises(ValueError):
        ref.triplet_loss(a, p, n, reduction="average")


def test_results_keep_dtype_and_work_on_meta():
    x = torch.empty(5, 3, device="meta", dtype=torch.float32)
    assert ref.pairwise_distances(x).device.type == "meta"
    assert ref.contrastive_loss(x, x, torch.empty(5, dtype=torch.bool, device="meta")).shape == ()
    assert ref.triplet_loss(x, x, x, reduction="none").shape == (5,)
