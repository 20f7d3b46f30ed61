"""What the Gradescope bundle and the student release are made of: the engine's files, pinned
requirements, a pyproject that installs the engine, and the templates."""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Iterator
from pathlib import Path

import grader
from grader.digests import SKIPPED_PARTS

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENGINE_DIR = Path(grader.__file__).resolve().parent
DISTRIBUTION = "dl-grader"
# Used when the engine runs from a plain checkout that pip never installed.
_FALLBACK_REQUIREMENTS = ("torch>=2.1", "numpy>=1.24", "hypothesis>=6.131,<7", "jinja2>=3.1", "pandas>=2.0",
                          "click>=8.1", "rich>=13.0", "matplotlib>=3.7", "pyyaml>=6.0",
                          "nbformat>=5.7", "tomli>=2.0; python_version < '3.11'")
_SKIPPED_PARTS = SKIPPED_PARTS  # one rule for what ships and what a digest counts


def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def tree_files(folder: Path) -> Iterator[Path]:
    """Every file under ``folder`` worth shipping (no caches, no bytecode), sorted."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not _SKIPPED_PARTS & set(rel.parts) and path.suffix not in {".pyc", ".pyo"}:
            yield path


def engine_files() -> Iterator[tuple[Path, str]]:
    """(file, path relative to a source root) for the engine package ``grader/``."""
    for path in tree_files(ENGINE_DIR):
        yield path, (Path("grader") / path.relative_to(ENGINE_DIR)).as_posix()


def requirements() -> list[str]:
    """The engine's runtime requirements (environment markers kept)."""
    try:
        declared = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        declared = list(_FALLBACK_REQUIREMENTS)
    return [r for r in declared if "extra ==" not in r]


def pinned_requirements() -> str:
    """requirements.txt pinning each requirement to the version installed here."""
    lines = [f"# Pinned by `grader gradescope-bundle` from the instructor's environment (grader {grader.__version__})."]
    for requirement in requirements():
        spec, _, marker = requirement.partition(";")
        name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0]
        try:
            version = importlib.metadata.version(name)
            pinned = f"{name}=={version}"
        except importlib.metadata.PackageNotFoundError:
            pinned = spec.strip()
        lines.append(f"{pinned}; {marker.strip()}" if marker.strip() else pinned)
    return "\n".join(lines) + "\n"


def pyproject() -> str:
    """A pyproject that installs the engine (``grader`` console script) from a source root."""
    # JSON strings are valid TOML basic strings, whatever quotes an environment marker holds.
    deps = ",\n".join(f"    {json.dumps(r)}" for r in requirements())
    return (template("pyproject.toml.in")
            .replace("@VERSION@", grader.__version__)
            .replace("@DEPENDENCIES@", deps))
