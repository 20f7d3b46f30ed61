"""LSTM and GRU cells by hand.

Conventions (these follow torch and win over the lecture notes):

* Batches are rows: ``x`` is ``(N, D)``, hidden and cell states ``h``, ``c`` are ``(N, H)``.
* Weights use torch.nn layouts: ``W_ih (4H, D)``, ``W_hh (4H, H)``, ``b_ih (4H,)``,
  ``b_hh (4H,)``, their rows stacked in torch's gate order **i, f, g, o** (input, forget,
  cell candidate, output). The notes stack i, f, o, g: do not follow them.
* Pre-activations: ``x @ W_ih.T + b_ih + h @ W_hh.T + b_hh`` (BOTH biases are added).
* Tensors are float32 or float64, on CPU or CUDA; return tensors with the inputs' dtype and
  device. Do not modify the inputs in place.
* Calling ``torch.nn.LSTM``, ``torch.nn.LSTMCell``, ``torch.nn.GRU``, ``torch.nn.GRUCell`` or
  their functional forms (``torch.lstm_cell``, ``torch._VF.gru_cell``, ...) is a violation:
  build the cells from matrix products, ``torch.sigmoid`` and ``torch.tanh``.
"""

from __future__ import annotations

import torch


def lstm_gates(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
               b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The four activated LSTM gates.

    Args:
        x: ``(N, D)`` input.
        h: ``(N, H)`` previous hidden state.
        W_ih: ``(4H, D)``; W_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)``; rows stacked i, f, g, o.

    Returns:
        ``(i, f, g, o)``, each ``(N, H)``, with
        ``i = sigmoid(a_i)``, ``f = sigmoid(a_f)``, ``g = tanh(a_g)``, ``o = sigmoid(a_o)``,
        where ``a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh`` split into four blocks of H
        columns in the order i, f, g, o.
    """
    raise NotImplementedError


def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
              b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step; matches ``torch.nn.LSTMCell`` with the same weights.

    Args:
        x: ``(N, D)``; h, c: ``(N, H)`` previous hidden and cell states; weights as in
        :func:`lstm_gates`.

    Returns:
        ``(h_new, c_new)``, each ``(N, H)``:
        ``c_new = f * c + i * g`` and ``h_new = o * tanh(c_new)`` (the NEW cell state).
    """
    raise NotImplementedError


def lstm_forward(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                 b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Run the LSTM over a sequence; matches a single-layer ``torch.nn.LSTM`` (input ``(T, N, D)``).

    Args:
        x: ``(T, N, D)``, time first.
        h0, c0: ``(N, H)`` initial states.
        W_ih, W_hh, b_ih, b_hh: as in :func:`lstm_gates`.

    Returns:
        ``(output, (h_T, c_T))``: ``output`` is ``(T, N, H)`` with ``output[t]`` the hidden
        state after step t (so ``output[-1]`` equals ``h_T``); ``h_T``, ``c_T`` are ``(N, H)``,
        the states after the LAST step. The state (h, c) is carried from step to step.
    """
    raise NotImplementedError


def gru_cell(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """One GRU step; matches ``torch.nn.GRUCell`` with the same weights.

    Args:
        x: ``(N, D)``; h: ``(N, H)``.
        W_ih: ``(3H, D)``; W_hh: ``(3H, H)``; b_ih, b_hh: ``(3H,)``; rows stacked in torch's
        order r, z, n (reset, update, new).

    Returns:
        ``h_new`` ``(N, H)``, with
        ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``,
        ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``,
        ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` (r multiplies the hidden term
        INCLUDING its bias b_hn), and ``h_new = (1 - z) * n + z * h``.
    """
    raise NotImplementedError
