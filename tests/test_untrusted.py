"""The untrusted-text boundary: whatever text a submission controls, every output stays valid.

Property-based over hypothesis's full character range (lone surrogates and control characters
included) and raw bytes; each drawn string is put into every text field of a result, which
then goes through every output format: the grade JSON (strict UTF-8 and JSON parse), JUnit
XML (parsed), the gradebook and Canvas CSVs (round trip), the HTML report (parsed), the
terminal summary (no escape or control character) and the SQLite store (round trip).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sample_results import mixed_submission

from grader.batch.store import Graded, Store
from grader.formats import grade_json
from grader.formats.gradebook import write_canvas_gradebook, write_gradebook
from grader.formats.junit import to_xml
from grader.report.html import render_report
from grader.report.terminal import print_summary
from grader.results import SubmissionResult
from grader.untrusted import clean_name, clean_strings, clean_text

NASTY = ["\udce9", "\ud800", "\x00", "\x1b[2J", "\x1b]0;title\x07", "\x9b31m", "\r", "\x7f", "\u202e", "\ufffe",
         "[bold red]x[/]", "\\", "]]>", "<!--", "\u2028", "\ufeff", "\t\n"]
# Pieces of text: any code point (surrogates and controls included) or a known-nasty sequence.
ANY_PIECE = st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from(NASTY))
ANY_TEXT = st.lists(ANY_PIECE, max_size=40).map("".join)
SETTINGS = settings(max_examples=60, database=None, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
# What must never survive the boundary: controls but \t and \n, surrogates, bidi overrides.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _assert_safe(text: str) -> None:
    text.encode("utf-8")  # strict: raises on a lone surrogate
    assert not UNSAFE.search(text), repr(text)


@SETTINGS
@given(ANY_TEXT, st.integers(min_value=20, max_value=200))
@example("\udce9" * 5 + "\x1b[2J", 40)
def test_clean_text_is_valid_utf8_without_controls_capped_and_idempotent(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit=limit)
    _assert_safe(cleaned)
    assert len(cleaned) <= limit
    assert clean_text(cleaned, limit=limit) == cleaned
    if not UNSAFE.search(text) and len(text) <= limit and "\r\n" not in text and "\u2028" not in text \
            and "\u2029" not in text and "\ufeff" not in text:
        assert cleaned == text  # ordinary text passes untouched


@SETTINGS
@given(st.binary(max_size=80))
@example(b"ab\xff\xfe\x00\x1b[2J\xed\xb3\xa9")
def test_raw_bytes_are_decoded_with_what_cannot_be_decoded_shown(data: bytes) -> None:
    cleaned = clean_text(data)
    _assert_safe(cleaned)
    if b"\xff" in data:
        assert "\\xff" in cleaned


def test_what_was_there_stays_visible() -> None:
    assert clean_text("a\udce9b") == "a\\udce9b"
    assert clean_text("\x1b[2J") == "\\x1b[2J"
    assert clean_text("x" * 100, limit=50).endswith("more characters cut]")
    assert clean_name("a\nb") == "a\\nb"


def _poisoned(text: str) -> SubmissionResult:
    """The sample result with ``text`` in every string field a submission can influence."""
    base = mixed_submission(submission="s" + text)

    def poison(obj):
        if dataclasses.is_dataclass(obj):
            changes = {}
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if isinstance(value, str) and f.name not in ("status", "visibility", "id", "mode"):
                    changes[f.name] = value + text
                elif isinstance(value, (tuple, list)) or dataclasses.is_dataclass(value):
                    changes[f.name] = poison(value)
                elif isinstance(value, dict):
                    changes[f.name] = {**value, "note" + text: text}
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, tuple):
            return tuple(poison(v) for v in obj)
        return obj

    return poison(base)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@settings(max_examples=25, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(ANY_TEXT.filter(bool))
@example("\udce9\x00\x1b[2J\x1b]0;pwned\x07[bold]x[/]\u202e\r\ufffe" + "y" * 300)
def test_every_output_format_stays_valid(tmp_path_factory, text: str) -> None:
    out = tmp_path_factory.mktemp("formats")
    result = clean_strings(_poisoned(text))  # what grading hands every output (grader.grading)

    grade_json.write(result, out / "grade.json")
    data = json.loads((out / "grade.json").read_bytes().decode("utf-8", errors="strict"))
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogate survived the round trip
    assert grade_json.from_dict(data).submission == result.submission

    root = ET.fromstring(to_xml(result).encode("utf-8"))
    assert root.tag == "testsuites"

    write_gradebook([result], out / "gradebook.csv")
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["submission"] for r in rows] == [result.submission]
    write_canvas_gradebook([result], out / "canvas.csv")
    with open(out / "canvas.csv", encoding="utf-8", newline="") as f:
        assert result.submission in [r["Student"] for r in csv.DictReader(f)]

    page = render_report(result, show_hidden_inputs=True)
    page.encode("utf-8")
    parser = _Collect()
    parser.feed(page)
    parser.close()
    assert "<script>alert" not in page

    buffer = io.StringIO()
    print_summary(result, Console(file=buffer, width=100, color_system=None, force_terminal=False))
    printed = buffer.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\x00" not in printed and "\r" not in printed
    printed.encode("utf-8")

    with Store(Path(out) / "grades.sqlite") as store:
        store.save(result, content_hash="h", suite_version="v",
                   graded={a.id: Graded("f", "v") for a in result.assignments})
        ((back, _),) = list(store.results())
    assert back == grade_json.from_dict(grade_json.to_dict(result))


def test_strings_from_a_worker_are_cleaned_when_decoded() -> None:
    from grader.sandbox import wire

    frame = wire.encode({"kind": "value", "value": ["\udce9\x1b[2J", {"k\x00": "\x07"}]}, lenient=True)
    decoded = wire.decode(frame, untrusted=True)
    assert decoded["value"] == ["\\udce9\\x1b[2J", {"k\\x00": "\\x07"}]
    assert wire.decode(frame)["value"][0] == "\udce9\x1b[2J"  # the worker's own side is left alone
