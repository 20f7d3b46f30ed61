"""Backpropagation by hand: a multilayer perceptron's forward and backward pass.

Conventions (these win over the lecture notes):

* Batches are rows: ``x`` has shape ``(N, D)``.
* ``W`` has shape ``(out, in)`` like ``torch.nn.Linear``, and ``z = x @ W.T + b``.
* Every function takes tensors of one dtype (float32 or float64) on one device (CPU or CUDA)
  and returns tensors with that dtype on that device; labels ``y`` are int64.
* Autograd is NOT allowed: calling ``.backward()``, ``torch.autograd.*`` or ``torch.func.*``
  (grad, vjp, jacrev, ...) is reported as a violation and that test scores 0. Write every
  gradient yourself.
"""

from __future__ import annotations

import torch


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Affine layer ``z = x @ W.T + b``.

    Args:
        x: ``(N, in)`` inputs.
        W: ``(out, in)`` weights (``torch.nn.Linear`` layout).
        b: ``(out,)`` biases.

    Returns:
        z: ``(N, out)``.
    """
    raise NotImplementedError


def linear_backward(
    dz: torch.Tensor, x: torch.Tensor, W: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of an affine layer, given ``dz = dL/dz``.

    Args:
        dz: ``(N, out)`` upstream gradient.
        x: ``(N, in)`` the layer's input in the forward pass.
        W: ``(out, in)`` the layer's weights.

    Returns:
        ``(dx, dW, db)`` with the shapes of ``x`` ``(N, in)``, ``W`` ``(out, in)`` and ``b``
        ``(out,)``: ``dx = dz @ W``, ``dW = dz.T @ x``, ``db`` = ``dz`` summed over the batch.
    """
    raise NotImplementedError


def relu_forward(z: torch.Tensor) -> torch.Tensor:
    """``max(z, 0)`` elementwise, same shape as ``z``."""
    raise NotImplementedError


def relu_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``dout * ReLU'(z)`` with ReLU'(z) = 1 where z > 0 and 0 elsewhere, INCLUDING z == 0.

    Args:
        dout: upstream gradient, same shape as ``z``.
        z: the pre-activation (the ReLU's input).
    """
    raise NotImplementedError


def sigmoid_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``dout * sigmoid'(z)`` with ``sigmoid'(z) = s (1 - s)``, ``s = sigmoid(z)``.

    ``z`` is the PRE-activation (the sigmoid's input), not its output.
    """
    raise NotImplementedError


def tanh_backward(dout: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``dout * tanh'(z)`` with ``tanh'(z) = 1 - tanh(z)**2``.

    ``z`` is the PRE-activation (the tanh's input), not its output.
    """
    raise NotImplementedError


def softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax cross-entropy, averaged over the batch, and its gradient.

    Args:
        logits: ``(N, C)`` float scores.
        y: ``(N,)`` int64 class labels in ``[0, C)``.

    Returns:
        ``(loss, dlogits)``: ``loss`` is a 0-dim tensor,
        ``mean_n (logsumexp(logits[n]) - logits[n, y[n]])``; ``dlogits`` ``(N, C)`` is its
        gradient ``(softmax(logits) - onehot(y)) / N``.

    Must be stable for |logits| up to 1e4: finite loss and gradient (subtract each row's max).
    """
    raise NotImplementedError


def mlp_forward(
    x: torch.Tensor, params: list[tuple[torch.Tensor, torch.Tensor]], activation: str = "relu"
) -> torch.Tensor:
    """Logits of a multilayer perceptron.

    Args:
        x: ``(N, D)`` inputs.
        params: list of ``(W, b)`` per layer, first layer first; ``W`` is ``(out, in)``.
        activation: ``"relu"``, ``"sigmoid"`` or ``"tanh"``, applied after every layer
            EXCEPT the last (the last layer's output is the raw logits).

    Returns:
        ``(N, C)`` logits, C the last layer's ``out``.

    Raises:
        ValueError: for any other ``activation``.
    """
    raise NotImplementedError


def mlp_loss_and_grads(
    x: torch.Tensor,
    y: torch.Tensor,
    params: list[tuple[torch.Tensor, torch.Tensor]],
    activation: str = "relu",
) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """Loss and parameter gradients of the MLP, by hand.

    Returns:
        ``(loss, grads)``: ``loss`` is ``softmax_cross_entropy(mlp_forward(x, params, activation), y)``
        (0-dim), ``grads`` is a list of ``(dW, db)``, one per layer in the order of ``params``,
        each with the shapes of that layer's ``(W, b)``.

    Raises:
        ValueError: for an unknown ``activation`` (as ``mlp_forward``).
    """
    raise NotImplementedError
