"""Bug: the final pool is returned whole, not cut to beam_width entries.

Caught by: beam_search results are well formed: sorted, bos first, eos only last, score = log-prob / L**alpha
Caught by: beam_search: finished hypotheses, early stop and the final pool (hand-built models)
"""

from __future__ import annotations

import torch


def _log_probs(step_fn, prefixes):
    out = step_fn(torch.tensor(prefixes, dtype=torch.long))
    return [[float(x) for x in row] for row in out]


def sequence_log_prob(step_fn, tokens):
    total = 0.0
    for t in range(1, len(tokens)):
        row = _log_probs(step_fn, [tokens[:t]])[0]
        total += row[tokens[t]]
    return total


def greedy_decode(step_fn, bos, eos, max_len):
    if max_len < 1:
        raise ValueError("max_len must be >= 1")
    seq = [bos]
    while len(seq) - 1 < max_len:
        row = _log_probs(step_fn, [seq])[0]
        best = 0
        for v in range(1, len(row)):
            if row[v] > row[best]:
                best = v
        seq.append(best)
        if best == eos:
            break
    return seq


def beam_search(step_fn, bos, eos, beam_width, max_len, length_alpha=0.0):
    if beam_width < 1 or max_len < 1:
        raise ValueError("beam_width and max_len must be >= 1")
    live = [([bos], 0.0)]
    finished = []
    for step in range(max_len):
        rows = _log_probs(step_fn, [seq for seq, _ in live])
        candidates = []
        for (seq, score), row in zip(live, rows):
            for v, lp in enumerate(row):
                candidates.append((seq + [v], score + lp))
        order = sorted(range(len(candidates)), key=lambda i: (-candidates[i][1], i))
        kept = [candidates[i] for i in order[:beam_width]]
        live = []
        for seq, score in kept:
            if seq[-1] == eos:
                finished.append((seq, score))
            else:
                live.append((seq, score))
        if len(live) == 0 or len(finished) >= beam_width:
            break
    pool = []
    for seq, score in finished + live:
        length = len(seq) - 1
        pool.append((seq, score / length ** length_alpha))
    order = sorted(range(len(pool)), key=lambda i: (-pool[i][1], i))
    return [pool[i] for i in order]
