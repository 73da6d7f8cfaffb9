"""Shared test configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _service(name: str, what: str) -> str:
    """A service URL or path the test scripts exported; skip, or fail in CI, without it."""
    value = os.environ.get(name)
    if value:
        return value
    message = f"{name} is unset ({what}; `nox -s tests` sets it up)"
    if os.environ.get("QBO_SYNC_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis on loopback, started by scripts/start-redis.sh (QBO_SYNC_TEST_REDIS_URL)."""
    return _service("QBO_SYNC_TEST_REDIS_URL", "run scripts/start-redis.sh")


@pytest.fixture
def redis(redis_url: str) -> Iterator[Any]:
    """A ``redis.Redis`` client on :func:`redis_url`, checked with a PING, closed afterwards."""
    from redis import Redis  # imported here: only the tests that use Redis need it

    connection = Redis.from_url(redis_url)
    try:
        connection.ping()
    except Exception as exc:  # say which service is missing
        pytest.fail(f"no Redis at {redis_url} (run scripts/start-redis.sh): {exc}")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, installed by scripts/install-chromium.sh (QBO_SYNC_CHROMIUM)."""
    return _service("QBO_SYNC_CHROMIUM", "run scripts/install-chromium.sh")
