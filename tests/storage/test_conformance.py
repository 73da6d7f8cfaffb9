"""The storage conformance suite on all three bundled backends."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from qbo_sync.storage import MemoryStore, SQLAlchemyStore, SQLiteStore, TokenCipher
from qbo_sync.testing.storage_conformance import StorageConformance, StoreFactory

KEY = "mJ0uYj3Ck3Q2m2cJxQ3Q9n9mP5v7o4m0b2x6yX1J3hM="


class TestMemoryStore(StorageConformance):
    """MemoryStore: one process by nature, so the multi-process tests skip."""

    multiprocess = False

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        return MemoryStore


class TestSQLiteStore(StorageConformance):
    """SQLiteStore with token encryption on, in a temp folder."""

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return functools.partial(
            SQLiteStore, tmp_path / "qbo.sqlite3", encryption=TokenCipher([KEY])
        )


@pytest.mark.postgres
class TestPostgresStore(StorageConformance):
    """SQLAlchemyStore on the real PostgreSQL server, in a schema of this module."""

    @pytest.fixture
    def store_factory(self, pg_url: str, pg_schema: str) -> StoreFactory:
        return functools.partial(
            SQLAlchemyStore, pg_url, schema=pg_schema, encryption=TokenCipher([KEY])
        )
