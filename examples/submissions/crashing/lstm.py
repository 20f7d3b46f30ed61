"""A crashing lstm.py: lstm_cell dereferences a null pointer (a segfault) and gru_cell never returns.

The other functions are correct; the grader must still grade them.
"""

from __future__ import annotations

import ctypes

import torch


def _sigmoid(a):
    return 1.0 / (1.0 + torch.exp(-a))


def _gate(x, h, W_ih, W_hh, b_ih, b_hh, k, H):
    rows = slice(k * H, (k + 1) * H)
    return x @ W_ih[rows].T + h @ W_hh[rows].T + (b_ih[rows] + b_hh[rows])


def lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    acts = [_sigmoid, _sigmoid, torch.tanh, _sigmoid]
    return tuple(act(_gate(x, h, W_ih, W_hh, b_ih, b_hh, k, H)) for k, act in enumerate(acts))


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    ctypes.string_at(0)  # reads address 0: the process dies with SIGSEGV
    i, f, g, o = lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh)
    c_next = c * f
    c_next = c_next + g * i
    return torch.tanh(c_next) * o, c_next


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    T = x.shape[0]
    out = torch.empty((T, h0.shape[0], h0.shape[1]), dtype=x.dtype, device=x.device)
    h = h0.clone()
    c = c0.clone()
    t = 0
    while t < T:
        h, c = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        out[t] = h
        t += 1
    return out, (h, c)


def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    while True:  # forgot to advance the loop
        pass
    H = h.shape[1]
    r = _sigmoid(_gate(x, h, W_ih, W_hh, b_ih, b_hh, 0, H))
    z = _sigmoid(_gate(x, h, W_ih, W_hh, b_ih, b_hh, 1, H))
    rows = slice(2 * H, 3 * H)
    n = torch.tanh(x @ W_ih[rows].T + b_ih[rows] + r * (h @ W_hh[rows].T + b_hh[rows]))
    return n + z * (h - n)
