"""Shared fixtures: the bundled course, loaded once per session, and a submission builder."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import ROOT

from grader.course import Course, load_course


def pytest_configure(config) -> None:
    """Grading writes its case corpus to the grader's cache: here, a folder of this session's
    own, never the user's ~/.cache (each xdist worker configures its own)."""
    import os
    import tempfile

    from grader.corpus.use import CACHE_ENV

    os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="grader-test-cache-")


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``cuda`` run only where a GPU is: CI on a CPU machine stays green."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT)


@pytest.fixture
def make_submission(tmp_path: Path):
    """Build a submission folder from {student file name: source text}."""

    def build(files: dict[str, str], name: str = "submission") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for filename, text in files.items():
            (folder / filename).write_text(text)
        return folder

    return build
