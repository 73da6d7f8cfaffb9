"""Shared, pure helpers of the backends: times, JSON parts of records, clocks."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, cast

import attrs

from qbo_sync import _json
from qbo_sync.errors import ConflictError, LockTimeoutError
from qbo_sync.storage._records import (
    EntityCounts,
    EntitySettings,
    LinkCounts,
    LinkStatus,
    RecordFailure,
    Settings,
)

__all__ = [
    "Clock",
    "check_token_version",
    "chunked",
    "counts_by_entity",
    "counts_from_json",
    "counts_to_json",
    "failures_from_json",
    "failures_to_json",
    "from_micros",
    "settings_from_json",
    "settings_to_json",
    "system_clock",
    "to_micros",
    "to_utc",
    "wait_for_lock",
]

Clock = Callable[[], dt.datetime]
_R = TypeVar("_R", bound=attrs.AttrsInstance)
_T = TypeVar("_T")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def system_clock() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def to_utc(record: _R) -> _R:
    """The same attrs record with every datetime field converted to UTC."""
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(record)):
        value = getattr(record, field.name)
        if isinstance(value, dt.datetime) and value.tzinfo is not dt.timezone.utc:
            changes[field.name] = value.astimezone(dt.timezone.utc)
    return cast("_R", attrs.evolve(cast(Any, record), **changes)) if changes else record


def to_micros(value: dt.datetime | None) -> int | None:
    """An aware datetime as integer microseconds since the epoch (exact, sortable)."""
    if value is None:
        return None
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> dt.datetime | None:
    """Inverse of :func:`to_micros`, in UTC."""
    if value is None:
        return None
    return _EPOCH + dt.timedelta(microseconds=value)


def chunked(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Split ``items`` into lists of at most ``size`` (SQL parameter limits)."""
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def counts_to_json(counts: Mapping[str, EntityCounts]) -> str:
    """Per-entity run counts as compact JSON text."""
    return _json.dumps({name: attrs.asdict(c) for name, c in sorted(counts.items())}).decode()


def counts_from_json(text: str) -> dict[str, EntityCounts]:
    """Inverse of :func:`counts_to_json`."""
    data: dict[str, dict[str, int]] = _json.loads(text)
    return {name: EntityCounts(**values) for name, values in data.items()}


def failures_to_json(failures: Iterable[RecordFailure]) -> str:
    """Run failures as compact JSON text (``None`` fields omitted)."""
    rows = [
        {key: value for key, value in attrs.asdict(f).items() if value is not None}
        for f in failures
    ]
    return _json.dumps(rows).decode()


def failures_from_json(text: str) -> tuple[RecordFailure, ...]:
    """Inverse of :func:`failures_to_json`."""
    rows: list[dict[str, str]] = _json.loads(text)
    return tuple(RecordFailure(**row) for row in rows)


def settings_to_json(settings: Settings) -> str:
    """Settings as compact JSON text."""
    data = {
        "account_mapping": dict(sorted(settings.account_mapping.items())),
        "tax_code_mapping": dict(sorted(settings.tax_code_mapping.items())),
        "item_mapping": dict(sorted(settings.item_mapping.items())),
        "entities": {
            name: {"enabled": es.enabled, "direction": es.direction.value}
            for name, es in sorted(settings.entities.items())
        },
        "auto_sync": settings.auto_sync,
        "sync_from": settings.sync_from.isoformat() if settings.sync_from else None,
        "expense_entity": settings.expense_entity,
        "tax_calculation": settings.tax_calculation,
        "automated_sales_tax": settings.automated_sales_tax,
    }
    return _json.dumps(data).decode()


def settings_from_json(text: str) -> Settings:
    """Inverse of :func:`settings_to_json`."""
    data: dict[str, Any] = _json.loads(text)
    sync_from = data.get("sync_from")
    return Settings(
        account_mapping=data.get("account_mapping", {}),
        tax_code_mapping=data.get("tax_code_mapping", {}),
        item_mapping=data.get("item_mapping", {}),
        entities={
            name: EntitySettings(enabled=es["enabled"], direction=es["direction"])
            for name, es in data.get("entities", {}).items()
        },
        auto_sync=bool(data.get("auto_sync", False)),
        sync_from=dt.date.fromisoformat(sync_from) if sync_from else None,
        expense_entity=data.get("expense_entity"),
        tax_calculation=data.get("tax_calculation"),
        automated_sales_tax=data.get("automated_sales_tax"),
    )


def wait_for_lock(
    acquire: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    sleep: Callable[[float], None],
) -> None:
    """Call ``acquire`` until it returns ``True``, backing off up to 0.1 s.

    Raises:
        LockTimeoutError: ``timeout`` seconds passed first (one attempt is
            always made, so ``timeout=0`` means "try once").
    """
    # Time waited is the larger of the real clock and the sleeps asked for, so
    # an injected (virtual) sleep still reaches the timeout instead of spinning.
    started = time.monotonic()
    slept = 0.0
    pause = 0.005
    while not acquire():
        remaining = max(timeout, 0.0) - max(time.monotonic() - started, slept)
        if remaining <= 0:
            raise LockTimeoutError(f"{what} not acquired within {timeout} s")
        step = min(pause, remaining)
        sleep(step)
        slept += step
        pause = min(pause * 2, 0.1)


def check_token_version(realm_id: str, current: int, expected: int | None) -> None:
    """The compare of a token compare-and-swap.

    Raises:
        ConflictError: ``expected`` is set and differs from ``current``.
    """
    if expected is not None and expected != current:
        raise ConflictError(
            f"tokens of realm {realm_id} are at version {current}, expected {expected}"
        )


def counts_by_entity(found: Iterable[tuple[str, str, int]]) -> dict[str, LinkCounts]:
    """``(entity_type, status, count)`` tuples as :class:`LinkCounts` per entity type."""
    tally: dict[str, dict[str, int]] = {}
    for entity_type, status, count in found:
        per = tally.setdefault(entity_type, {})
        per[str(status)] = per.get(str(status), 0) + int(count)
    return {
        name: LinkCounts(
            synced=per.get(LinkStatus.SYNCED.value, 0),
            pending=per.get(LinkStatus.PENDING.value, 0),
            failed=per.get(LinkStatus.FAILED.value, 0),
        )
        for name, per in sorted(tally.items())
    }
