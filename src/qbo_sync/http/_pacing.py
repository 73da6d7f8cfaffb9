"""Stay under QBO's per-realm request budget.

QBO allows, per realm, 500 requests a minute, 40 batch requests a minute
(a batch also counts as a request), and either 10 requests *in flight*
(Intuit's 2016 rule) or 10 requests *a second* (the current limits page):
the facts sheet marks this a CONFLICT, so :class:`RealmPacer` enforces both,
each configurable (``None`` turns a limit off). A caller over budget waits
rather than being refused.

:class:`Pacer` is the interface; :class:`RealmPacer` is the in-process
implementation. Several processes sharing one realm need a shared pacer
(for example on Redis) implementing the same protocol.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

__all__ = ["Pacer", "RealmPacer"]


@runtime_checkable
class Pacer(Protocol):
    """Admits requests to QBO within a per-realm budget."""

    def slot(self, realm_id: str, *, batch: bool = False) -> AbstractContextManager[None]:
        """Hold one request slot for ``realm_id`` while the block runs.

        Blocks until the request fits the budget. ``batch=True`` marks a
        batch request, which also counts against the batch budget.
        """
        ...

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        """QBO throttled ``realm_id``: hold every caller for that realm back."""
        ...


class _Realm:
    __slots__ = ("batches", "blocked_until", "in_flight", "minute", "second")

    def __init__(self) -> None:
        self.minute: deque[float] = deque()
        self.second: deque[float] = deque()
        self.batches: deque[float] = deque()
        self.in_flight = 0
        self.blocked_until = 0.0


def _prune(window: deque[float], now: float, span: float) -> None:
    while window and window[0] <= now - span:
        window.popleft()


def set_budget(
    pacer: object,
    *,
    per_minute: int | None,
    batch_per_minute: int | None,
    per_second: int | None,
    max_in_flight: int | None,
    throttle_pause: float,
) -> None:
    """Check a pacer's limits and set them on it (shared by every pacer).

    Raises:
        ValueError: Naming the pacer class and the bad limit.
    """
    who = type(pacer).__name__
    limits = {"per_minute": per_minute, "batch_per_minute": batch_per_minute,
              "per_second": per_second, "max_in_flight": max_in_flight}
    for name, value in limits.items():
        if value is not None and value < 1:
            raise ValueError(f"{who}: {name} must be >= 1 or None, got {value!r}")
        setattr(pacer, name, value)
    if throttle_pause < 0:
        raise ValueError(f"{who}: throttle_pause must be >= 0, got {throttle_pause!r}")
    setattr(pacer, "throttle_pause", throttle_pause)  # noqa: B010 - typed on the class


class RealmPacer:
    """In-process, thread-safe pacer with sliding windows per realm.

    Args:
        per_minute: Requests per realm in any 60 s window (QBO: 500).
        batch_per_minute: Batch requests per realm in any 60 s window (QBO: 40).
        per_second: Requests per realm in any 1 s window (QBO's current page:
            10/s); ``None`` disables it.
        max_in_flight: Concurrent requests per realm (QBO 2016: 10);
            ``None`` disables it.
        throttle_pause: How long :meth:`note_throttled` holds a realm back
            when QBO did not say (seconds).
        clock: Monotonic clock in seconds (inject a virtual one in tests).
        sleep: Sleeps for the given seconds (inject with the clock).
    """

    def __init__(
        self,
        *,
        per_minute: int | None = 500,
        batch_per_minute: int | None = 40,
        per_second: int | None = 10,
        max_in_flight: int | None = 10,
        throttle_pause: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute: int | None
        self.batch_per_minute: int | None
        self.per_second: int | None
        self.max_in_flight: int | None
        self.throttle_pause: float
        set_budget(self, per_minute=per_minute, batch_per_minute=batch_per_minute,
                   per_second=per_second, max_in_flight=max_in_flight,
                   throttle_pause=throttle_pause)
        self._clock = clock
        self._sleep = sleep
        self._realms: dict[str, _Realm] = {}
        # One lock for all realms: the critical sections are a few deque
        # operations; waiting for time happens outside it.
        self._cond = threading.Condition(threading.Lock())

    def __repr__(self) -> str:
        return (
            f"RealmPacer(per_minute={self.per_minute}, batch_per_minute={self.batch_per_minute}, "
            f"per_second={self.per_second}, max_in_flight={self.max_in_flight})"
        )

    def _wait_needed(self, realm: _Realm, now: float, batch: bool) -> float:
        """Seconds until a time window admits one more request (0 = now)."""
        _prune(realm.minute, now, 60.0)
        _prune(realm.second, now, 1.0)
        _prune(realm.batches, now, 60.0)
        waits = [realm.blocked_until - now]
        if self.per_minute is not None and len(realm.minute) >= self.per_minute:
            waits.append(realm.minute[-self.per_minute] + 60.0 - now)
        if self.per_second is not None and len(realm.second) >= self.per_second:
            waits.append(realm.second[-self.per_second] + 1.0 - now)
        if (
            batch
            and self.batch_per_minute is not None
            and len(realm.batches) >= self.batch_per_minute
        ):
            waits.append(realm.batches[-self.batch_per_minute] + 60.0 - now)
        return max(0.0, *waits)

    def acquire(self, realm_id: str, *, batch: bool = False) -> float:
        """Wait for a slot and take it; pair with :meth:`release`.

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.

        Returns:
            The clock time at which the slot was granted.
        """
        while True:
            with self._cond:
                realm = self._realms.setdefault(realm_id, _Realm())
                while self.max_in_flight is not None and realm.in_flight >= self.max_in_flight:
                    self._cond.wait()
                now = self._clock()
                delay = self._wait_needed(realm, now, batch)
                if delay <= 0:
                    realm.minute.append(now)
                    realm.second.append(now)
                    if batch:
                        realm.batches.append(now)
                    realm.in_flight += 1
                    return now
            self._sleep(delay)

    def release(self, realm_id: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._cond:
            realm = self._realms.get(realm_id)
            if realm is None or realm.in_flight <= 0:
                raise RuntimeError(f"RealmPacer.release({realm_id!r}) without acquire")
            realm.in_flight -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        """Hold a request slot for ``realm_id`` while the block runs.

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.
        """
        self.acquire(realm_id, batch=batch)
        try:
            yield
        finally:
            self.release(realm_id)

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        """Hold every new request for ``realm_id`` back after a throttle.

        Args:
            realm_id: The throttled company.
            retry_after: What QBO asked for, if it did; else ``throttle_pause``.
        """
        pause = self.throttle_pause if retry_after is None else max(0.0, retry_after)
        with self._cond:
            realm = self._realms.setdefault(realm_id, _Realm())
            realm.blocked_until = max(realm.blocked_until, self._clock() + pause)

    def in_flight(self, realm_id: str) -> int:
        """Requests currently holding a slot for ``realm_id``."""
        with self._cond:
            realm = self._realms.get(realm_id)
            return realm.in_flight if realm else 0
