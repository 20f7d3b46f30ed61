"""Small language models to decode, given as ``step_fn`` callables.

The grader builds these from plain data, so you can build the very same models to test your
decoder locally::

    import torch
    from models import ngram_model, tree_model, rnn_model

    step_fn = ngram_model(torch.tensor([[0.0, 1.0, 2.0], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0]]), bos=2)
    step_fn(torch.tensor([[2, 0], [2, 1]]))      # (2, 3) log-probabilities of the next token

Every model follows the contract of ``beam_search.py``: ``step_fn(prefixes)`` takes a CPU
LongTensor ``(B, t)``, t >= 1, of equal-length prefixes that all start with ``bos`` and
returns a ``(B, V)`` tensor whose rows are log-distributions over the next token. A call that
breaks the contract raises ``ValueError`` saying how.

| factory | next-token distribution depends on |
|---------|------------------------------------|
| ``ngram_model(logits, bos)`` | the last ``logits.dim() - 1`` tokens (left-padded with ``bos``) |
| ``tree_model(seed, vocab_size, bos, levels=0, dtype="float64")`` | the whole prefix (its own random row) |
| ``rnn_model(seed, vocab_size, hidden_size, bos, scale=1.0, dtype="float64")`` | the whole prefix (an Elman RNN) |
"""

from __future__ import annotations

from collections.abc import Callable

import torch

StepFn = Callable[[torch.Tensor], torch.Tensor]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _checked(prefixes: torch.Tensor, bos: int, vocab_size: int) -> torch.Tensor:
    """The prefixes, if they follow the step_fn contract; ValueError otherwise."""
    if not isinstance(prefixes, torch.Tensor):
        raise ValueError(f"step_fn expects a LongTensor of shape (B, t), got {type(prefixes).__name__}")
    if prefixes.dtype != torch.int64:
        raise ValueError(f"step_fn expects an int64 (Long) tensor, got dtype {prefixes.dtype}")
    if prefixes.dim() != 2 or prefixes.shape[1] < 1:
        raise ValueError(f"step_fn expects shape (B, t) with t >= 1, got {tuple(prefixes.shape)}")
    if prefixes.device.type != "cpu":
        raise ValueError(f"step_fn expects a CPU tensor, got one on {prefixes.device}")
    if prefixes.numel() and not bool((prefixes[:, 0] == bos).all()):
        raise ValueError(f"every prefix must start with bos = {bos}, got first tokens {prefixes[:, 0].tolist()}")
    if prefixes.numel() and (int(prefixes.min()) < 0 or int(prefixes.max()) >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got {prefixes.tolist()}")
    return prefixes


def ngram_model(logits: torch.Tensor, bos: int) -> StepFn:
    """An n-gram model: ``logits`` has shape ``(V,) * n``; its last axis is the next token.

    The rows are normalised here with ``log_softmax`` (equal logits in a row give exactly
    equal log-probabilities). The context is the last ``n - 1`` tokens of the prefix, padded on
    the left with ``bos`` when the prefix is shorter.
    """
    log_probs = torch.log_softmax(logits.detach().to("cpu"), dim=-1)
    vocab_size = log_probs.shape[-1]
    context = log_probs.dim() - 1

    def step_fn(prefixes: torch.Tensor) -> torch.Tensor:
        prefixes = _checked(prefixes, bos, vocab_size)
        if context == 0:
            return log_probs.expand(prefixes.shape[0], vocab_size).clone()
        pad = torch.full((prefixes.shape[0], context), bos, dtype=torch.int64)
        last = torch.cat([pad, prefixes], dim=1)[:, -context:]
        return log_probs[tuple(last.t())].clone()

    return step_fn


def _prefix_seed(seed: int, tokens: tuple[int, ...]) -> int:
    value = int(seed) & 0xFFFFFFFF
    for token in tokens:
        value = (value * 1_000_003 + token + 1) % (1 << 61)
    return value


def tree_model(seed: int, vocab_size: int, bos: int, levels: int = 0, dtype: str = "float64") -> StepFn:
    """Every prefix gets its own next-token distribution, drawn from a generator seeded by it.

    ``levels = 0``: logits are standard normal (ties almost never happen). ``levels = k >= 1``:
    logits are integers in [0, k), so rows repeat values and ties are exact (``levels = 1``
    gives uniform rows). ``dtype`` is "float64" or "float32" (the log-probabilities' dtype).
    """
    out_dtype = _DTYPES[dtype]
    cache: dict[tuple[int, ...], torch.Tensor] = {}

    def row(tokens: tuple[int, ...]) -> torch.Tensor:
        if tokens not in cache:
            gen = torch.Generator().manual_seed(_prefix_seed(seed, tokens))
            if levels >= 1:
                logits = torch.randint(0, levels, (vocab_size,), generator=gen).to(torch.float64)
            else:
                logits = torch.randn(vocab_size, generator=gen, dtype=torch.float64)
            cache[tokens] = torch.log_softmax(logits, dim=-1).to(out_dtype)
        return cache[tokens]

    def step_fn(prefixes: torch.Tensor) -> torch.Tensor:
        prefixes = _checked(prefixes, bos, vocab_size)
        if prefixes.shape[0] == 0:
            return torch.empty(0, vocab_size, dtype=out_dtype)
        return torch.stack([row(tuple(p)) for p in prefixes.tolist()])

    return step_fn


def rnn_model(seed: int, vocab_size: int, hidden_size: int, bos: int, scale: float = 1.0,
              dtype: str = "float64") -> StepFn:
    """A tiny Elman RNN with random weights drawn from ``seed``.

    h_0 = 0; h_t = tanh(E[x_t] + W_hh h_{t-1}); next-token log-probs =
    log_softmax(scale · (W_out h_t + b_out)). Larger ``scale`` gives peakier distributions.
    """
    gen = torch.Generator().manual_seed(int(seed))
    embedding = torch.randn(vocab_size, hidden_size, generator=gen, dtype=torch.float64)
    w_hh = torch.randn(hidden_size, hidden_size, generator=gen, dtype=torch.float64) / hidden_size ** 0.5
    w_out = torch.randn(vocab_size, hidden_size, generator=gen, dtype=torch.float64)
    b_out = torch.randn(vocab_size, generator=gen, dtype=torch.float64)
    out_dtype = _DTYPES[dtype]
    # one prefix at a time (cached), so a row never depends on how the prefixes were batched
    states: dict[tuple[int, ...], torch.Tensor] = {(): torch.zeros(hidden_size, dtype=torch.float64)}
    rows: dict[tuple[int, ...], torch.Tensor] = {}

    def state(tokens: tuple[int, ...]) -> torch.Tensor:
        if tokens not in states:
            states[tokens] = torch.tanh(embedding[tokens[-1]] + w_hh @ state(tokens[:-1]))
        return states[tokens]

    def row(tokens: tuple[int, ...]) -> torch.Tensor:
        if tokens not in rows:
            logits = scale * (w_out @ state(tokens) + b_out)
            rows[tokens] = torch.log_softmax(logits, dim=-1).to(out_dtype)
        return rows[tokens]

    def step_fn(prefixes: torch.Tensor) -> torch.Tensor:
        prefixes = _checked(prefixes, bos, vocab_size)
        if prefixes.shape[0] == 0:
            return torch.empty(0, vocab_size, dtype=out_dtype)
        return torch.stack([row(tuple(p)) for p in prefixes.tolist()])

    return step_fn
