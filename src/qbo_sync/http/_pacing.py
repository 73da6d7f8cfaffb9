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

**Counting on arrival.** QBO counts a request when it *arrives*; a pacer
only sees when a request's slot is taken (it is about to be sent) and
released (its response came back). Counting at send time is not enough:
a request sent early that arrives late shares a window with requests sent
a full window after it. So both pacers count a request in every rolling
window from the moment its slot is taken until that window's span has
passed after its slot was *released*. For a window of ``span`` seconds
and a ``limit``, a request is admitted at ``now`` only while::

    released after now - span  +  in flight  <  limit

(for the batch limit: batch requests released in the last minute plus
batch requests in flight). This is safe whatever the network does. Take
any window ``[T - span, T)`` at QBO and the requests that arrived in it:
each was sent before ``T`` and released at or after ``T - span`` (it
cannot be released before it arrived). When the last of them took its
slot, at some ``t < T``, every other one had taken its slot already and
was either still in flight or released at or after ``T - span``, which is
after ``t - span``: the pacer counted every one of them, and admitted the
last only while it counted fewer than ``limit``. So at most ``limit``
arrived in the window. With zero latency (release at the send time) this
is the plain sliding window, at the same throughput; latency stretches
each request's count by that much, so with responses taking ``L``
seconds a window admits about ``limit`` per ``span + L`` seconds (the
1-second window feels it most). The in-flight limit needs nothing more
(a request is in flight at QBO only while its slot is held). :func:`window_wait` is the rule;
:class:`~qbo_sync.http.RedisPacer`'s Lua script mirrors it line by line.

A slot's kind (batch or not) matters for the batch window, and
``release(realm_id)`` does not say it: each pacer remembers the kinds of
the slots it handed out, and when slots of both kinds are held it gives
back a plain one first. A batch may then count as in flight a little
longer than it was, never shorter, so the guess errs on the safe side.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol, runtime_checkable

from qbo_sync.errors import ConfigurationError

__all__ = ["Pacer", "PollingPacer", "RealmPacer", "async_slot", "window_wait"]


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
        """Give back a slot taken by :meth:`try_acquire` (its response came back)."""
        ...


class _Realm:
    """One realm's state: release times per window, slots held, throttle."""

    __slots__ = ("batches", "blocked_until", "in_flight", "in_flight_batches", "minute",
                 "second")

    def __init__(self) -> None:
        # Release times (oldest first) of the requests that completed within each span.
        self.minute: deque[float] = deque()
        self.second: deque[float] = deque()
        self.batches: deque[float] = deque()
        self.in_flight = 0
        self.in_flight_batches = 0
        self.blocked_until = 0.0


def _prune(window: deque[float], now: float, span: float) -> None:
    while window and window[0] <= now - span:
        window.popleft()


def window_wait(
    released: Sequence[float], in_flight: int, limit: int | None, span: float, now: float
) -> float:
    """The arrival-safe rule for one rolling window (see the module docstring).

    Args:
        released: Release times, oldest first, of the requests released
            within the window (each ``> now - span``).
        in_flight: Requests of the window's kind whose slots are held.
        limit: Requests the window allows; ``None`` means no limit.
        span: The window's length in seconds.
        now: The current clock time.

    Returns:
        ``0.0`` when one more request fits now; else the seconds until
        enough released requests leave the window; :data:`math.inf` when
        the requests in flight alone fill it (only a release can help).
    """
    if limit is None:
        return 0.0
    # Admit while released + in_flight < limit: `excess + 1` releases must age out.
    excess = len(released) + in_flight - limit
    if excess < 0:
        return 0.0
    if excess >= len(released):
        return math.inf
    return max(0.0, released[excess] + span - now)


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
            raise ConfigurationError(f"{who}: {name} must be >= 1 or None, got {value!r}")
        setattr(pacer, name, value)
    if throttle_pause < 0:
        raise ConfigurationError(f"{who}: throttle_pause must be >= 0, got {throttle_pause!r}")
    setattr(pacer, "throttle_pause", throttle_pause)  # noqa: B010 - typed on the class


class RealmPacer:
    """In-process, thread-safe pacer with arrival-safe sliding windows per realm.

    Each window counts the requests in flight plus those released within
    its span (see the module docstring), so a slot must be released once
    its response is back: a caller holding every slot of a window waits
    for a release, never for time alone.

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
            raise ConfigurationError(
                f"RealmPacer: poll_interval must be > 0, got {poll_interval!r}"
            )
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

    def _wait_needed(self, realm: _Realm, now: float, batch: bool) -> tuple[float, bool]:
        """Seconds until the windows and any throttle admit one more request.

        Returns:
            ``(seconds, needs_release)``: ``needs_release`` is true when slots
            in flight fill a window or the in-flight limit, so the seconds
            only count once a slot has been released.
        """
        _prune(realm.minute, now, 60.0)
        _prune(realm.second, now, 1.0)
        _prune(realm.batches, now, 60.0)
        waits = [
            realm.blocked_until - now,
            window_wait(realm.minute, realm.in_flight, self.per_minute, 60.0, now),
            window_wait(realm.second, realm.in_flight, self.per_second, 1.0, now),
        ]
        if batch:
            waits.append(window_wait(realm.batches, realm.in_flight_batches,
                                     self.batch_per_minute, 60.0, now))
        timed = [w for w in waits if w != math.inf]
        needs_release = len(timed) < len(waits) or (
            self.max_in_flight is not None and realm.in_flight >= self.max_in_flight
        )
        return max(0.0, *timed), needs_release

    def _take(self, realm: _Realm, batch: bool) -> tuple[float, bool, float]:
        """Under the lock: take a slot if the budget allows: (wait, needs_release, now).

        ``(0.0, False, now)`` means the slot was taken.
        """
        now = self._clock()
        delay, needs_release = self._wait_needed(realm, now, batch)
        if delay <= 0 and not needs_release:
            realm.in_flight += 1
            if batch:
                realm.in_flight_batches += 1
        return delay, needs_release, now

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
                delay, needs_release, now = self._take(realm, batch)
                while needs_release:
                    # Only a release (which notifies) can make room: wait for one.
                    self._cond.wait()
                    delay, needs_release, now = self._take(realm, batch)
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
            while only a release can make room).
        """
        with self._cond:
            realm = self._realms.setdefault(realm_id, _Realm())
            delay, needs_release, _ = self._take(realm, batch)
            # A window may hold the realm back longer than the next release will.
            return max(self.poll_interval, delay) if needs_release else delay

    def release(self, realm_id: str) -> None:
        """Give back a slot taken by :meth:`acquire` or :meth:`try_acquire`.

        Call it once the response has come back: from then on the request
        counts in each window for that window's span. When slots of both
        kinds are held, a plain one is given back first (the safe guess).

        Raises:
            RuntimeError: No slot is held for ``realm_id``.
        """
        self._release(realm_id, None)

    def _release(self, realm_id: str, batch: bool | None) -> None:
        """Give back a slot of the kind given if one is held, else of the other kind."""
        with self._cond:
            realm = self._realms.get(realm_id)
            if realm is None or realm.in_flight <= 0:
                raise RuntimeError(f"RealmPacer.release({realm_id!r}) without acquire")
            plain = realm.in_flight - realm.in_flight_batches
            is_batch = realm.in_flight_batches > 0 and (plain == 0 or batch is True)
            now = self._clock()
            realm.in_flight -= 1
            realm.minute.append(now)
            realm.second.append(now)
            if is_batch:
                realm.in_flight_batches -= 1
                realm.batches.append(now)
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
            self._release(realm_id, batch)

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
