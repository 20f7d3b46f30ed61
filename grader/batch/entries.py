"""The entries of a batch root: one submission each, a folder or a ``.zip``.

A Gradescope "export submissions" folder is recognised by its ``submission_metadata.yml``:
its entries (``submission_<id>/``) are mapped to the submitters' names and emails.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.archive import extract_zip
from grader.errors import SubmissionError
from grader.submission import locate_files
from grader.untrusted import clean_name, clean_text

_IGNORED = {"__MACOSX", "__pycache__"}


@dataclass(frozen=True)
class Entry:
    """One submission of the batch: its id (the entry's name), where it is, who made it."""

    id: str
    path: Path  # folder to grade (a zip is extracted first)
    source: Path  # what was found in ROOT
    student_name: str = ""
    student_email: str = ""
    student_id: str = ""
    problem: str = ""  # why the entry cannot be graded at all (unsafe zip, ...)


def _load_gradescope_metadata(root: Path) -> dict[str, dict[str, str]]:
    path = root / "submission_metadata.yml"
    if not path.is_file():
        return {}
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SubmissionError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise SubmissionError(f"{path}: expected a mapping of submission folders to metadata")
    people: dict[str, dict[str, str]] = {}
    for folder, meta in data.items():
        submitters: Any = (meta or {}).get(":submitters") or (meta or {}).get("submitters") or []
        if isinstance(submitters, list) and submitters:
            first = submitters[0] or {}

            def field(key: str, person: dict = first) -> str:
                return str(person.get(f":{key}") or person.get(key) or "")

            names = [str((p or {}).get(":name") or (p or {}).get("name") or "") for p in submitters]
            people[str(folder)] = {"name": " & ".join(n for n in names if n), "email": field("email"),
                                   "sid": field("sid")}
    return people


def _safe_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]+", "_", name).strip("._") or "entry"


def _unique_id(name: str, taken: set[str]) -> str:
    """The entry's id: ``name`` made safe, with ``-2``, ``-3``, ... where two names map to one id
    (``a b`` and ``a_b``): the id keys the store, the output files and the extraction folder,
    so two students must never share one."""
    base = entry_id = _safe_id(name)
    n = 1
    while entry_id in taken:
        n += 1
        entry_id = f"{base}-{n}"
    taken.add(entry_id)
    return entry_id


def discover(root: Path, extract_to: Path) -> list[Entry]:
    """Every entry of ``root``, sorted by name; zips are extracted under ``extract_to``."""
    if not root.is_dir():
        raise SubmissionError(f"{root}: the batch root must be a folder of submissions")
    people = _load_gradescope_metadata(root)
    entries = []
    taken: set[str] = set()
    for item in sorted(root.iterdir()):
        if item.name in _IGNORED or item.name.startswith("."):
            continue
        if item.is_symlink():
            entries.append(Entry(_unique_id(item.name, taken), item, item, problem="symbolic links are not graded"))
            continue
        person = people.get(item.name, {})
        details = {f"student_{key}": clean_name(person.get(key, "")) for key in ("name", "email")}
        details["student_id"] = clean_name(person.get("sid", ""))
        if item.is_dir():
            entries.append(Entry(_unique_id(item.name, taken), item, item, **details))
        elif item.suffix.lower() == ".zip":
            entry_id = _unique_id(item.stem, taken)
            target = extract_to / entry_id
            try:
                if target.exists():
                    import shutil

                    shutil.rmtree(target)
                extract_zip(item, target)
                entries.append(Entry(entry_id, target, item, **details))
            except SubmissionError as exc:
                entries.append(Entry(entry_id, target, item, problem=clean_text(exc, limit=2000), **details))
    return entries


def content_hash(path: Path, student_files: Iterable[str], *,
                 notebook_files: Mapping[str, Iterable[str]] | None = None) -> str:
    """A digest of what is graded: each student file's name and bytes (absent ones too).
    ``notebook_files``: the course's notebook -> assignments mapping (``[notebooks] files``)."""
    digest = hashlib.sha256()
    try:
        found = locate_files(path, list(student_files), notebook_files=notebook_files)
    except SubmissionError:
        found = {}
    for name in sorted(found):
        digest.update(name.encode() + b"\0")
        file = found[name]
        digest.update(file.read_bytes() if file is not None else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()
