"""Bug: gates unpacked in the lecture notes' order i, f, o, g instead of torch's i, f, g, o.

Caught by: lstm_gates: order i, f, g, o with sigmoid, sigmoid, tanh, sigmoid
Caught by: lstm_cell matches torch.nn.LSTMCell
Caught by: lstm_forward matches a single-layer torch.nn.LSTM
Caught by: lstm_cell: with f = 1 and i = 0 the cell state is kept (and h' = tanh(c) when o = 1)
Caught by: lstm_gates matches the reference (edge cases: zero weights, bias only in b_hh)
"""

from __future__ import annotations

import torch


def lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh):
    pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, o, g = pre.chunk(4, dim=1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh)
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h, c = h0, c0
    outputs = []
    for t in range(x.shape[0]):
        h, c = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=0), (h, c)


def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    gi = x @ W_ih.T + b_ih
    gh = h @ W_hh.T + b_hh
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
