"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The real recorded QBO traffic shipped beside the project (../shared).
SAMPLES = (ROOT.parent / "shared" / "qbo-real-samples").resolve()
#: Intuit's XSD files.
SCHEMA = (ROOT.parent / "shared" / "qbo-schema").resolve()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The real-samples folder; fails loudly if the checkout lacks it."""
    if not SAMPLES.is_dir():
        pytest.fail(f"real QBO samples not found at {SAMPLES} (shared/ must sit beside the repo)")
    return SAMPLES
