"""Bug: mlp_loss_and_grads calls loss.backward() (autograd is forbidden: a violation).

Caught by: mlp_loss_and_grads matches torch autograd, one (dW, db) per layer in order
Caught by: mlp_loss_and_grads matches the reference for relu, sigmoid and tanh, grads in layer order
Caught by: mlp_loss_and_grads: exact-zero pre-activations pass no gradient (ReLU'(0) = 0)
Caught by: mlp_loss_and_grads agrees with central finite differences of mlp_forward's loss (float64)
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
    shifted = logits - logits.max(dim=1, keepdim=True).values  # max-subtraction: exp never overflows
    log_probs = shifted - torch.logsumexp(shifted, dim=1, keepdim=True)
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
    """Let autograd do the work (forbidden in this assignment)."""
    leaves = [(W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)) for W, b in params]
    logits = mlp_forward(x, leaves, activation)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    return loss.detach(), [(W.grad, b.grad) for W, b in leaves]
