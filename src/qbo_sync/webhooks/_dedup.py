"""Recognise redelivered events so each is applied once.

Intuit retries a delivery it did not see acknowledged (10 s, 20 s, 30 s,
5 min ... then every 6 h), and a retry repeats the same events. A
:class:`Deduplicator` remembers the identities it has handed on.

The check is a claim, not a lookup: ``claim`` marks the event and says
whether it was new in one step, so two concurrent deliveries of the same
event cannot both win. When handing the events on fails, the handler calls
``release`` so Intuit's retry is applied instead of being dropped.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from qbo_sync.errors import ConfigurationError
from qbo_sync.webhooks._events import WebhookEvent

__all__ = ["Deduplicator", "MemoryDeduplicator"]


@runtime_checkable
class Deduplicator(Protocol):
    """Remembers which events were already handed on.

    Implement it over shared storage (a database table with a unique key, or
    Redis ``SET key NX EX ttl``) when several processes receive webhooks.
    """

    def claim(self, event: WebhookEvent) -> bool:
        """Mark ``event`` as seen.

        Returns:
            ``True`` if it had not been seen (the caller should apply it),
            ``False`` for a duplicate.
        """
        ...

    def release(self, event: WebhookEvent) -> None:
        """Forget a claimed event whose processing failed, so a redelivery is applied."""
        ...


class MemoryDeduplicator:
    """An in-process :class:`Deduplicator` with bounded memory.

    Identities are kept for ``ttl_seconds`` and at most ``max_events`` of
    them; beyond that the oldest are forgotten first. Thread-safe. Only
    de-duplicates within one process: use a storage-backed implementation
    when deliveries can reach several processes.

    Args:
        max_events: How many identities to remember at most.
        ttl_seconds: How long to remember one. The default (48 h) covers
            Intuit's retry schedule up to its 6-hourly phase.
        clock: Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        *,
        max_events: int = 50_000,
        ttl_seconds: float = 48 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_events < 1:
            raise ConfigurationError(
                f"max_events must be at least 1, got {max_events}",
                problems=[f"max_events: {max_events} < 1"],
            )
        if ttl_seconds <= 0:
            raise ConfigurationError(
                f"ttl_seconds must be positive, got {ttl_seconds}",
                problems=[f"ttl_seconds: {ttl_seconds} <= 0"],
            )
        self._max_events = max_events
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # key -> expiry; insertion order is expiry order because the TTL is
        # fixed and the clock monotonic, so expired keys sit at the front.
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._seen)

    def __repr__(self) -> str:
        return (
            f"MemoryDeduplicator(max_events={self._max_events}, "
            f"ttl_seconds={self._ttl}, remembered={len(self._seen)})"
        )

    def claim(self, event: WebhookEvent) -> bool:
        """Mark ``event`` as seen; ``True`` if it was new."""
        key = _key(event)
        with self._lock:
            now = self._clock()
            self._expire(now)
            if key in self._seen:
                return False
            self._seen[key] = now + self._ttl
            while len(self._seen) > self._max_events:
                self._seen.popitem(last=False)
            return True

    def release(self, event: WebhookEvent) -> None:
        """Forget ``event`` so that its redelivery is applied."""
        with self._lock:
            self._seen.pop(_key(event), None)

    def _expire(self, now: float) -> None:
        while self._seen:
            key, expiry = next(iter(self._seen.items()))
            if expiry > now:
                break
            del self._seen[key]


def _key(event: WebhookEvent) -> tuple[str, str]:
    # Scoped by realm: legacy ids already include it, and CloudEvents ids are
    # UUIDs, but a realm prefix costs nothing and rules out cross-company clashes.
    return (event.realm_id, event.event_id)
