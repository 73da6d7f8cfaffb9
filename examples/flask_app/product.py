"""The product's own data: its records and the timeline its invoice page shows.

A real product has its own models (SQLAlchemy, Django ORM ...). This example
keeps them in two tables of its own in the same SQLite file as qbo_sync's
store (qbo_sync never reads them):

- ``product_records``: one row per record, the canonical local record of
  :mod:`qbo_sync.mapping` as JSON;
- ``product_timeline``: notes such as "Payment confirmed via QuickBooks".

:class:`ProductSource` is the engine's :class:`~qbo_sync.sync.RecordSource`
(what to push) and :class:`ProductSink` its :class:`~qbo_sync.sync.ChangeSink`
(what a pull hands back).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from qbo_sync.mapping import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict
from qbo_sync.sync import Change, ChangeKind

ENTITY_OF = {cls: entity for entity, cls in LOCAL_RECORD_TYPES.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS product_records (
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (entity, local_id)
);
CREATE TABLE IF NOT EXISTS product_timeline (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    note     TEXT NOT NULL
);
"""


class ProductDB:
    """The product's records and timeline in a SQLite file (one connection per thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0)
            self._local.conn = conn
        return conn

    def save(self, records: Iterable[Any]) -> int:
        """Insert or replace records; returns how many."""
        rows = [
            (ENTITY_OF[type(r)], r.id, json.dumps(record_to_dict(r), separators=(",", ":")))
            for r in records
        ]
        with self._conn() as conn:
            conn.executemany(
                "INSERT INTO product_records (entity, local_id, data) VALUES (?, ?, ?) "
                "ON CONFLICT (entity, local_id) DO UPDATE SET data = excluded.data",
                rows,
            )
        return len(rows)

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity``, in the order first saved."""
        rows = self._conn().execute(
            "SELECT data FROM product_records WHERE entity = ? ORDER BY rowid", (entity,)
        )
        return [record_from_dict(entity, json.loads(data)) for (data,) in rows]

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (missing ids left out)."""
        wanted = set(local_ids)
        return [r for r in self.records(entity) if r.id in wanted]

    def count(self) -> int:
        """How many records the product holds."""
        return int(self._conn().execute("SELECT count(*) FROM product_records").fetchone()[0])

    def add_note(self, entity: str, local_id: str, note: str) -> None:
        """Append a line to a record's timeline."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO product_timeline (at, entity, local_id, note) VALUES (?, ?, ?, ?)",
                (dt.datetime.now(dt.timezone.utc).isoformat(), entity, local_id, note),
            )

    def timeline(self, entity: str, local_id: str) -> list[str]:
        """A record's timeline notes, oldest first."""
        rows = self._conn().execute(
            "SELECT note FROM product_timeline WHERE entity = ? AND local_id = ? ORDER BY seq",
            (entity, local_id),
        )
        return [note for (note,) in rows]


class ProductSource:
    """What the engine pushes: the product's records (``RecordSource``)."""

    def __init__(self, db: ProductDB) -> None:
        self._db = db

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity``."""
        return self._db.records(entity) if entity in LOCAL_RECORD_TYPES else []

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids."""
        return self._db.get(entity, local_ids) if entity in LOCAL_RECORD_TYPES else []


class ProductSink:
    """What a pull hands the product (``ChangeSink``).

    - ``PAID``: the invoice takes QBO's balance and its timeline says
      "Payment confirmed via QuickBooks";
    - ``UPDATED`` / ``VOIDED``: the fields QBO owns (``change.fields``) are copied;
    - ``DELETED``: the record is flagged deleted;
    - ``CREATED`` (made in QBO, unknown here): not imported by this example.
    """

    def __init__(self, db: ProductDB) -> None:
        self._db = db

    def apply(self, changes: Sequence[Change]) -> Mapping[str, str]:
        """Apply one chunk of changes; links nothing new."""
        for change in changes:
            if change.kind is ChangeKind.CREATED or change.local_id is None:
                continue
            found = self._db.get(change.entity, [change.local_id])
            if not found:
                continue
            current = found[0]
            if change.kind is ChangeKind.PAID and change.payment is not None:
                paid = change.payment
                self._db.save([change.apply_to(current)])  # QBO's balance
                self._db.add_note(change.entity, current.id,
                                  f"{paid.note}: {paid.amount:,.2f} received, "
                                  f"balance {paid.balance or 0:,.2f}")
            elif change.kind is ChangeKind.DELETED:
                self._db.save([attrs.evolve(current, deleted=True)])
            else:  # UPDATED / VOIDED: only change.fields, the ones QBO owns
                updated = change.apply_to(current)
                if updated != current:
                    self._db.save([updated])
        return {}
