"""The matching regions of two submissions, for the side-by-side view.

Every k-gram of one (not only the winnowed ones, so a region is shown whole) that the other
holds too, the handout's excepted, marks its tokens. Consecutive matches that continue
consecutively on the other side form one region; each region has a number, the same on
both sides, so a reader sees which code matches which. Regions are character spans of the
original texts (comments and layout between matching tokens included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from grader.similarity.fingerprints import Boilerplate, Kgrams, kgrams
from grader.similarity.tokens import Tokens, normalise
from grader.untrusted import clean_text

__all__ = ["Line", "PairView", "Side", "match_regions"]

_HARMLESS_GAP = re.compile(r"(?:\s|[()\\]|#[^\n]*)*")
Segment = tuple[str, int, bool]  # (text, region number or -1 for unmatched, is the region's first segment)


@dataclass(frozen=True)
class Line:
    number: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Side:
    """One submission's code as lines of segments, and how much of it matches."""

    lines: tuple[Line, ...]
    covered: float  # share of its tokens in a matching region


@dataclass(frozen=True)
class PairView:
    a: Side
    b: Side
    regions: int


def _own(grams: Kgrams, boilerplate: Boilerplate) -> Kgrams:
    keep = ~boilerplate.mask(grams.hashes)
    return Kgrams(grams.hashes[keep], grams.starts[keep], grams.sizes[keep])


def _handout_tokens(grams: Kgrams, boilerplate: Boilerplate, count: int) -> np.ndarray:
    """True for each token inside a k-gram of the handout: never marked as a match."""
    handout = np.zeros(count, dtype=bool)
    for start, size in zip(grams.starts[boilerplate.mask(grams.hashes)].tolist(),
                           grams.sizes[boilerplate.mask(grams.hashes)].tolist()):
        handout[start:start + size] = True
    return handout


def _label(tokens_a: Tokens, tokens_b: Tokens, grams_a: Kgrams, grams_b: Kgrams) -> tuple[np.ndarray, np.ndarray, int]:
    """Per token of each side: the number of the region it belongs to, or -1."""
    where_b: dict[int, list[int]] = {}
    for index, h in enumerate(grams_b.hashes.tolist()):
        where_b.setdefault(h, []).append(index)
    label_a = np.full(len(tokens_a), -1, dtype=np.int64)
    label_b = np.full(len(tokens_b), -1, dtype=np.int64)
    region = -1
    last = None  # (token start in a, token start in b) of the previous match
    for index, h in enumerate(grams_a.hashes.tolist()):
        matches = where_b.get(h)
        if not matches:
            continue
        sa = int(grams_a.starts[index])
        starts_b = [int(grams_b.starts[m]) for m in matches]
        chosen = None
        if last is not None and sa == last[0] + 1 and last[1] + 1 in starts_b:
            chosen = starts_b.index(last[1] + 1)
        else:
            region += 1
            chosen = 0
        m = matches[chosen]
        sb, size = starts_b[chosen], int(grams_b.sizes[m])
        span_a = label_a[sa:sa + int(grams_a.sizes[index])]
        span_a[span_a < 0] = region
        span_b = label_b[sb:sb + size]
        span_b[span_b < 0] = region
        last = (sa, sb)
    return label_a, label_b, region + 1


def _side(text: str, tokens: Tokens, labels: np.ndarray) -> Side:
    """``text`` cut into lines of segments, each marked with its region (or -1)."""
    marks: list[tuple[int, int, int]] = []  # (start, end, region) in characters
    i, n = 0, len(labels)
    while i < n:
        if labels[i] < 0:
            i += 1
            continue
        j, end = i, tokens.ends[i]
        # A run goes on over layout, comments and grouping brackets, never over what was left
        # out of the comparison (a docstring, the stub's header): that is not part of the match.
        while (j + 1 < n and labels[j + 1] == labels[i]
               and _HARMLESS_GAP.fullmatch(text, max(end, 0), max(tokens.starts[j + 1], end))):
            j += 1
            end = max(end, tokens.ends[j])
        if end > tokens.starts[i]:
            marks.append((tokens.starts[i], end, int(labels[i])))
        i = j + 1
    pieces: list[tuple[str, int]] = []
    cursor = 0
    for start, end, region in marks:
        start = max(start, cursor)
        if start > cursor:
            pieces.append((text[cursor:start], -1))
        if end > start:
            pieces.append((text[start:end], region))
        cursor = max(cursor, end)
    if cursor < len(text):
        pieces.append((text[cursor:], -1))
    lines: list[Line] = []
    current: list[Segment] = []
    seen: set[int] = set()
    for piece, region in pieces:
        parts = piece.split("\n")
        for k, part in enumerate(parts):
            if k > 0:
                lines.append(Line(len(lines) + 1, tuple(current)))
                current = []
            if part:
                current.append((clean_text(part, limit=-1), region, region >= 0 and region not in seen))
                seen.add(region)
    if current or not lines:
        lines.append(Line(len(lines) + 1, tuple(current)))
    covered = float((labels >= 0).mean()) if n else 0.0
    return Side(tuple(lines), covered)


def match_regions(text_a: str, text_b: str, boilerplate: Boilerplate) -> PairView:
    """The two texts, marked where they match (see the module's docstring)."""
    text_a, text_b = text_a.replace("\r\n", "\n"), text_b.replace("\r\n", "\n")
    tokens_a = normalise(text_a, boilerplate.stub_names)
    tokens_b = normalise(text_b, boilerplate.stub_names)
    all_a, all_b = kgrams(tokens_a), kgrams(tokens_b)
    label_a, label_b, count = _label(tokens_a, tokens_b, _own(all_a, boilerplate), _own(all_b, boilerplate))
    label_a[_handout_tokens(all_a, boilerplate, len(tokens_a))] = -1
    label_b[_handout_tokens(all_b, boilerplate, len(tokens_b))] = -1
    return PairView(_side(text_a, tokens_a, label_a), _side(text_b, tokens_b, label_b), count)
