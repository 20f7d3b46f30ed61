"""The lstm reference against torch.nn.LSTMCell / LSTM / GRUCell (no sandbox, no engine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "reference" / "lstm" / "lstm.py"


def _load():
    spec = importlib.util.spec_from_file_location("_test_reference_lstm", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()


def _weights(module, suffix=""):
    return [getattr(module, f"{n}{suffix}").detach().clone() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lstm_cell_matches_torch(dtype, seed):
    torch.manual_seed(seed)
    n, d, h = 3, 4, 5
    cell = torch.nn.LSTMCell(d, h).to(dtype)
    x, h0, c0 = torch.randn(n, d, dtype=dtype), torch.randn(n, h, dtype=dtype), torch.randn(n, h, dtype=dtype)
    with torch.no_grad():
        want_h, want_c = cell(x, (h0, c0))
    got_h, got_c = ref.lstm_cell(x, h0, c0, *_weights(cell))
    torch.testing.assert_close(got_h, want_h)
    torch.testing.assert_close(got_c, want_c)
    assert got_h.dtype == dtype and got_c.dtype == dtype


def test_lstm_gates_order_and_ranges():
    torch.manual_seed(3)
    n, d, h = 4, 3, 2
    x, hh = torch.randn(n, d, dtype=torch.float64), torch.randn(n, h, dtype=torch.float64)
    W_ih, W_hh = torch.randn(4 * h, d, dtype=torch.float64), torch.randn(4 * h, h, dtype=torch.float64)
    b_ih, b_hh = torch.randn(4 * h, dtype=torch.float64), torch.randn(4 * h, dtype=torch.float64)
    i, f, g, o = ref.lstm_gates(x, hh, W_ih, W_hh, b_ih, b_hh)
    pre = x @ W_ih.T + b_ih + hh @ W_hh.T + b_hh
    torch.testing.assert_close(g, torch.tanh(pre[:, 2 * h:3 * h]))
    torch.testing.assert_close(o, torch.sigmoid(pre[:, 3 * h:]))
    assert bool((i > 0).all() and (i < 1).all() and (f > 0).all() and (g.abs() < 1).all())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lstm_forward_matches_torch(dtype):
    torch.manual_seed(4)
    t, n, d, h = 5, 3, 4, 2
    lstm = torch.nn.LSTM(d, h).to(dtype)
    x = torch.randn(t, n, d, dtype=dtype)
    h0, c0 = torch.randn(n, h, dtype=dtype), torch.randn(n, h, dtype=dtype)
    with torch.no_grad():
        want_out, (want_h, want_c) = lstm(x, (h0[None], c0[None]))
    out, (h_t, c_t) = ref.lstm_forward(x, h0, c0, *_weights(lstm, "_l0"))
    torch.testing.assert_close(out, want_out)
    torch.testing.assert_close(h_t, want_h[0])
    torch.testing.assert_close(c_t, want_c[0])
    assert torch.equal(out[-1], h_t)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gru_cell_matches_torch(dtype):
    torch.manual_seed(5)
    n, d, h = 3, 4, 5
    cell = torch.nn.GRUCell(d, h).to(dtype)
    with torch.no_grad():
        cell.bias_hh.add_(1.5)  # b_hn far from 0: where r's placement shows
    x, hh = torch.randn(n, d, dtype=dtype), torch.randn(n, h, dtype=dtype)
    with torch.no_grad():
        want = cell(x, hh)
    torch.testing.assert_close(ref.gru_cell(x, hh, *_weights(cell)), want)
