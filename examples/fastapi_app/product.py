"""The product's side: its own records, and the sink that takes what QuickBooks changed.

A real product keeps customers, items, invoices and payments in its own
database (an ORM, PostgreSQL ...). This example keeps them in memory, seeded
with :func:`qbo_sync.testing.sample_book`, behind one lock. Two classes are
all qbo_sync needs from it:

- :class:`ProductDB` is the engine's :class:`~qbo_sync.sync.RecordSource`
  (``records(entity)`` and ``get(entity, ids)``): what a push sends;
- :class:`ProductSink` is the :class:`~qbo_sync.sync.ChangeSink`: what a pull
  (or a webhook) hands back. A payment recorded in QuickBooks marks the local
  invoice paid and writes "Payment confirmed via QuickBooks" on its timeline.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from qbo_sync.mapping import LOCAL_RECORD_TYPES, LocalInvoice
from qbo_sync.sync import Change, ChangeKind
from qbo_sync.testing import SampleBook, sample_book

__all__ = ["ProductDB", "ProductSink", "TimelineEntry"]

#: The QBO entity of each of the product's record classes.
_ENTITY_OF = {cls: entity for entity, cls in LOCAL_RECORD_TYPES.items()}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One line on a record's page in the product ("Payment confirmed via QuickBooks")."""

    at: dt.datetime
    entity: str
    local_id: str
    note: str
    amount: Decimal | None = None


class ProductDB:
    """The product's records, in memory; thread-safe.

    Args:
        records: The initial records (the bundled local record classes).
    """

    def __init__(self, records: Iterable[Any] = ()) -> None:
        self._lock = threading.RLock()
        self._records: dict[tuple[str, str], Any] = {}
        self._timeline: list[TimelineEntry] = []
        self.save(records)

    @classmethod
    def from_sample_book(cls, book: SampleBook | None = None) -> ProductDB:
        """A product holding a sample book (25 customers, 5 items, 40 invoices ...)."""
        return cls((book or sample_book()).records())

    # -- RecordSource: what the engine pushes -----------------------------------------

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity`` (a QBO entity name), oldest first."""
        with self._lock:
            return [r for (e, _), r in self._records.items() if e == entity]

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (missing ids left out)."""
        with self._lock:
            found = (self._records.get((entity, i)) for i in local_ids)
            return [r for r in found if r is not None]

    # -- the product's own reads and writes --------------------------------------------

    def record(self, entity: str, local_id: str) -> Any:
        """One record, or ``None``."""
        with self._lock:
            return self._records.get((entity, local_id))

    def invoice(self, local_id: str) -> LocalInvoice | None:
        """One invoice, or ``None``."""
        found = self.record("Invoice", local_id)
        return found if isinstance(found, LocalInvoice) else None

    def counts(self) -> dict[str, int]:
        """Records per entity."""
        with self._lock:
            counted: dict[str, int] = {}
            for entity, _ in self._records:
                counted[entity] = counted.get(entity, 0) + 1
            return counted

    def save(self, records: Iterable[Any], timeline: Iterable[TimelineEntry] = ()) -> None:
        """Insert or replace records and append timeline lines, all at once."""
        with self._lock:
            for record in records:
                self._records[_ENTITY_OF[type(record)], record.id] = record
            self._timeline.extend(timeline)

    def timeline(self, local_id: str | None = None, *, limit: int = 50) -> list[TimelineEntry]:
        """Timeline lines, newest first (of one record when ``local_id`` is given)."""
        with self._lock:
            lines = [t for t in self._timeline if local_id is None or t.local_id == local_id]
        return lines[::-1][:limit]


def _field_names(record: Any) -> set[str]:
    return {a.name for a in attrs.fields(type(record))}


class ProductSink:
    """Applies pulled changes to :class:`ProductDB`, one chunk at a time.

    - ``CREATED``: something made in QuickBooks is saved under a new local id,
      which the engine links (so the next push skips it);
    - ``PAID``: the invoice takes the balance QuickBooks computed and its
      timeline gets the payment's note, "Payment confirmed via QuickBooks";
    - ``UPDATED``: only ``change.fields`` are copied (the fields QuickBooks
      owns or computes, such as an invoice's ``total`` and ``balance``);
    - ``VOIDED`` / ``DELETED``: the record is flagged.

    Args:
        db: The product's records.
        clock: The current time, for timeline lines.
    """

    def __init__(self, db: ProductDB, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._db = db
        self._now = clock or _utcnow

    def apply(self, changes: Sequence[Change]) -> Mapping[str, str]:
        """Store a chunk of changes at once; returns the new local ids by QBO id."""
        new_ids: dict[str, str] = {}
        pending: dict[tuple[str, str], Any] = {}
        timeline: list[TimelineEntry] = []
        for change in changes:
            if change.kind is ChangeKind.CREATED:
                if change.record is not None:
                    local_id = f"{change.entity.lower()}-qbo-{change.qbo_id}"
                    pending[change.entity, local_id] = attrs.evolve(change.record, id=local_id)
                    new_ids[change.qbo_id] = local_id
                continue
            key = (change.entity, change.local_id or "")
            current = pending.get(key) or self._db.record(*key)
            if current is None:
                continue
            if change.kind is ChangeKind.PAID and change.payment is not None:
                paid = change.payment
                pending[key] = change.apply_to(current)  # QuickBooks' balance
                timeline.append(TimelineEntry(
                    at=self._now(), entity=change.entity, local_id=current.id,
                    note=paid.note, amount=paid.amount,
                ))
            elif change.kind in (ChangeKind.VOIDED, ChangeKind.DELETED):
                flag = "voided" if change.kind is ChangeKind.VOIDED else "deleted"
                if flag in _field_names(current):
                    pending[key] = attrs.evolve(current, **{flag: True})
            else:  # UPDATED: only change.fields, the ones QuickBooks owns
                updated = change.apply_to(current)
                if updated != current:
                    pending[key] = updated
        self._db.save(pending.values(), timeline)
        return new_ids
