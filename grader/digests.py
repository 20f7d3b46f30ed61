"""Digests of what decides a grade besides the student's file: the engine's code, an
assignment's folders and the helper modules its suites import.

The batch (which assignments to regrade) and the case corpus (whether persisted draws still
hold) ask the same question, so they share one answer.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import sys
import sysconfig
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from grader import __version__
from grader.atomic import write_atomically
from grader.user_cache import cache_root

ENGINE = Path(__file__).resolve().parent
# The engine's parts that can change a verdict or a score (reports and output formats cannot).
VERDICT_CODE = ("checks", "spec", "sandbox", "grading.py", "scoring.py", "course.py", "config.py", "results.py",
                "submission.py", "untrusted.py", "notebooks", "corpus")


# What no release or bundle ships (grader.platforms.files.tree_files), so no digest counts it:
# a corpus built from the course still holds in the release made from it.
SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints", ".git"})


def digest_files(digest: hashlib._Hash, paths: Iterable[Path], base: Path) -> None:
    for path in sorted(paths):
        if path.is_file() and not SKIPPED_PARTS & set(path.parts) and path.suffix not in (".pyc", ".pyo"):
            try:
                name = str(path.relative_to(base))
            except ValueError:
                name = str(path)
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")


@lru_cache(maxsize=1)
def engine_digest() -> str:
    """The grader's version and the source of every engine part that decides a verdict."""
    digest = hashlib.sha256(f"grader {__version__}\n".encode())
    for part in VERDICT_CODE:
        path = ENGINE / part
        digest_files(digest, path.rglob("*.py") if path.is_dir() else [path], ENGINE)
    return digest.hexdigest()


def _installed_dirs() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple(Path(paths[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)


def _parsed_imports(source: bytes) -> set[str]:
    try:
        tree = ast.parse(source.decode("utf-8", errors="replace"))
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MEMO_ENTRIES = 4096


class ImportMemo:
    """What each source text imports, by the digest of the text, kept in the grader's cache.

    Parsing the suites and their helpers is most of a corpus fingerprint's cost (a fifth of a
    second per submission, in every fresh grading process); a text's imports never change, so
    they are parsed once per machine. Keyed by content, a memo can only be missing an entry,
    never wrong about an edited file; one that cannot be read is ignored and written afresh.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names: dict[str, list[str]] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self.names = {k: v for k, v in data.items()
                          if isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)}

    def imports(self, path: Path) -> set[str]:
        try:
            source = path.read_bytes()
        except OSError:
            return set()
        key = hashlib.sha256(source).hexdigest()
        self.used.add(key)
        if key not in self.names:
            self.names[key] = sorted(_parsed_imports(source))
            self.dirty = True
        return set(self.names[key])

    def save(self) -> None:
        if not self.dirty:
            return
        if len(self.names) > MEMO_ENTRIES:  # every edit of a suite adds one: forget the unused
            self.names = {k: v for k, v in self.names.items() if k in self.used}
        try:
            write_atomically(self.path, json.dumps(self.names, sort_keys=True))
            self.dirty = False
        except OSError:
            pass  # a read-only cache: the next process parses again


def import_memo() -> ImportMemo:
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    return ImportMemo(cache_root() / "imports" / f"py{version}.json")


def helper_modules(sources: Iterable[Path]) -> list[Path]:
    """The files of the modules ``sources`` import (and those import, ...) that neither Python,
    an installed package nor the grader provides: a course's own helpers, wherever they lie.

    Only modules already imported are looked at (the course's suites are loaded when this is
    asked), so nothing is imported here; their versions are in the digests of what installs them.
    """
    installed = _installed_dirs()
    memo = import_memo()
    seen: set[Path] = set()
    todo = [p.resolve() for p in sources if p.suffix == ".py"]
    found: list[Path] = []
    while todo:
        source = todo.pop()
        if source in seen:
            continue
        seen.add(source)
        for name in sorted(memo.imports(source)):
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None) if module is not None else None
            if not file:
                continue
            path = Path(file).resolve()
            if path.suffix != ".py" or path in seen or ENGINE in path.parents:
                continue
            if any(base in path.parents for base in installed):
                continue
            found.append(path)
            todo.append(path)
    memo.save()
    return sorted(set(found))


def assignment_files_digest(course_root: Path, assignment_id: str,
                            folders: tuple[str, ...] = ("assignments", "reference"),
                            ignore: tuple[str, ...] = ()) -> str:
    """Every file of ``assignments/<id>/`` and ``reference/<id>/`` (or of ``folders``) and every
    helper module the Python files among them import, by content; files of the public folder
    named in ``ignore`` (fnmatch patterns) are left out."""
    digest = hashlib.sha256()
    public = course_root / "assignments" / assignment_id
    folders = [course_root / folder / assignment_id for folder in folders]
    files = [p for folder in folders if folder.is_dir() for p in folder.rglob("*")
             if not (folder == public and any(fnmatch.fnmatch(p.name, pattern) for pattern in ignore))]
    digest_files(digest, files, course_root)
    inside = set(p.resolve() for p in files)
    digest_files(digest, [h for h in helper_modules(files) if h not in inside], course_root)
    return digest.hexdigest()
