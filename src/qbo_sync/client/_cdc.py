"""Change data capture: request planning and response merging (pure).

``GET cdc?entities=A,B&changedSince=T`` returns, per entity, every object
changed since ``T`` (full payloads, ordered by last-updated time, deleted
ones as ``{"status": "Deleted", "Id": ...}`` after the active ones), but at
most 1,000 objects per entity. QBO's CDC has a lower time bound only (there
is no ``changedUntil``), so a capped window cannot be cut into an earlier and
a later half; it is split where the answer stopped instead: the entity is
asked again, alone, from the newest ``LastUpdatedTime`` it returned, and the
answers are merged by ``Id`` (the newest version wins, a deletion beats an
earlier version). That repeats until a window comes back under the cap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from qbo_sync.client._query import format_datetime
from qbo_sync.client._types import Deletion, is_deleted, parse_qbo_datetime
from qbo_sync.errors import PayloadError, QBOError, ValidationError

__all__ = [
    "CDC_CAP",
    "CDC_UNSUPPORTED",
    "CdcAccumulator",
    "CdcResult",
    "cdc_params",
    "check_cdc_request",
    "parse_cdc_response",
    "split_point",
]

#: Objects per entity in one CDC answer.
CDC_CAP = 1000
#: Entities QBO's CDC does not serve.
CDC_UNSUPPORTED = frozenset({"JournalCode", "TimeActivity", "TaxAgency", "TaxCode", "TaxRate"})


def check_cdc_request(
    entities: Iterable[object],
    changed_since: object,
    *,
    now: dt.datetime,
    max_lookback: dt.timedelta | None,
) -> tuple[str, ...]:
    """Validate a CDC call before anything is sent.

    Returns:
        The entity names, de-duplicated, in the order given.

    Raises:
        ValidationError: For no entities, an entity CDC does not serve, a
            naive ``changed_since``, or one older than ``max_lookback``.
    """
    names: list[str] = []
    for name in entities:
        if not isinstance(name, str) or not name.isalnum():
            raise ValidationError(f"cdc: invalid entity name {name!r}")
        if name in CDC_UNSUPPORTED:
            raise ValidationError(
                f"cdc: QBO's change data capture does not serve {name}; query it instead"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise ValidationError("cdc: give at least one entity name")
    if not isinstance(changed_since, dt.datetime):
        raise ValidationError(f"cdc: changed_since must be a datetime, got {changed_since!r}")
    if changed_since.tzinfo is None or changed_since.utcoffset() is None:
        raise ValidationError(
            "cdc: changed_since has no time zone; pass an aware datetime "
            "(e.g. datetime.now(timezone.utc) - timedelta(hours=1))"
        )
    if max_lookback is not None and changed_since < now - max_lookback:
        raise ValidationError(
            f"cdc: changed_since {format_datetime(changed_since)} is more than "
            f"{max_lookback.days} days ago; QBO's change data capture looks back at most "
            "30 days, so run a full query for older changes (or raise cdc_max_lookback)"
        )
    return tuple(names)


def cdc_params(entities: Sequence[str], changed_since: dt.datetime) -> list[tuple[str, str]]:
    """The query parameters of one CDC request."""
    return [("entities", ",".join(entities)), ("changedSince", format_datetime(changed_since))]


def parse_cdc_response(data: object) -> dict[str, list[Mapping[str, Any]]]:
    """Read ``{"CDCResponse": [{"QueryResponse": [{"<Entity>": [...]}, ...]}]}``.

    Returns:
        Raw wire objects per entity name (deletion markers included).

    Raises:
        PayloadError: When the body does not have the CDC shape.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("CDCResponse"), list):
        raise PayloadError("CDC response has no CDCResponse list", path="CDCResponse")
    out: dict[str, list[Mapping[str, Any]]] = {}
    for block in data["CDCResponse"]:
        if not isinstance(block, Mapping):
            raise PayloadError("CDCResponse: expected objects", path="CDCResponse")
        responses = block.get("QueryResponse", [])
        if isinstance(responses, Mapping):
            responses = [responses]
        if not isinstance(responses, list):
            raise PayloadError("CDCResponse.QueryResponse: expected a list", path="QueryResponse")
        for response in responses:
            if not isinstance(response, Mapping):
                continue
            for key, value in response.items():
                if isinstance(value, list):
                    rows = [r for r in value if isinstance(r, Mapping)]
                    out.setdefault(key, []).extend(rows)
    return out


def _updated(row: Mapping[str, Any], entity: str) -> dt.datetime | None:
    meta = row.get("MetaData")
    if not isinstance(meta, Mapping):
        return None
    return parse_qbo_datetime(
        meta.get("LastUpdatedTime"), where=f"{entity}.MetaData.LastUpdatedTime"
    )


def split_point(
    entity: str, since: dt.datetime, rows: Sequence[Mapping[str, Any]], *, cap: int = CDC_CAP
) -> dt.datetime | None:
    """Where to re-ask for ``entity`` after one answer, or ``None`` if it was complete.

    Args:
        entity: The entity name.
        since: The ``changedSince`` that answer was for.
        rows: The objects returned for the entity.
        cap: QBO's per-entity cap (1000).

    Returns:
        ``None`` when fewer than ``cap`` objects came back; otherwise the newest
        ``LastUpdatedTime`` returned, from which the window continues.

    Raises:
        QBOError: When the window cannot advance (``cap`` or more objects
            share one timestamp, or none carries a timestamp), rather than
            silently missing changes.
    """
    if len(rows) < cap:
        return None
    stamps = [t for t in (_updated(r, entity) for r in rows) if t is not None]
    newest = max(stamps, default=None)
    if newest is None or newest <= since:
        raise QBOError(
            f"cdc: {entity} returned {len(rows)} objects (QBO's cap) all changed at "
            f"{format_datetime(since)}; the window cannot be split further, so run a "
            "full query for this entity"
        )
    return newest


@attrs.frozen
class CdcResult:
    """What changed, per entity, and what was deleted.

    Attributes:
        changed: Per entity name, the newest version of each changed object
            (model entities), in the order QBO returned them.
        deleted: Objects QBO reports deleted in the window.
        next_changed_since: The server time of the first answer: pass it as
            the next run's ``changed_since`` (anything changed later is in
            the next run; an overlap only repeats objects).
        capped: Entities whose window reached QBO's cap and was split.
        intuit_tids: One per CDC request sent.
    """

    changed: Mapping[str, tuple[Any, ...]]
    deleted: tuple[Deletion, ...]
    next_changed_since: dt.datetime | None
    capped: frozenset[str] = frozenset()
    intuit_tids: tuple[str | None, ...] = ()

    @property
    def requests(self) -> int:
        """How many CDC requests were sent."""
        return len(self.intuit_tids)

    def __len__(self) -> int:
        return sum(len(v) for v in self.changed.values()) + len(self.deleted)


class CdcAccumulator:
    """Merges CDC answers by entity and ``Id`` (newest wins, deletion beats older)."""

    def __init__(self, entities: Sequence[str]) -> None:
        self._rows: dict[str, dict[str, tuple[dt.datetime | None, Mapping[str, Any], str | None]]]
        self._rows = {e: {} for e in entities}

    def add(self, entity: str, rows: Iterable[Mapping[str, Any]], intuit_tid: str | None) -> None:
        """Merge one answer's rows for ``entity``."""
        bucket = self._rows.setdefault(entity, {})
        for row in rows:
            raw_id = row.get("Id")
            if raw_id is None:
                raise PayloadError(f"cdc: a {entity} without an Id", entity=entity, path="Id")
            key = str(raw_id)
            stamp = _updated(row, entity)
            old = bucket.get(key)
            if old is not None and old[0] is not None and stamp is not None and stamp < old[0]:
                continue
            bucket.pop(key, None)
            bucket[key] = (stamp, row, intuit_tid)

    def result(
        self,
        decode: Any,
        *,
        next_changed_since: dt.datetime | None,
        capped: Iterable[str],
        intuit_tids: Sequence[str | None],
    ) -> CdcResult:
        """Build the :class:`CdcResult`, decoding active objects with ``decode(entity, row)``."""
        changed: dict[str, tuple[Any, ...]] = {}
        deleted: list[Deletion] = []
        for entity, bucket in self._rows.items():
            active: list[Any] = []
            for _stamp, row, tid in bucket.values():
                if is_deleted(row):
                    deleted.append(Deletion.from_wire(entity, row, intuit_tid=tid))
                else:
                    active.append(decode(entity, row))
            changed[entity] = tuple(active)
        return CdcResult(
            changed=changed,
            deleted=tuple(deleted),
            next_changed_since=next_changed_since,
            capped=frozenset(capped),
            intuit_tids=tuple(intuit_tids),
        )
