"""Similarity across a class: which submissions share code, per assignment, shown side by side.

Why our own fingerprinting rather than ``copydetect`` (evaluated, 0.5.0): its
``CopyDetector`` compares every pair (O(n²): 0.14 ms a pair, about 9 minutes for 1,000
submissions × 8 assignments), its fingerprinting takes 19 ms a file here (pygments and a
pure-Python winnowing loop: 150 s for 8,000 files on one core), it hashes with Python's
salted ``hash()`` so the fingerprints kept, and the scores, change from run to run, and it
renames attributes too (``torch.clamp`` and ``x.sum`` both become ``V.V``), which makes
independent solutions look alike. What it does is small and well known (Schleimer et al.
2003), so it is written here on Python's own ``tokenize`` and numpy: deterministic, 4 ms
for a fixture's file (14 ms for one with the stub's docstrings), and indexed (fingerprint ->
submissions), so the cost grows with the matches (``benchmarks/similarity.py``: 42 s for
1,000 × 8 on 2 cores).

Modules, in the order the data flows::

    code.py          submission_code(path, spec): an assignment's code (file or notebook), never run
    tokens.py        normalised tokens: no comments, docstrings, stub headers; names -> V, literals -> N, S
    fingerprints.py  k-grams per top-level definition, winnowing, the handout's k-grams removed
    index.py         inverted index: the pairs that share fingerprints, and their scores
    compare.py       a class of entries, every assignment: SimilarityResult
    regions.py       the matching regions of one pair, for the side-by-side view
    report.py        similarity.csv, similarity.html, similarity/<assignment>-<rank>.html
    run.py           run_similarity: entries read as batch reads them, compared, reported
    command.py       the ``grader similarity`` command
    workers.py       work spread over forked processes
"""

from __future__ import annotations

from grader.similarity.code import submission_code
from grader.similarity.compare import Pair, SimilarityResult, compare_entries
from grader.similarity.run import run_similarity

__all__ = ["Pair", "SimilarityResult", "compare_entries", "run_similarity", "submission_code"]
