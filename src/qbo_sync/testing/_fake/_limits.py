"""Per-realm request limits, as QBO enforces them (facts sheet 3.1).

Sliding 60-second windows on the fake's clock (so virtual time drives them):
500 requests a minute, 40 batch requests a minute, and at most 10 requests in
flight per realm. A request over a limit is answered 429 with the real
ThrottleExceeded fault; it does not count against the minute budget.
"""

from __future__ import annotations

import threading
from collections import deque

import attrs

from qbo_sync.testing._fake._clock import Clock

__all__ = ["LimitConfig", "RealmLimiter"]

WINDOW_SECONDS = 60.0


@attrs.frozen(kw_only=True)
class LimitConfig:
    """The per-realm budget the fake enforces.

    Attributes:
        enabled: Turn every limit off with ``False``.
        per_minute: Requests per realm per sliding minute (batch included).
        batch_per_minute: Batch requests per realm per sliding minute.
        max_in_flight: Concurrent requests per realm.
    """

    enabled: bool = True
    per_minute: int = 500
    batch_per_minute: int = 40
    max_in_flight: int = 10


class RealmLimiter:
    """Counts requests per realm and says when one must be throttled. Thread-safe."""

    def __init__(self, *, clock: Clock, config: LimitConfig) -> None:
        self._clock = clock
        self.config = config
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}
        self._batches: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}

    def try_acquire(self, realm_id: str, *, batch: bool) -> bool:
        """Admit a request (and count it), or return False if it must get a 429.

        A True answer must be paired with :meth:`release` when the request ends.
        """
        if not self.config.enabled:
            return True
        now = self._clock.monotonic()
        with self._lock:
            recent = self._trim(self._recent, realm_id, now)
            batches = self._trim(self._batches, realm_id, now)
            in_flight = self._in_flight.get(realm_id, 0)
            if in_flight >= self.config.max_in_flight:
                return False
            if len(recent) >= self.config.per_minute:
                return False
            if batch and len(batches) >= self.config.batch_per_minute:
                return False
            recent.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm_id] = in_flight + 1
            return True

    def release(self, realm_id: str) -> None:
        """End a request admitted by :meth:`try_acquire`."""
        # Not skipped when limits are off: they may have been turned off (or on)
        # while the request ran, and a count left behind would throttle forever.
        with self._lock:
            count = self._in_flight.get(realm_id, 0)
            if count:
                self._in_flight[realm_id] = count - 1

    def in_flight(self, realm_id: str) -> int:
        """Requests currently running for ``realm_id``."""
        with self._lock:
            return self._in_flight.get(realm_id, 0)

    @staticmethod
    def _trim(table: dict[str, deque[float]], realm_id: str, now: float) -> deque[float]:
        window = table.setdefault(realm_id, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return window
