"""The one boundary for text that a submission controls.

Everything a student's code or files can put into a string (exception type names and
messages, tracebacks, printed output, the ``repr`` of returned values, file, folder and
archive member names, notebook cells) passes through :func:`clean_text` on its way into the
grader. What comes out is safe for every output the grader writes (terminal, JSON, HTML,
JUnit XML, CSV, SQLite):

- valid Unicode that encodes to UTF-8: a lone surrogate (what Python makes of undecodable
  bytes) is shown as its escape ``\\udce9``, an undecodable byte of a ``bytes`` value as
  ``\\xe9``;
- no control characters but newline and tab: NUL, ESC (so no ANSI/OSC sequence reaches a
  terminal), DEL, the C1 range and the bidirectional overrides are shown as escapes
  (``\\x1b``, ``\\u202e``), so a reader sees that they were there;
- at most ``limit`` characters, with a note of how many were cut.

Idempotent: cleaning clean text changes nothing (a short enough text), so any layer may
clean again without harm.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

DEFAULT_LIMIT = 20_000
NAME_LIMIT = 200  # file, folder, type and function names

# C0 controls but \t and \n; DEL and C1; lone surrogates; bidi overrides and isolates (text that
# reads differently from what it holds); the BOM and the line/paragraph separators that break
# line-based formats; the two noncharacters XML 1.0 refuses.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
                     "\u2028\u2029\ufeff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(value: Any, *, limit: int = DEFAULT_LIMIT) -> str:
    """``value`` as safe text (see the module's docstring); never raises.

    ``bytes`` are decoded as UTF-8 with undecodable bytes escaped; anything else that is not
    a ``str`` is shown by ``str()`` (and a hostile ``__str__`` by its type name).
    """
    if type(value) is str and value.isascii() and value.isprintable() and (limit < 0 or len(value) <= limit):
        return value  # nothing to escape, cut or convert: most names and keys, at every reply
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", errors="backslashreplace")
    elif isinstance(value, str):
        text = str.__str__(value)  # a str subclass's own __str__ is the student's code
    else:
        try:
            text = str(value)
            if not isinstance(text, str):
                raise TypeError
            text = str.__str__(text)
        except BaseException:  # noqa: BLE001 - a hostile __str__ must not stop the grader
            text = f"<unprintable {type(value).__name__}>"
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    text = _UNSAFE.sub(_escape, text)
    if limit >= 0 and len(text) > limit:
        cut = len(text) - limit
        note = f"… [{cut} more characters cut]"
        keep = max(limit - len(note), 0)
        text = text[:keep] + note
    return text


def clean_name(value: Any) -> str:
    """A name (file, folder, archive member, exception type) on one line, at most 200 characters."""
    return clean_text(value, limit=NAME_LIMIT).replace("\n", "\\n").replace("\t", "\\t")


def clean_strings(value: Any, *, limit: int = 1_000_000) -> Any:
    """``value`` with every string inside it cleaned: dataclasses (frozen ones rebuilt), dicts,
    lists and tuples are walked; other values are returned as they are.

    The last pass before a result reaches any output: whatever a suite put into a message from
    a student's value, the outputs receive only clean text.
    """
    if isinstance(value, str):
        return clean_text(value, limit=limit)
    if isinstance(value, (list, tuple)):
        items = [clean_strings(v, limit=limit) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {clean_strings(k, limit=limit): clean_strings(v, limit=limit) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: clean_strings(getattr(value, f.name), limit=limit) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
