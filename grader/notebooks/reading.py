"""Reading a notebook file: nbformat 4, validated, within the course's size limit.

A notebook is data, never run here: Jupyter does not execute it in the grader. Every fault
of the file (not JSON, not a notebook, an old nbformat, too large, no code) is a
:class:`NotebookError` whose message a student can act on; grading turns it into a graded
``error``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from grader.untrusted import clean_name, clean_text

DEFAULT_MAX_MB = 5.0


class NotebookError(Exception):
    """A notebook the grader cannot read; the message names the file and what is wrong."""


def read_notebook(path: str | Path, *, max_mb: float = DEFAULT_MAX_MB) -> Any:
    """The validated nbformat-4 notebook at ``path`` (an ``nbformat.NotebookNode``)."""
    import nbformat

    path = Path(path)
    name = clean_name(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"{name}: cannot be read ({clean_text(exc.strerror or exc, limit=200)})") from exc
    if size > max_mb * 1024 * 1024:
        raise NotebookError(f"{name} is {size / (1024 * 1024):.1f} MB, over this course's limit of {max_mb:g} MB "
                            f"for a notebook; clear the outputs (Edit > Clear All Outputs) and submit it again")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (some Windows editors) is no fault
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{name} is not a Jupyter notebook (not UTF-8 text)") from exc
    if not text.strip():
        raise NotebookError(f"{name} is empty (0 cells): save the notebook in Jupyter and submit it again")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"{name} is not a Jupyter notebook (not valid notebook JSON: "
                            f"{clean_text(exc, limit=200)}); was it saved completely?") from exc
    if not isinstance(data, dict) or not ({"cells", "worksheets"} & set(data)):
        raise NotebookError(f"{name} is not a Jupyter notebook (JSON without notebook cells)")
    try:
        with warnings.catch_warnings():  # nbformat warns (cells without ids) on stderr: not the student's concern
            warnings.simplefilter("ignore")
            raw = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # noqa: BLE001 - nbformat raises reader and validation errors alike
        raise NotebookError(f"{name} is not a valid Jupyter notebook ({clean_text(exc, limit=200)})") from exc
    major = raw.get("nbformat") if isinstance(raw, dict) else None
    if major != 4:
        raise NotebookError(f"{name} is in notebook format {clean_text(major, limit=20)}; the grader reads "
                            f"format 4 (open it in a current Jupyter or Colab and save it again)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(raw)
    except Exception as exc:  # noqa: BLE001 - nbformat.ValidationError and its kin
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookError(f"{name} is not a valid Jupyter notebook ({clean_text(first, limit=200)})") from exc
    if not any(cell.get("cell_type") == "code" for cell in raw.cells):
        count = len(raw.cells)
        raise NotebookError(f"{name} has no code cells ({count} cell{'s' if count != 1 else ''}): "
                            f"nothing to grade")
    return raw
