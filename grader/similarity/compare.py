"""Similarity across a class: every entry's code fingerprinted, every assignment's pairs scored.

Entries are read as ``grader batch`` reads them (:func:`grader.batch.entries.discover`:
folders, safe zips, a Gradescope export) and their code through :func:`submission_code`;
nothing is imported or run. Fingerprinting (tokenizing) is the cost that grows with the
class; it is spread over processes forked from this one. Scoring goes through the inverted
index of :mod:`grader.similarity.index`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from grader.config import SimilarityConfig
from grader.similarity.code import submission_code
from grader.similarity.fingerprints import Boilerplate, Fingerprint, boilerplate_of, fingerprint
from grader.similarity.index import scored_pairs
from grader.spec.model import AssignmentSpec

__all__ = ["Pair", "SimilarityResult", "compare_entries"]

ProgressFn = Callable[[int, int], None]  # (entries fingerprinted, entries)


@dataclass(frozen=True)
class Pair:
    """Two submissions' code for one assignment, and how similar it is (``submission_a`` sorts first)."""

    assignment: str
    submission_a: str
    submission_b: str
    score: float  # in [0, 1]: the share of the smaller one's fingerprints the other holds too
    shared: int  # fingerprints in common


@dataclass(frozen=True)
class SimilarityResult:
    """Every flagged pair, ranked by score, and what was compared."""

    pairs: tuple[Pair, ...]
    compared: dict[str, int]  # assignment -> submissions holding its code
    entries: int
    settings: SimilarityConfig
    elapsed_s: float
    paths: dict[str, str] = field(default_factory=dict)  # entry -> folder its code was read from

    def for_assignment(self, assignment: str) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.assignment == assignment)


# Set in the parent before the worker processes fork; read by them (never sent through pickle).
_SHARED: dict[str, object] = {}


def _fingerprint_entry(path: str) -> list[tuple[str, Fingerprint | None]]:
    specs: list[tuple[str, str]] = _SHARED["specs"]  # type: ignore[assignment]
    boilerplates: dict[str, Boilerplate] = _SHARED["boilerplates"]  # type: ignore[assignment]
    out: list[tuple[str, Fingerprint | None]] = []
    for assignment, student_file in specs:
        code = submission_code(path, SimpleNamespace(student_file=student_file))
        out.append((assignment, None if code is None else fingerprint(code, boilerplates[assignment])))
    return out


def _fingerprint_all(paths: list[str], jobs: int, progress: ProgressFn) -> list[list[tuple[str, Fingerprint | None]]]:
    """Each entry's fingerprints, in the order of ``paths``."""
    if jobs <= 1 or len(paths) < 16 or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for done, path in enumerate(paths, 1):
            results.append(_fingerprint_entry(path))
            progress(done, len(paths))
        return results
    context = multiprocessing.get_context("fork")  # the workers inherit _SHARED, and no import runs again
    results = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for done, item in enumerate(pool.map(_fingerprint_entry, paths, chunksize=8), 1):
            results.append(item)
            progress(done, len(paths))
    return results


def compare_entries(entries: Sequence[tuple[str, Path]], specs: Sequence[AssignmentSpec],
                    settings: SimilarityConfig | None = None, *, jobs: int | None = None,
                    progress: ProgressFn | None = None) -> SimilarityResult:
    """Score every pair of ``entries`` (id, folder) for every assignment of ``specs``."""
    settings = settings or SimilarityConfig()
    started = time.monotonic()
    entries = sorted(entries)
    boilerplates = {s.id: boilerplate_of(s.public_dir, s.student_file) for s in specs}
    _SHARED.update(specs=[(s.id, s.student_file) for s in specs], boilerplates=boilerplates)
    try:
        prints = _fingerprint_all([str(p) for _, p in entries], jobs or os.cpu_count() or 1,
                                  progress or (lambda *_: None))
    finally:
        _SHARED.clear()
    pairs: list[Pair] = []
    compared: dict[str, int] = {}
    for position, spec in enumerate(specs):
        held = [(entries[i][0], item[position][1]) for i, item in enumerate(prints) if item[position][1] is not None]
        compared[spec.id] = len(held)
        found = scored_pairs([f for _, f in held], threshold=settings.threshold, min_tokens=settings.min_tokens,
                             common_share=settings.common_share)
        pairs += [Pair(spec.id, held[p.a][0], held[p.b][0], round(p.score, 6), p.shared) for p in found]
    order = {s.id: i for i, s in enumerate(specs)}
    pairs.sort(key=lambda p: (-p.score, order[p.assignment], p.submission_a, p.submission_b))
    return SimilarityResult(pairs=tuple(pairs), compared=compared, entries=len(entries), settings=settings,
                            elapsed_s=round(time.monotonic() - started, 3),
                            paths={entry_id: str(path) for entry_id, path in entries})
