"""Similarity across a class: every entry's code fingerprinted, every assignment's pairs scored.

Entries are read as ``grader batch`` reads them (:func:`grader.batch.entries.discover`:
folders, safe zips, a Gradescope export) and their code through :func:`submission_code`;
nothing is imported or run. Fingerprinting (tokenizing) is the cost that grows with the
class; it is spread over processes forked from this one (:mod:`grader.similarity.workers`).
Scoring goes through the inverted index of :mod:`grader.similarity.index`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from grader.config import SimilarityConfig
from grader.similarity.code import submission_code
from grader.similarity.fingerprints import Boilerplate, Fingerprint, boilerplate_of, fingerprint
from grader.similarity.index import scored_pairs
from grader.similarity.workers import SHARED, map_forked
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


def _fingerprint_entry(path: str) -> list[tuple[str, Fingerprint | None]]:
    specs: list[tuple[str, str, tuple[str, ...]]] = SHARED["specs"]
    boilerplates: dict[str, Boilerplate] = SHARED["boilerplates"]
    out: list[tuple[str, Fingerprint | None]] = []
    for assignment, student_file, functions in specs:
        code = submission_code(path, SimpleNamespace(student_file=student_file), functions)
        out.append((assignment, None if code is None else fingerprint(code, boilerplates[assignment])))
    return out


def compare_entries(entries: Sequence[tuple[str, Path]], specs: Sequence[AssignmentSpec],
                    settings: SimilarityConfig | None = None, *, jobs: int | None = None,
                    progress: ProgressFn | None = None) -> SimilarityResult:
    """Score every pair of ``entries`` (id, folder) for every assignment of ``specs``."""
    settings = settings or SimilarityConfig()
    started = time.monotonic()
    entries = sorted(entries)
    boilerplates = {s.id: boilerplate_of(s.public_dir, s.student_file) for s in specs}
    shared = {"specs": [(s.id, s.student_file, tuple(s.functions)) for s in specs], "boilerplates": boilerplates}
    report = progress or (lambda *_: None)
    prints = []
    for done, item in enumerate(map_forked(_fingerprint_entry, [str(p) for _, p in entries],
                                           jobs or os.cpu_count() or 1, shared), 1):
        prints.append(item)
        report(done, len(entries))
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
