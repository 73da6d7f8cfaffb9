"""Fixtures of the storage tests: a throw-away PostgreSQL schema per module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture(scope="module")
def pg_url() -> str:
    """The test server's URL; skip (or fail, when PostgreSQL is required) without one."""
    url = os.environ.get("QBO_SYNC_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("QBO_SYNC_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                "QBO_SYNC_REQUIRE_POSTGRES=1 but QBO_SYNC_TEST_POSTGRES_URL is unset "
                "(run scripts/start-postgres.sh)"
            )
        pytest.skip("QBO_SYNC_TEST_POSTGRES_URL is unset (run scripts/start-postgres.sh)")
    return url


@pytest.fixture(scope="module")
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh schema for one test module (and xdist worker), dropped afterwards."""
    schema = f"qbo_t_{uuid.uuid4().hex[:12]}"
    yield schema
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
