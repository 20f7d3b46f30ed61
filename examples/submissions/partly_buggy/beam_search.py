"""Correct: a small Hypothesis dataclass, one step_fn call per hypothesis, math.fsum for sequence_log_prob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass
class Hypothesis:
    tokens: list
    score: float

    def extend(self, token, log_prob):
        return Hypothesis(self.tokens + [token], self.score + log_prob)


def _next_row(step_fn, tokens):
    return step_fn(torch.tensor(tokens, dtype=torch.int64).unsqueeze(0)).squeeze(0).tolist()


def sequence_log_prob(step_fn, tokens):
    terms = [_next_row(step_fn, tokens[:t])[tokens[t]] for t in range(1, len(tokens))]
    return float(math.fsum(terms))


def greedy_decode(step_fn, bos, eos, max_len):
    if max_len < 1:
        raise ValueError("max_len < 1")
    out = [bos]
    for _ in range(max_len):
        row = _next_row(step_fn, out)
        best_value = max(row)
        out.append(min(v for v, x in enumerate(row) if x == best_value))
        if out[-1] == eos:
            return out
    return out


def beam_search(step_fn, bos, eos, beam_width, max_len, length_alpha=0.0):
    if not (beam_width >= 1 and max_len >= 1):
        raise ValueError("beam_width and max_len must both be at least 1")
    live = [Hypothesis([bos], 0.0)]
    finished = []
    steps = 0
    while live and len(finished) < beam_width and steps < max_len:
        steps += 1
        candidates = []
        for hyp in live:
            for token, lp in enumerate(_next_row(step_fn, hyp.tokens)):
                candidates.append(hyp.extend(token, lp))
        candidates.sort(key=lambda h: h.score, reverse=True)  # list.sort is stable
        kept = candidates[:beam_width]
        finished.extend(h for h in kept if h.tokens[-1] == eos)
        live = [h for h in kept if h.tokens[-1] != eos]

    def normalised(h):
        return h.score / (len(h.tokens) - 1) ** length_alpha

    pool = sorted(finished + live, key=normalised, reverse=True)[:beam_width]
    return [(h.tokens, normalised(h)) for h in pool]
