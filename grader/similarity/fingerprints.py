"""Fingerprints of normalised code: hashed k-grams of tokens, thinned by winnowing.

A k-gram is ``K`` consecutive normalised tokens; two submissions sharing one share a run of
code at least that long, whatever its names, literals, comments and layout. Winnowing
(Schleimer, Wilkerson and Aiken, SIGMOD 2003) keeps, of every ``WINDOW`` consecutive
k-grams, the one with the smallest hash: any match of ``K + WINDOW - 1`` tokens or more is
guaranteed to leave a common fingerprint, and only about ``2 / (WINDOW + 1)`` of the k-grams
are kept. Which fingerprints are kept depends on the text alone (hashes are keyed digests,
not Python's per-process ``hash``), so a rerun gives the same scores.

The handout's k-grams (the stub and the other files of ``assignments/<id>/``) are dropped
before winnowing: code that every student received is no evidence of copying.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from grader.similarity.tokens import Tokens, defined_names, normalise

__all__ = ["K", "MIN_UNIT", "WINDOW", "Boilerplate", "Fingerprint", "Kgrams", "boilerplate_of", "fingerprint",
           "kgram_hashes", "kgrams", "winnow"]

K = 10  # tokens per k-gram: shorter runs (``V = V . sum ( dim = N )``) are everyone's idioms
WINDOW = 4  # k-grams per winnowing window: a shared run of K + WINDOW - 1 = 13 tokens is always seen
MIN_UNIT = 6  # a one-line definition shorter than K is one fingerprint from this many tokens up

_EMPTY = np.zeros(0, dtype=np.uint64)
_NO_INT = np.zeros(0, dtype=np.int64)
_PYTHON_BLOCK = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL)


@lru_cache(maxsize=65536)
def _symbol_id(symbol: str) -> int:
    return int.from_bytes(hashlib.blake2b(symbol.encode("utf-8", "backslashreplace"), digest_size=8,
                                          person=b"grader-sim").digest(), "little")


@dataclass(frozen=True)
class Kgrams:
    """The k-grams of one token stream: ``hashes[i]`` covers tokens ``starts[i]`` to ``starts[i] + sizes[i]``."""

    hashes: np.ndarray  # uint64
    starts: np.ndarray  # int64
    sizes: np.ndarray  # int64


def _rolling(ids: np.ndarray, k: int) -> np.ndarray:
    n = len(ids) - k + 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):  # polynomial rolling hash; uint64 arithmetic wraps, deterministically
            h = h * np.uint64(1_000_003) + ids[j:j + n]
        h ^= h >> np.uint64(29)  # mix, so the smallest hash of a window is an unbiased pick
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


def kgrams(tokens: Tokens, k: int = K) -> Kgrams:
    """Every k-gram of ``tokens`` inside one unit (a top-level definition), and each unit
    shorter than ``k`` but of at least ``MIN_UNIT`` tokens whole (a one-line function)."""
    count = len(tokens)
    if count == 0:
        return Kgrams(_EMPTY, _NO_INT, _NO_INT)
    ids = np.fromiter((_symbol_id(s) for s in tokens.symbols), dtype=np.uint64, count=count)
    bounds = np.asarray((*tokens.units, count), dtype=np.int64)
    parts_h, parts_s, parts_z = [], [], []
    if count >= k:
        unit_of = np.searchsorted(bounds, np.arange(count), side="right") - 1
        starts = np.arange(count - k + 1)
        inside = unit_of[starts] == unit_of[starts + k - 1]
        parts_h.append(_rolling(ids, k)[inside])
        parts_s.append(starts[inside])
        parts_z.append(np.full(int(inside.sum()), k, dtype=np.int64))
    lengths = np.diff(bounds)
    for u in np.flatnonzero((lengths < k) & (lengths >= MIN_UNIT)):
        lo, size = int(bounds[u]), int(lengths[u])
        parts_h.append(_rolling(ids[lo:lo + size], size))
        parts_s.append(np.asarray([lo], dtype=np.int64))
        parts_z.append(np.asarray([size], dtype=np.int64))
    if not parts_h:
        return Kgrams(_EMPTY, _NO_INT, _NO_INT)
    order_s = np.concatenate(parts_s)
    order = np.argsort(order_s, kind="stable")
    return Kgrams(np.concatenate(parts_h)[order], order_s[order], np.concatenate(parts_z)[order])


def kgram_hashes(tokens: Tokens, k: int = K) -> np.ndarray:
    """The hashes of :func:`kgrams`, in the order of the tokens."""
    return kgrams(tokens, k).hashes


def winnow(hashes: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Positions of the hashes kept by winnowing (the smallest of each window; all when fewer)."""
    if len(hashes) <= window:
        return np.arange(len(hashes))
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    return np.unique(np.arange(len(windows)) + windows.argmin(axis=1))


@dataclass(frozen=True)
class Boilerplate:
    """What the handout of one assignment contains: its k-gram hashes and the stub's names."""

    hashes: np.ndarray  # sorted unique uint64
    stub_names: frozenset[str]

    def mask(self, hashes: np.ndarray) -> np.ndarray:
        """True where a hash is the handout's."""
        if len(self.hashes) == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=bool)
        return np.isin(hashes, self.hashes, assume_unique=False)


def _handout_sources(public_dir: Path) -> list[str]:
    """The code students were given: every ``.py`` of the folder, and Python blocks of its Markdown."""
    texts: list[str] = []
    for path in sorted(public_dir.glob("*.py")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    for path in sorted(public_dir.glob("*.md")):
        texts += _PYTHON_BLOCK.findall(path.read_text(encoding="utf-8", errors="replace"))
    return texts


def boilerplate_of(public_dir: str | Path | None, stub_file: str = "", extra: Iterable[str] = ()) -> Boilerplate:
    """The handout of ``public_dir`` (``assignments/<id>/``): the stub ``stub_file`` gives the names
    whose headers are dropped; every file's k-grams are boilerplate (``extra``: more texts)."""
    texts = list(extra)
    names: frozenset[str] = frozenset()
    if public_dir is not None and Path(public_dir).is_dir():
        folder = Path(public_dir)
        texts += _handout_sources(folder)
        stub = folder / stub_file if stub_file else None
        if stub is not None and stub.is_file():
            names = defined_names(stub.read_text(encoding="utf-8", errors="replace"))
    parts = [kgram_hashes(normalise(t, names)) for t in texts]
    hashes = np.unique(np.concatenate(parts)) if parts else _EMPTY
    return Boilerplate(hashes=hashes, stub_names=names)


@dataclass(frozen=True)
class Fingerprint:
    """One submission's fingerprints for one assignment.

    ``hashes``: the sorted unique winnowed hashes, handout excluded; ``own_tokens``: how many
    k-grams of its code are not the handout's (about the number of tokens it wrote itself).
    """

    hashes: np.ndarray
    own_tokens: int


def fingerprint(text: str, boilerplate: Boilerplate) -> Fingerprint:
    """The fingerprints of ``text`` (one submission's code for one assignment)."""
    hashes = kgram_hashes(normalise(text, boilerplate.stub_names))
    own = hashes[~boilerplate.mask(hashes)]
    if len(own) == 0:
        return Fingerprint(_EMPTY, 0)
    return Fingerprint(np.unique(own[winnow(own)]), int(len(own)))
