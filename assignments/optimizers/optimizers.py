"""One optimizer step, as a pure function: SGD (momentum, Nesterov), RMSProp, Adam, AdamW.

Conventions (see README.md):

* ``params`` and ``grads`` are lists of tensors of matching shapes (float32 or float64, on CPU
  or CUDA, one dtype and device per call). Return new tensors; never modify the inputs.
* ``state`` is ``None`` before the first step, otherwise the dict the previous call returned.
  Every function returns ``(new_params, new_state)``: ``new_params`` a list like ``params``,
  ``new_state`` a dict with ``"step"`` (an int: the number of steps taken, counting this one)
  and the buffers named in each docstring, each a list of tensors matching ``params``.
* Every step equals one ``step()`` of the torch.optim optimizer of the same name and
  hyper-parameters (torch.optim itself may not be called here).
* ValueError: params and grads of different lengths or shapes, lr < 0, weight_decay < 0,
  eps < 0, momentum < 0, alpha or a beta outside [0, 1), nesterov without momentum > 0 and
  dampening 0.
"""

from __future__ import annotations

import torch


def sgd_step(params: list[torch.Tensor], grads: list[torch.Tensor], state: dict | None, lr: float,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False) -> tuple[list[torch.Tensor], dict]:
    """SGD as ``torch.optim.SGD``.

    d = g + weight_decay * p. With momentum != 0: buf = d on the first step (no dampening),
    else buf = momentum * buf + (1 - dampening) * d; then d = d + momentum * buf (Nesterov) or
    d = buf. Finally p_new = p - lr * d.

    new_state: {"step": int, "momentum_buffer": list of buf, or None when momentum == 0}.
    """
    raise NotImplementedError


def rmsprop_step(params: list[torch.Tensor], grads: list[torch.Tensor], state: dict | None, lr: float = 0.01,
                 alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> tuple[list[torch.Tensor], dict]:
    """RMSProp as ``torch.optim.RMSprop`` (no momentum, not centered).

    g = g + weight_decay * p; v = alpha * v + (1 - alpha) * g^2 (v = 0 before the first step);
    p_new = p - lr * g / (sqrt(v) + eps)   (eps outside the square root).

    new_state: {"step": int, "square_avg": list of v}.
    """
    raise NotImplementedError


def adam_step(params: list[torch.Tensor], grads: list[torch.Tensor], state: dict | None, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0) -> tuple[list[torch.Tensor], dict]:
    """Adam as ``torch.optim.Adam`` (L2 weight decay: g = g + weight_decay * p).

    t = step count including this one (1 on the first call); m = b1 m + (1 - b1) g,
    v = b2 v + (1 - b2) g^2 (both 0 before the first step); m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t); p_new = p - lr * m_hat / (sqrt(v_hat) + eps).

    new_state: {"step": t, "exp_avg": list of m, "exp_avg_sq": list of v}.
    """
    raise NotImplementedError


def adamw_step(params: list[torch.Tensor], grads: list[torch.Tensor], state: dict | None, lr: float = 1e-3,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 1e-2) -> tuple[list[torch.Tensor], dict]:
    """AdamW as ``torch.optim.AdamW``: decoupled weight decay.

    p = p * (1 - lr * weight_decay) first, then Adam's update with the raw gradient (the decay
    never enters m or v). Same state layout as ``adam_step``.
    """
    raise NotImplementedError
