"""Pairs of submissions that share fingerprints, found through an inverted index.

Comparing every pair of a class of 1,000 is 500,000 comparisons per assignment. Instead,
the fingerprints of all submissions are sorted together: each run of one hash lists the
submissions holding it (the inverted index, fingerprint -> submissions), and only the pairs
inside a run are counted. The cost grows with the number of shared fingerprints, not with
the square of the class; a fingerprint held by a large share of the class is common code (an
idiom of the course, or of the language), counted for no one, which also bounds the work.

A pair's score is the share of the smaller submission's fingerprints that the other holds
too: 1.0 when one is a copy of the other, however much code was added around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader.similarity.fingerprints import Fingerprint

__all__ = ["COMMON_FLOOR", "ScoredPair", "common_cap", "scored_pairs"]

COMMON_FLOOR = 20  # a fingerprint shared by at most this many submissions is never common
_DENSE_LIMIT = 4096  # up to this many submissions, pair counts live in one dense n*n array
_CHUNK = 4_000_000  # pair codes counted at once (bounds the memory of a huge run)


@dataclass(frozen=True)
class ScoredPair:
    """Submissions ``a < b`` (indices into the fingerprints given) and their score."""

    a: int
    b: int
    score: float
    shared: int  # fingerprints held by both


def common_cap(submissions: int, common_share: float) -> int:
    """The most submissions a fingerprint may be held by and still count as evidence."""
    return max(COMMON_FLOOR, int(common_share * submissions))


def _pair_codes(docs: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int):
    """Yield arrays of ``a * n + b`` for every pair inside every run (``a < b``)."""
    for m in np.unique(sizes):
        m = int(m)
        run_starts = starts[sizes == m]
        left, right = np.triu_indices(m, 1)
        per_batch = max(1, _CHUNK // len(left))
        for lo in range(0, len(run_starts), per_batch):
            members = docs[run_starts[lo:lo + per_batch, None] + np.arange(m)]
            yield (members[:, left] * n + members[:, right]).ravel()


def scored_pairs(fingerprints: Sequence[Fingerprint], *, threshold: float, min_tokens: int,
                 common_share: float) -> list[ScoredPair]:
    """Every pair scoring at least ``threshold``, best first (then by indices).

    Submissions with fewer than ``min_tokens`` tokens of their own (the stub, nearly) are
    never paired: a few shared lines are no evidence."""
    n = len(fingerprints)
    eligible = [i for i, f in enumerate(fingerprints) if f.own_tokens >= min_tokens and len(f.hashes)]
    if len(eligible) < 2:
        return []
    sizes_of = np.zeros(n, dtype=np.int64)
    for i in eligible:
        sizes_of[i] = len(fingerprints[i].hashes)
    hashes = np.concatenate([fingerprints[i].hashes for i in eligible])
    docs = np.concatenate([np.full(len(fingerprints[i].hashes), i, dtype=np.int64) for i in eligible])
    order = np.argsort(hashes, kind="stable")  # stable: within a run, submissions stay ascending
    hashes, docs = hashes[order], docs[order]
    run_starts = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    run_sizes = np.diff(np.concatenate((run_starts, [len(hashes)])))
    keep = (run_sizes >= 2) & (run_sizes <= common_cap(len(eligible), common_share))
    run_starts, run_sizes = run_starts[keep], run_sizes[keep]
    if len(run_starts) == 0:
        return []
    if n <= _DENSE_LIMIT:
        counts = np.zeros(n * n, dtype=np.int64)
        for codes in _pair_codes(docs, run_starts, run_sizes, n):
            counts += np.bincount(codes, minlength=n * n)
        codes = np.flatnonzero(counts)
        shared = counts[codes]
    else:
        found, tallies = [], []
        for chunk in _pair_codes(docs, run_starts, run_sizes, n):
            c, t = np.unique(chunk, return_counts=True)
            found.append(c)
            tallies.append(t)
        all_codes = np.concatenate(found)
        codes, inverse = np.unique(all_codes, return_inverse=True)
        shared = np.bincount(inverse, weights=np.concatenate(tallies)).astype(np.int64)
    a, b = codes // n, codes % n
    scores = shared / np.minimum(sizes_of[a], sizes_of[b])
    flagged = np.flatnonzero(scores >= threshold)
    ranked = sorted(flagged, key=lambda i: (-scores[i], a[i], b[i]))
    return [ScoredPair(int(a[i]), int(b[i]), float(min(scores[i], 1.0)), int(shared[i])) for i in ranked]
