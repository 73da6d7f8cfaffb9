"""The demo's product: its own records in the SQLite file, and the sink that takes pulls.

A product keeps its customers, items, invoices, credit memos and payments in
its own database. The demo's product keeps them beside qbo_sync's tables, in
the same SQLite file, in a table it owns (``qbo_sync`` never reads it):

- ``demo_records``: one row per record, ``(entity, local_id, data)``, with
  the canonical local record (:mod:`qbo_sync.mapping`) as JSON in ``data``;
- ``demo_timeline``: what an invoice's page shows ("Payment confirmed via
  QuickBooks");
- ``demo_meta``: which fake company the records belong to, and the digest of
  the fake QBO's saved state the last complete run left.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from qbo_sync.mapping import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict
from qbo_sync.sync import Change, ChangeKind

__all__ = ["ENTITY_OF", "DemoSink", "ProductDB", "ProductSource", "TimelineEntry",
           "table_entity"]

#: The entity of each local record class (``"Expense"`` for purchases and bills).
ENTITY_OF: dict[type[Any], str] = {cls: entity for entity, cls in LOCAL_RECORD_TYPES.items()}
#: QBO entities whose records the product keeps under another name.
_TABLE_ENTITY = {"Purchase": "Expense", "Bill": "Expense"}


def table_entity(entity: str) -> str:
    """The product's entity name for a QBO entity (purchases and bills are expenses)."""
    return _TABLE_ENTITY.get(entity, entity)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS demo_records (
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (entity, local_id)
);
CREATE TABLE IF NOT EXISTS demo_timeline (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    entity   TEXT NOT NULL,
    local_id TEXT NOT NULL,
    note     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS demo_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One line of a record's timeline in the product."""

    at: dt.datetime
    entity: str
    local_id: str
    note: str


class ProductDB:
    """The product's records, read once and written through to the SQLite file.

    Args:
        path: The demo's SQLite file (the store's file).
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(str(path), timeout=30.0)
        with self._conn:
            self._conn.executescript(_SCHEMA)
        self._records: dict[tuple[str, str], Any] = {}
        for entity, local_id, data in self._conn.execute(
            "SELECT entity, local_id, data FROM demo_records ORDER BY rowid"
        ):
            if entity in LOCAL_RECORD_TYPES:
                self._records[entity, local_id] = record_from_dict(entity, json.loads(data))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    # -- meta --------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """Every ``demo_meta`` value by key."""
        return dict(self._conn.execute("SELECT key, value FROM demo_meta").fetchall())

    def set_meta(self, **values: str | None) -> None:
        """Save (or, for ``None``, remove) ``demo_meta`` values."""
        with self._conn:
            for key, value in values.items():
                if value is None:
                    self._conn.execute("DELETE FROM demo_meta WHERE key = ?", (key,))
                else:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO demo_meta (key, value) VALUES (?, ?)", (key, value)
                    )

    def reset(self) -> None:
        """Forget every record, timeline line and meta value (a new book follows)."""
        with self._conn:
            for table in ("demo_records", "demo_timeline", "demo_meta"):
                self._conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        self._records.clear()

    # -- records -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> list[Any]:
        """Every record, in the order they were first saved."""
        return list(self._records.values())

    def counts(self) -> dict[str, int]:
        """Records per entity, in push order (entities with none left out)."""
        counted = dict.fromkeys(LOCAL_RECORD_TYPES, 0)
        for entity, _ in self._records:
            counted[entity] += 1
        return {entity: n for entity, n in counted.items() if n}

    def get(self, entity: str, local_id: str) -> Any:
        """One record, or ``None`` (``"Purchase"`` and ``"Bill"`` name expenses)."""
        return self._records.get((table_entity(entity), local_id))

    # -- RecordSource: where the engine reads the product's records --------------------

    def records_of(self, entity: str) -> list[Any]:
        """Every record of ``entity`` (``RecordSource.records``; every expense for purchases)."""
        entity = table_entity(entity)
        return [r for (e, _), r in self._records.items() if e == entity]

    def get_many(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (``RecordSource.get``)."""
        entity = table_entity(entity)
        found = (self._records.get((entity, i)) for i in local_ids)
        return [r for r in found if r is not None]

    def save(self, records: Iterable[Any], timeline: Iterable[TimelineEntry] = ()) -> None:
        """Insert or replace records and append timeline lines, in one transaction."""
        rows = []
        for record in records:
            entity = ENTITY_OF[type(record)]
            self._records[entity, record.id] = record
            data = json.dumps(record_to_dict(record), separators=(",", ":"))
            rows.append((entity, record.id, data))
        with self._conn:
            self._conn.executemany(
                "INSERT INTO demo_records (entity, local_id, data) VALUES (?, ?, ?) "
                "ON CONFLICT (entity, local_id) DO UPDATE SET data = excluded.data",
                rows,
            )
            self._conn.executemany(
                "INSERT INTO demo_timeline (at, entity, local_id, note) VALUES (?, ?, ?, ?)",
                [(e.at.isoformat(), e.entity, e.local_id, e.note) for e in timeline],
            )

    # -- timeline ----------------------------------------------------------------------

    def timeline(self, entity: str, local_id: str) -> list[TimelineEntry]:
        """The timeline of one record, oldest first."""
        rows = self._conn.execute(
            "SELECT at, entity, local_id, note FROM demo_timeline "
            "WHERE entity = ? AND local_id = ? ORDER BY seq",
            (entity, local_id),
        ).fetchall()
        return [
            TimelineEntry(at=dt.datetime.fromisoformat(at), entity=e, local_id=i, note=note)
            for at, e, i, note in rows
        ]


class ProductSource:
    """The product's :class:`~qbo_sync.sync.RecordSource`: the engine reads ``ProductDB``."""

    def __init__(self, db: ProductDB) -> None:
        self._db = db

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity``."""
        return self._db.records_of(entity)

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (missing ids left out)."""
        return self._db.get_many(entity, local_ids)


class DemoSink:
    """The product's :class:`~qbo_sync.sync.ChangeSink`: pulled changes land in ``ProductDB``.

    - ``CREATED``: the record is saved under a new local id and linked;
    - ``PAID``: the invoice takes the balance QBO computed, and its timeline
      gets the payment's note ("Payment confirmed via QuickBooks");
    - ``UPDATED`` / ``VOIDED``: only ``change.fields`` are copied (the
      fields QBO owns or computes);
    - ``DELETED``: the record is flagged deleted.

    Args:
        db: The product's records.
        now: The current time, for timeline lines.
    """

    def __init__(self, db: ProductDB, *, now: Any) -> None:
        self._db = db
        self._now = now
        self.counts: dict[str, int] = {}
        self.paid: list[Change] = []

    def apply(self, changes: Sequence[Change]) -> Mapping[str, str]:
        """Store a chunk of changes in one transaction; returns new local ids by QBO id."""
        new_ids: dict[str, str] = {}
        pending: dict[tuple[str, str], Any] = {}
        timeline: list[TimelineEntry] = []
        for change in changes:
            self.counts[change.kind.value] = self.counts.get(change.kind.value, 0) + 1
            if change.kind is ChangeKind.CREATED and change.record is not None:
                local_id = f"{change.entity.lower()}-qbo-{change.qbo_id}"
                pending[table_entity(change.entity), local_id] = attrs.evolve(change.record,
                                                                              id=local_id)
                new_ids[change.qbo_id] = local_id
                continue
            key = (table_entity(change.entity), change.local_id or "")
            current = pending.get(key) or self._db.get(*key)
            if current is None:
                continue
            updated = change.apply_to(current)
            if change.kind is ChangeKind.PAID and change.payment is not None:
                paid = change.payment
                pending[key] = updated
                when = f" on {paid.date.isoformat()}" if paid.date else ""
                timeline.append(TimelineEntry(
                    at=self._now(), entity=change.entity, local_id=current.id,
                    note=f"{paid.note}: {paid.amount:,.2f} received{when}, "
                         f"balance {paid.balance or 0:,.2f}",
                ))
                self.paid.append(change)
            elif change.kind is ChangeKind.DELETED:
                pending[key] = attrs.evolve(current, deleted=True)
            elif updated != current:
                pending[key] = updated
        self._db.save(pending.values(), timeline)
        return new_ids
