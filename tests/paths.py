"""Paths the grader's tests share (imported as ``from paths import ...``; tests/ is not a package)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ENGINE_COURSE = ROOT / "tests" / "engine_course"
