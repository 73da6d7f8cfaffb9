"""``MemorySource``: the product's records held in memory, as a :class:`RecordSource`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from qbo_sync.mapping import Mapper, default_mappers

__all__ = ["MemorySource"]


class MemorySource:
    """Records by entity and id, for the demo, tests and small apps.

    Args:
        records: Initial records of any mapped type.
        mappers: Routes records to entities (default: the bundled mappers).

    Raises:
        TypeError: A record of a type no mapper takes.
    """

    def __init__(
        self, records: Iterable[Any] = (), *, mappers: Sequence[Mapper[Any, Any]] | None = None
    ) -> None:
        self._mappers = list(mappers) if mappers is not None else default_mappers()
        # Mappers that take the same record type (purchases and bills both take
        # LocalExpense) share one bucket: the engine decides the entity.
        first: dict[type[Any], str] = {}
        for m in self._mappers:
            first.setdefault(m.record_type, m.entity)
        self._bucket = {m.entity: first[m.record_type] for m in self._mappers}
        self._records: dict[str, dict[str, Any]] = {e: {} for e in set(first.values())}
        self.put(*records)

    def put(self, *records: Any) -> None:
        """Add or replace records (by entity and id)."""
        for record in records:
            mapper = next((m for m in self._mappers if isinstance(record, m.record_type)), None)
            if mapper is None:
                raise TypeError(f"no mapper takes records of type {type(record).__qualname__}")
            self._records[self._bucket[mapper.entity]][mapper.local_id(record)] = record

    def records(self, entity: str) -> list[Any]:
        """Every record of ``entity``, in the order first added.

        For ``"Purchase"`` and ``"Bill"``: every expense (the engine routes them).
        """
        return list(self._records.get(self._bucket.get(entity, entity), {}).values())

    def get(self, entity: str, local_ids: Sequence[str]) -> list[Any]:
        """The records of ``entity`` with these ids (missing ones left out)."""
        held = self._records.get(self._bucket.get(entity, entity), {})
        return [held[i] for i in local_ids if i in held]

    def __len__(self) -> int:
        return sum(len(v) for v in self._records.values())
