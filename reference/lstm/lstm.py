"""Reference solution: LSTM and GRU cells by hand (torch gate order i, f, g, o; r, z, n)."""

from __future__ import annotations

import torch

__all__ = ["gru_cell", "lstm_cell", "lstm_forward", "lstm_gates"]


def _affine(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return x @ W.T + b


def lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh):
    """(i, f, g, o), each (N, H): sigmoid, sigmoid, tanh, sigmoid of the stacked pre-activations."""
    pre = _affine(x, W_ih, b_ih) + _affine(h, W_hh, b_hh)
    i, f, g, o = pre.chunk(4, dim=1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step: c' = f * c + i * g, h' = o * tanh(c'); returns (h', c')."""
    i, f, g, o = lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh)
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Run the cell over x (T, N, D); returns (output (T, N, H), (h_T, c_T))."""
    h, c = h0, c0
    outputs = []
    for t in range(x.shape[0]):
        h, c = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    if outputs:
        output = torch.stack(outputs, dim=0)
    else:
        output = x.new_zeros((0, h0.shape[0], h0.shape[1]))
    return output, (h, c)


def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    """GRU step, torch order r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h."""
    gi = _affine(x, W_ih, b_ih)
    gh = _affine(h, W_hh, b_hh)
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
