"""The product's records, read by the worker from the product's own table.

The product (for example examples/flask_app, which uses the same table) keeps
its customers, items, invoices, credit memos and payments in
``product_records`` of the SQLite file qbo_sync's store lives in: one row per
record, the canonical local record of :mod:`qbo_sync.mapping` as JSON.
:class:`ProductSource` is the engine's :class:`~qbo_sync.sync.RecordSource`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qbo_sync.mapping import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict

ENTITY_OF = {cls: entity for entity, cls in LOCAL_RECORD_TYPES.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS product_records (
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (entity, local_id)
)
"""


def _connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30.0)
    with conn:
        conn.execute(_SCHEMA)
    return conn


def save_records(path: str | Path, records: Iterable[Any]) -> int:
    """Insert or replace product records; returns how many."""
    rows = [
        (ENTITY_OF[type(r)], r.id, json.dumps(record_to_dict(r), separators=(",", ":")))
        for r in records
    ]
    conn = _connect(path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO product_records (entity, local_id, data) VALUES (?, ?, ?) "
                "ON CONFLICT (entity, local_id) DO UPDATE SET data = excluded.data",
                rows,
            )
    finally:
        conn.close()
    return len(rows)


def load_sample_book(path: str | Path, **sizes: int) -> int:
    """Fill the product with :func:`qbo_sync.testing.sample_book` (demo data)."""
    from qbo_sync.testing import sample_book  # noqa: PLC0415 - demo data only

    return save_records(path, sample_book(**sizes).records())


class ProductSource:
    """The product's records for the engine (``RecordSource``), read from the file."""

    def __init__(self, path: str | Path) -> None:
        self._conn = _connect(path)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity``, in the order first saved."""
        if entity not in LOCAL_RECORD_TYPES:
            return []
        rows = self._conn.execute(
            "SELECT data FROM product_records WHERE entity = ? ORDER BY rowid", (entity,)
        )
        return [record_from_dict(entity, json.loads(data)) for (data,) in rows]

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (missing ids left out)."""
        wanted = set(local_ids)
        return [r for r in self.records(entity) if r.id in wanted]
