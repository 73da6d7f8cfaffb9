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

``Pacer.slot`` blocks the calling thread, which an event loop must never do.
A pacer that can also *ask* without waiting implements
:class:`PollingPacer` (``try_acquire`` returns how long to wait instead of
sleeping; both bundled pacers do), and :func:`async_slot` drives it with
:func:`asyncio.sleep`. Pacers doing network I/O (``blocking_io = True``,
e.g. :class:`~qbo_sync.http.RedisPacer`) are asked from a worker thread
(:func:`asyncio.to_thread`); a pacer with only ``slot`` is entered in a
worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol, runtime_checkable

__all__ = ["Pacer", "PollingPacer", "RealmPacer", "async_slot"]


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


@runtime_checkable
class PollingPacer(Protocol):
    """A pacer that can be asked for a slot without waiting (for asyncio callers).

    A pacer doing network I/O in these methods sets a class attribute
    ``blocking_io = True`` so :func:`async_slot` calls them in a worker thread.
    """

    def try_acquire(self, realm_id: str, *, batch: bool = False) -> float:
        """Take a slot now if the budget allows (return 0), else return seconds to wait.

        Never sleeps; after a positive answer nothing is held, and the caller
        asks again once that time has passed.
        """
        ...

    def release(self, realm_id: str) -> None:
        """Give back a slot taken by :meth:`try_acquire`."""
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
        poll_interval: What :meth:`try_acquire` asks to wait when only the
            in-flight limit is full (seconds).
    """

    #: Its methods only touch memory, so asyncio callers use them inline.
    blocking_io: ClassVar[bool] = False

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
        poll_interval: float = 0.01,
    ) -> None:
        self.per_minute: int | None
        self.batch_per_minute: int | None
        self.per_second: int | None
        self.max_in_flight: int | None
        self.throttle_pause: float
        set_budget(self, per_minute=per_minute, batch_per_minute=batch_per_minute,
                   per_second=per_second, max_in_flight=max_in_flight,
                   throttle_pause=throttle_pause)
        if poll_interval <= 0:
            raise ValueError(f"RealmPacer: poll_interval must be > 0, got {poll_interval!r}")
        self.poll_interval = poll_interval
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

    def _take(self, realm: _Realm, batch: bool) -> tuple[float, float]:
        """Under the lock: (0, now) after taking a slot, else (seconds to wait, now)."""
        now = self._clock()
        delay = self._wait_needed(realm, now, batch)
        if delay <= 0:
            realm.minute.append(now)
            realm.second.append(now)
            if batch:
                realm.batches.append(now)
            realm.in_flight += 1
            return 0.0, now
        return delay, now

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
                delay, now = self._take(realm, batch)
                if delay <= 0:
                    return now
            self._sleep(delay)

    def try_acquire(self, realm_id: str, *, batch: bool = False) -> float:
        """Take a slot if the budget allows it now; never waits.

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.

        Returns:
            ``0.0`` when the slot was taken (pair with :meth:`release`), else
            the seconds to wait before asking again (at least ``poll_interval``
            while the in-flight limit is full).
        """
        with self._cond:
            realm = self._realms.setdefault(realm_id, _Realm())
            if self.max_in_flight is not None and realm.in_flight >= self.max_in_flight:
                # A window may hold the realm back longer than the next release will.
                return max(self.poll_interval, self._wait_needed(realm, self._clock(), batch))
            return self._take(realm, batch)[0]

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


async def _offloaded(fn: Callable[[], Any], undo: Callable[[Any], object]) -> Any:
    """Run blocking ``fn`` in a thread; if the caller is cancelled meanwhile, undo its result."""
    future = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The thread runs on and may still take a slot: give it back when it does.
        future.add_done_callback(
            lambda f: undo(f.result()) if not f.cancelled() and f.exception() is None else None
        )
        raise


@contextlib.asynccontextmanager
async def async_slot(
    pacer: Pacer,
    realm_id: str,
    *,
    batch: bool = False,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[None]:
    """Hold a request slot for ``realm_id`` without blocking the event loop.

    A :class:`PollingPacer` is asked with ``try_acquire`` and each wait is
    awaited with ``sleep``; when the pacer says ``blocking_io`` (Redis), each
    ask and the release run in a worker thread (:func:`asyncio.to_thread`).
    Any other :class:`Pacer` has its blocking ``slot()`` entered and left in
    a worker thread. A slot a thread took after the caller was cancelled is
    given back.

    Args:
        pacer: The realm's pacer.
        realm_id: The QBO company.
        batch: Whether this is a batch request.
        sleep: Awaited with each wait (inject a fake in tests).
    """
    if isinstance(pacer, PollingPacer):
        polling: PollingPacer = pacer
        offload = bool(getattr(pacer, "blocking_io", True))

        def ask() -> float:
            return polling.try_acquire(realm_id, batch=batch)

        def undo(wait: Any) -> None:
            if wait <= 0:
                polling.release(realm_id)

        while True:
            wait = await _offloaded(ask, undo) if offload else ask()
            if wait <= 0:
                break
            await sleep(wait)
        try:
            yield
        finally:
            if offload:
                await asyncio.shield(asyncio.to_thread(polling.release, realm_id))
            else:
                polling.release(realm_id)
        return
    manager = pacer.slot(realm_id, batch=batch)
    await _offloaded(manager.__enter__, lambda _: manager.__exit__(None, None, None))
    try:
        yield
    except BaseException as exc:
        if not await asyncio.to_thread(manager.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await asyncio.to_thread(manager.__exit__, None, None, None)
