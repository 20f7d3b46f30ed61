"""Python source as a stream of normalised tokens, each with the span of source it came from.

What a copier can change without changing the program is taken out, so it changes nothing:

- comments, blank lines, line continuations, indentation widths and spacing (the tokenizer's
  INDENT/DEDENT/NEWLINE say the structure, whatever the whitespace), grouping parentheses;
- ``pass`` and ``print(...)`` statements: padding, not solution;
- docstrings and every other statement that is only a string;
- the names a student chooses (variables, parameters, functions, classes, import aliases)
  become ``V``; numbers become ``N`` and strings ``S`` (f-strings included);
- the headers (``def name(args) -> ...:``) of the functions and classes the stub defines:
  they are the handout's, so two students sharing them proves nothing.

Kept as written: keywords, operators, builtins (``range``, ``ValueError``), attribute names
after a dot (``torch.clamp``: an API a copier cannot rename) and keyword-argument names in
calls (``dim=1``). Code that does not tokenize to its end (a syntax error, an unclosed
bracket) keeps the tokens read up to the fault: nothing here raises on a student's file.
"""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Tokens", "defined_names", "normalise"]

_BUILTINS = frozenset(dir(builtins))
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_END = {tokenize.NEWLINE, tokenize.ENDMARKER}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
# Python 3.12+ tokenizes f-strings (3.14: t-strings) into parts; each whole one is one ``S``.
_STRING_OPEN = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)}
_STRING_CLOSE = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}
_OPENING, _CLOSING = set("([{"), set(")]}")


@dataclass(frozen=True)
class Tokens:
    """The normalised tokens of one source text and where each came from.

    ``symbols[i]`` is the i-th token as compared (``V``, ``N``, ``+``, ``torch.clamp``'s
    ``clamp``...); ``starts[i]``/``ends[i]`` its character offsets in the text. ``units``
    cut the stream where each top-level ``def``/``class`` (or its decorators, or the header the
    stub gave it) begins, and around each top-level import: fingerprints never span two, so
    reordering functions changes none, and imports (short, everyone's) make none.
    """

    symbols: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    units: tuple[int, ...] = (0,)  # where each top-level definition's tokens begin

    def __len__(self) -> int:
        return len(self.symbols)


def _raw_tokens(text: str) -> list[tokenize.TokenInfo]:
    """The tokenizer's tokens of ``text``, up to the first fault (none is raised)."""
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type not in _SKIPPED:
                out.append(tok)
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        pass
    return out


def _merge_strings(toks: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    """f-string parts merged into one STRING token spanning the whole literal."""
    if not _STRING_OPEN:
        return toks
    out: list[tokenize.TokenInfo] = []
    depth, start = 0, None
    for tok in toks:
        if tok.type in _STRING_OPEN:
            if depth == 0:
                start = tok
            depth += 1
        elif tok.type in _STRING_CLOSE and depth:
            depth -= 1
            if depth == 0 and start is not None:
                out.append(tokenize.TokenInfo(tokenize.STRING, "S", start.start, tok.end, start.line))
        elif depth == 0:
            out.append(tok)
    return out


def _line_offsets(text: str) -> list[int]:
    offsets = [0, 0]  # tokenize counts rows from 1
    for line in io.StringIO(text):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _drop_string_statements(toks: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    """Without statements that are only string literals (docstrings), and their NEWLINE."""
    out: list[tokenize.TokenInfo] = []
    i, n = 0, len(toks)
    while i < n:
        at_start = not out or out[-1].type in _STATEMENT_START
        if at_start and toks[i].type == tokenize.STRING:
            j = i
            while j < n and toks[j].type == tokenize.STRING:
                j += 1
            if j >= n or toks[j].type in _STATEMENT_END or toks[j].string == ";":
                i = j + 1 if j < n else j
                continue
        out.append(toks[i])
        i += 1
    return out


def _header_end(toks: list[tokenize.TokenInfo], i: int) -> int:
    """The index just past the header starting at ``toks[i]`` (``def``/``class``): its colon and NEWLINE."""
    depth, k, n = 0, i + 2, len(toks)
    while k < n:
        tok = toks[k]
        if tok.type == tokenize.OP:
            if tok.string in _OPENING:
                depth += 1
            elif tok.string in _CLOSING:
                depth -= 1
            elif tok.string == ":" and depth <= 0:
                break
        elif tok.type in _STATEMENT_END:
            break
        k += 1
    k += 1
    if k < n and toks[k].type == tokenize.NEWLINE:
        k += 1
    return k


def _padding_end(toks: list[tokenize.TokenInfo], i: int) -> int | None:
    """Past the statement ``pass`` or ``print(...)`` starting at ``toks[i]`` (and its NEWLINE); None
    when the statement is something else (``print = log``, ``pass_rate = 1``)."""
    n = len(toks)
    if toks[i].string == "pass":
        k = i + 1
    elif i + 1 < n and toks[i + 1].string == "(":
        depth, k = 0, i + 1
        while k < n:
            if toks[k].string in _OPENING and toks[k].type == tokenize.OP:
                depth += 1
            elif toks[k].string in _CLOSING and toks[k].type == tokenize.OP:
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
    else:
        return None
    if k >= n:
        return k
    if toks[k].type == tokenize.NEWLINE or toks[k].string == ";":
        return k + 1
    return None


def defined_names(text: str) -> frozenset[str]:
    """The names that ``def`` and ``class`` statements of ``text`` define (a stub's functions)."""
    toks = _raw_tokens(text)
    return frozenset(toks[i + 1].string for i in range(len(toks) - 1)
                     if toks[i].string in ("def", "class") and toks[i + 1].type == tokenize.NAME)


def normalise(text: str, stub_names: Iterable[str] = ()) -> Tokens:
    """``text`` as normalised tokens (see the module's docstring)."""
    toks = _drop_string_statements(_merge_strings(_raw_tokens(text)))
    names = frozenset(stub_names)
    offsets = _line_offsets(text)
    symbols: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    units = [0]
    depth = level = 0  # bracket depth; indentation level
    previous, previous_kind = "", tokenize.ENDMARKER
    parens: list[bool] = []  # for each open bracket: is it a grouping parenthesis (not compared)
    at_start, after_decorator, after_import, in_header = True, False, False, False
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        kind, s = tok.type, tok.string
        if at_start and level == 0 and kind not in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
            is_import = s in ("import", "from")
            if (is_import or after_import) and symbols and units[-1] != len(symbols):
                units.append(len(symbols))  # a top-level import is a unit of its own: everyone's code
            after_import = is_import
        if at_start and level == 0 and s in ("def", "class", "@", "async"):
            if not after_decorator and symbols and units[-1] != len(symbols):
                units.append(len(symbols))  # a top-level definition starts a unit
            after_decorator = s == "@"
        if at_start and kind == tokenize.NAME and s in ("pass", "print"):
            end = _padding_end(toks, i)
            if end is not None:  # padding a copier adds, and no part of a solution
                i = end
                continue
        if at_start and s in ("def", "class", "async"):
            j = i + 1 if s == "async" else i
            if j + 1 < n and toks[j].string in ("def", "class") and toks[j + 1].string in names:
                i = _header_end(toks, j)
                at_start = True
                continue
            in_header = toks[j].string == "def"
        at_start = False
        if kind == tokenize.NAME:
            following = toks[i + 1].string if i + 1 < n else ""
            keep = (keyword.iskeyword(s) or s in _BUILTINS or previous == "."
                    or (depth > 0 and not in_header and following == "=" and previous in ("(", ",")))
            symbol = s if keep else "V"
        elif kind == tokenize.NUMBER:
            symbol = "N"
        elif kind == tokenize.STRING:
            symbol = "S"
        elif kind == tokenize.OP:
            symbol = s
            if s in _OPENING:
                depth += 1
                # A call's or a subscript's bracket says something; a grouping one does not:
                # ``return (a, b)`` is ``return a, b``, ``(p + r) / 2`` keeps its operators.
                grouping = s == "(" and not (previous_kind in (tokenize.NAME, tokenize.STRING)
                                             and not keyword.iskeyword(previous) or previous in (")", "]"))
                parens.append(grouping)
            elif s in _CLOSING:
                depth = max(depth - 1, 0)
                grouping = parens.pop() if parens else False
            else:
                grouping = False
            if grouping:
                previous, previous_kind = s, kind
                i += 1
                continue
            elif s == ";":
                at_start = True
            elif s == ":" and depth == 0:
                in_header = False
        elif kind == tokenize.NEWLINE:
            symbol, at_start, in_header = ";", True, False  # ``a; b`` is two statements, as on two lines
        elif kind == tokenize.INDENT:
            symbol, at_start, level = "{", True, level + 1
        elif kind == tokenize.DEDENT:
            symbol, at_start, level = "}", True, max(level - 1, 0)
        elif kind == tokenize.ERRORTOKEN and not s.strip():
            i += 1
            continue
        else:
            symbol = s
        previous, previous_kind = s, kind
        (srow, scol), (erow, ecol) = tok.start, tok.end
        start = offsets[srow] + scol if srow < len(offsets) else len(text)
        end = offsets[erow] + ecol if erow < len(offsets) else len(text)
        if kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
            end = start  # structure, not text: nothing of the source to highlight
        symbols.append(symbol)
        starts.append(start)
        ends.append(max(end, start))
        i += 1
    return Tokens(tuple(symbols), tuple(starts), tuple(ends), tuple(units))
