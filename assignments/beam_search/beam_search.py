"""Greedy and beam-search decoding of a language model given as a function.

Conventions (they win over the lecture notes; see README.md):

- ``step_fn(prefixes) -> log_probs``: ``prefixes`` is a CPU LongTensor ``(B, t)`` of
  equal-length prefixes that all start with ``bos``; ``log_probs`` is ``(B, V)``, each row a
  log-distribution over the next token (float32 or float64).
- A hypothesis's score is the sum of the log-probabilities of its tokens *after* ``bos``,
  accumulated as Python floats (float64): convert each log-probability with ``float(...)``
  (or ``.tolist()``) and add it to the parent's score. Its length ``L`` counts those tokens
  (eos included, bos not).
- Token sequences are lists of Python ints that *include* ``bos``; scores are Python floats.
- ``beam_width`` and ``max_len`` must be at least 1 (ValueError otherwise). ``max_len``
  counts tokens after ``bos``.

``models.py`` (next to this file) builds the language models the grader uses, so you can
test locally.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

StepFn = Callable[[torch.Tensor], torch.Tensor]


def sequence_log_prob(step_fn: StepFn, tokens: list[int]) -> float:
    """Log-probability of ``tokens[1:]`` given ``tokens[0] = bos``, as a Python float.

    Σ_{t=1}^{len-1} log p(tokens[t] | tokens[:t]), summed as Python floats; 0.0 for ``[bos]``.
    """
    raise NotImplementedError


def greedy_decode(step_fn: StepFn, bos: int, eos: int, max_len: int) -> list[int]:
    """Greedy decoding: ``[bos, a_1, a_2, ...]`` as a list of Python ints.

    Each step appends the argmax token (the lowest token id on ties); stops right after
    appending ``eos`` or once ``max_len`` tokens follow ``bos``.

    Raises:
        ValueError: if ``max_len < 1``.
    """
    raise NotImplementedError


def beam_search(step_fn: StepFn, bos: int, eos: int, beam_width: int, max_len: int,
                length_alpha: float = 0.0) -> list[tuple[list[int], float]]:
    """Beam search; returns at most ``beam_width`` pairs ``(tokens, score)``, best first.

    1. live = [[bos]] (score 0.0), finished = [].
    2. Up to ``max_len`` times: extend every live hypothesis by every token; enumerate the
       candidates live hypothesis by live hypothesis (in the live list's order), token id by
       token id; keep the ``beam_width`` with the highest raw score (a stable sort, so ties
       keep that order). Kept candidates ending in ``eos`` join ``finished``, the others
       become the new live list, both in that sorted order. Stop early when no live
       hypothesis remains or ``len(finished) >= beam_width``.
    3. Pool = finished (in the order they joined) then live. Each entry's returned score is
       raw score / L**length_alpha (L = number of tokens after bos, eos included). Return the
       pool stably sorted by that score, highest first, cut to ``beam_width`` entries.

    ``tokens`` include ``bos``: a list of Python ints; ``score`` is a Python float.
    With ``beam_width = 1`` the best entry equals ``greedy_decode``.

    Raises:
        ValueError: if ``beam_width < 1`` or ``max_len < 1``.
    """
    raise NotImplementedError
