"""Fixtures of the storage tests: a throw-away PostgreSQL schema per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qbo_sync.testing.storage_conformance import fresh_postgres_schema, postgres_url_or_skip


@pytest.fixture(scope="module")
def pg_url() -> str:
    """The test server's URL; skip (or fail, when PostgreSQL is required) without one."""
    return postgres_url_or_skip()


@pytest.fixture(scope="module")
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh schema for one test module (and xdist worker), dropped afterwards."""
    with fresh_postgres_schema(pg_url) as schema:
        yield schema
