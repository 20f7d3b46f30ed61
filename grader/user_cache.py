"""The grader's cache folder: what one grading process leaves for the next on this machine.

``$GRADER_CACHE_DIR``, else ``$XDG_CACHE_HOME/dl-grader``, else ``~/.cache/dl-grader``. Nothing
in it is trusted for a verdict on its own: a corpus carries its fingerprint and digest
(:mod:`grader.corpus.store`), the import memo is keyed by the content it describes
(:mod:`grader.digests`). Deleting it costs time only.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "GRADER_CACHE_DIR"


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dl-grader"
