"""Bug: softmax computed without subtracting the row max: exp overflows at logits of 1e4.

Caught by: softmax_cross_entropy matches torch cross_entropy (mean over the batch), stable at |logits| = 1e4
Caught by: softmax_cross_entropy is stable for |logits| up to 1e4: finite, loss >= 0, rows of dlogits sum to 0
"""

from __future__ import annotations

import torch

__all__ = [
    "linear_backward",
    "linear_forward",
    "mlp_forward",
    "mlp_loss_and_grads",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "softmax_cross_entropy",
    "tanh_backward",
]

_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """z = x @ W.T + b; x (N, in), W (out, in), b (out,) -> z (N, out)."""
    return x @ W.T + b


def linear_backward(dz: torch.Tensor, x: torch.Tensor, W: torch.Tensor):
    """dz (N, out) -> dx = dz @ W (N, in), dW = dz.T @ x (out, in), db = sum_n dz (out,)."""
    return dz @ W, dz.T @ x, dz.sum(dim=0)


def relu_forward(z: torch.Tensor) -> torch.Tensor:
    return torch.clamp(z, min=0)


def relu_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """ReLU'(z) = 1 if z > 0 else 0 (ReLU'(0) = 0)."""
    return dout * (z > 0).to(dout.dtype)


def sigmoid_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """sigma'(z) = sigma(z) (1 - sigma(z)), with z the pre-activation."""
    s = torch.sigmoid(z)
    return dout * s * (1 - s)


def tanh_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """tanh'(z) = 1 - tanh(z)^2, with z the pre-activation."""
    t = torch.tanh(z)
    return dout * (1 - t * t)


def softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor):
    """Mean over the batch of -log softmax(logits)[n, y_n], and its gradient (p - onehot) / N."""
    n = logits.shape[0]
    e = torch.exp(logits)
    log_probs = torch.log(e / e.sum(dim=1, keepdim=True))
    rows = torch.arange(n, device=logits.device)
    loss = -log_probs[rows, y].mean()
    dlogits = torch.exp(log_probs)
    dlogits[rows, y] -= 1
    return loss, dlogits / n


def _activation(name: str):
    if name == "relu":
        return relu_forward, relu_backward
    if name == "sigmoid":
        return torch.sigmoid, sigmoid_backward
    if name == "tanh":
        return torch.tanh, tanh_backward
    raise ValueError(f"unknown activation {name!r}; expected one of {_ACTIVATIONS}")


def _forward(x: torch.Tensor, params, activation: str):
    act, _ = _activation(activation)
    inputs, pre = [], []
    h = x
    for i, (W, b) in enumerate(params):
        inputs.append(h)
        z = linear_forward(h, W, b)
        pre.append(z)
        h = act(z) if i < len(params) - 1 else z  # no activation after the last layer
    return h, inputs, pre


def mlp_forward(x: torch.Tensor, params, activation: str = "relu") -> torch.Tensor:
    """Linear layers with ``activation`` between them (not after the last one) -> logits."""
    return _forward(x, params, activation)[0]


def mlp_loss_and_grads(x: torch.Tensor, y: torch.Tensor, params, activation: str = "relu"):
    """Softmax cross-entropy of the MLP's logits, and [(dW, db), ...] in the order of params."""
    _, act_backward = _activation(activation)
    logits, inputs, pre = _forward(x, params, activation)
    loss, dz = softmax_cross_entropy(logits, y)
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        dh, dW, db = linear_backward(dz, inputs[i], W)
        grads[i] = (dW, db)
        if i > 0:
            dz = act_backward(dh, pre[i - 1])
    return loss, grads
