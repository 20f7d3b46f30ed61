"""Reference solution: decoding a language model given as ``step_fn`` (SPEC §3 beam_search).

Scores are Python floats accumulated token by token (parent score + the new token's
log-probability), so ties between candidates are exact and broken only by enumeration order.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

StepFn = Callable[[torch.Tensor], torch.Tensor]


def _require_positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _next_log_probs(step_fn: StepFn, prefixes: list[list[int]]) -> list[list[float]]:
    """One step_fn call on equal-length prefixes; rows as lists of Python floats."""
    log_probs = step_fn(torch.tensor(prefixes, dtype=torch.int64))
    return log_probs.detach().to("cpu", torch.float64).tolist()


def sequence_log_prob(step_fn: StepFn, tokens: list[int]) -> float:
    """Sum of the log-probabilities of tokens[1:], each given the tokens before it."""
    score = 0.0
    for t in range(1, len(tokens)):
        score += _next_log_probs(step_fn, [list(tokens[:t])])[0][tokens[t]]
    return score


def greedy_decode(step_fn: StepFn, bos: int, eos: int, max_len: int) -> list[int]:
    """Argmax token each step (lowest id on ties) until eos or max_len tokens after bos."""
    _require_positive("max_len", max_len)
    tokens = [bos]
    for _ in range(max_len):
        row = _next_log_probs(step_fn, [tokens])[0]
        best = max(range(len(row)), key=lambda v: (row[v], -v))
        tokens.append(best)
        if best == eos:
            break
    return tokens


def beam_search(step_fn: StepFn, bos: int, eos: int, beam_width: int, max_len: int,
                length_alpha: float = 0.0) -> list[tuple[list[int], float]]:
    """Beam search exactly as SPEC §3 describes; returns up to beam_width (tokens, score)."""
    _require_positive("beam_width", beam_width)
    _require_positive("max_len", max_len)
    live: list[tuple[list[int], float]] = [([bos], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        rows = _next_log_probs(step_fn, [tokens for tokens, _ in live])
        candidates = [
            (tokens + [v], score + row[v])
            for (tokens, score), row in zip(live, rows, strict=True)
            for v in range(len(row))
        ]
        kept = sorted(candidates, key=lambda c: c[1], reverse=True)[:beam_width]  # stable
        finished += [c for c in kept if c[0][-1] == eos]
        live = [c for c in kept if c[0][-1] != eos]
        if not live or len(finished) >= beam_width:
            break
    pool = [(tokens, score / (len(tokens) - 1) ** length_alpha) for tokens, score in finished + live]
    return sorted(pool, key=lambda entry: entry[1], reverse=True)[:beam_width]
