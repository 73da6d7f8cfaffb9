"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The repository root (the folder holding pyproject.toml).
ROOT = Path(__file__).resolve().parent.parent
#: Real recorded QBO traffic the tests replay, kept in the repository with each
#: source's licence and a provenance table (tests/data/real/SOURCES.md). The one
#: place tests name it; tests/core/test_self_contained.py keeps it inside ROOT.
REAL_SAMPLES = ROOT / "tests" / "data" / "real"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The in-repository real-samples folder (``REAL_SAMPLES``)."""
    return REAL_SAMPLES
