"""A :class:`~qbo_sync.http.Pacer` whose budget lives in Redis.

Every process (and thread) that builds a :class:`RedisPacer` on the same
Redis and ``prefix`` shares one per-realm budget: the same arrival-safe
sliding windows as :class:`~qbo_sync.http.RealmPacer` (500 requests and 40
batch requests a minute, 10 a second, 10 in flight), checked and taken
atomically by one Lua script that mirrors
:func:`~qbo_sync.http._pacing.window_wait`: a window admits one more
request while the requests released within its span plus those in flight
stay under its limit (the module docstring of ``qbo_sync.http._pacing``
proves why that keeps arrivals at QBO under it).

Per realm, one sorted set per window holds the release times of the
requests released within it, and two hold the slots in flight (all, and
batch ones) scored by their lease expiry. An in-flight slot is a lease: if
its holder dies without releasing it, the slot frees itself ``lease``
seconds after it was taken and counts as released at that moment. A
holder that was only slow and releases later moves its release time to
the real one (later, so the windows count it longer, never shorter).

Window entries are scored with the caller's ``clock``, so every process
sharing a budget must use clocks that agree (the default,
:func:`time.time`, does across hosts as far as NTP keeps them; a
:class:`~qbo_sync.testing.FakeClock` does in tests). Keys expire a couple
of minutes after their last use, so an idle realm leaves nothing behind.

Needs the ``redis`` client library (``pip install qbo-sync[redis]``); this
module only uses the client passed in, so importing it does not.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from qbo_sync.errors import ConfigurationError
from qbo_sync.http._pacing import set_budget

if TYPE_CHECKING:
    import redis

__all__ = ["RedisPacer"]

# KEYS: 1 minute window, 2 second window, 3 batch window (release times),
#       4 in flight, 5 blocked_until, 6 batches in flight (lease expiries).
# ARGV: 1 now, 2 per_minute, 3 per_second, 4 batch_per_minute, 5 max_in_flight
#       (0 = no limit), 6 batch (0/1), 7 member/token, 8 lease expiry,
#       9 key TTL (ms), 10 poll interval.
# Returns "0" when the slot was taken, else the seconds to wait (as a string:
# Redis would truncate a Lua number to an integer). need() is window_wait().
_ACQUIRE = """
local function num(x) return string.format('%.17g', x) end
local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1], 'WITHSCORES')
for i = 1, #expired, 2 do
  local token, at = expired[i], expired[i + 1]
  redis.call('ZADD', KEYS[1], at, token)
  redis.call('ZADD', KEYS[2], at, token)
  if redis.call('ZREM', KEYS[6], token) == 1 then redis.call('ZADD', KEYS[3], at, token) end
  redis.call('ZREM', KEYS[4], token)
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now - 60))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', num(now - 1))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', num(now - 60))
local flying = redis.call('ZCARD', KEYS[4])
local wait = 0
local needs_release = false
local blocked = tonumber(redis.call('GET', KEYS[5]) or '0')
if blocked - now > wait then wait = blocked - now end
local function need(key, in_flight, limit, span)
  if limit <= 0 then return end
  local released = redis.call('ZCARD', key)
  local excess = released + in_flight - limit
  if excess < 0 then return end
  if excess >= released then
    needs_release = true
    return
  end
  local entry = redis.call('ZRANGE', key, excess, excess, 'WITHSCORES')
  local w = tonumber(entry[2]) + span - now
  if w > wait then wait = w end
end
need(KEYS[1], flying, tonumber(ARGV[2]), 60)
need(KEYS[2], flying, tonumber(ARGV[3]), 1)
if ARGV[6] == '1' then need(KEYS[3], redis.call('ZCARD', KEYS[6]), tonumber(ARGV[4]), 60) end
local max_in_flight = tonumber(ARGV[5])
if max_in_flight > 0 and flying >= max_in_flight then needs_release = true end
if needs_release then
  local poll = tonumber(ARGV[10])
  if poll > wait then wait = poll end
  return num(wait)
end
if wait > 0 then return num(wait) end
local ttl = tonumber(ARGV[9])
redis.call('ZADD', KEYS[4], ARGV[8], ARGV[7])
redis.call('PEXPIRE', KEYS[4], ttl)
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[6], ARGV[8], ARGV[7])
  redis.call('PEXPIRE', KEYS[6], ttl)
end
return '0'
"""

# KEYS: 1 minute window, 2 second window, 3 batch window, 4 in flight,
#       5 batches in flight. ARGV: 1 now, 2 token, 3 batch (0/1), 4 key TTL (ms).
# Records the release even when the lease already ran out (a slow holder,
# not a dead one): its release time moves from the lease expiry to now.
_RELEASE = """
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
local last = 2
if ARGV[3] == '1' then last = 3 end
for i = 1, last do
  redis.call('ZADD', KEYS[i], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 0
"""

# KEYS: 1 blocked_until. ARGV: 1 new blocked_until, 2 TTL (ms).
_THROTTLE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


def _num(value: float) -> str:
    return repr(float(value))


class RedisPacer:
    """Pacer whose per-realm budget is shared through Redis.

    Same limits and behaviour as :class:`~qbo_sync.http.RealmPacer`, but
    every instance on the same Redis and ``prefix`` shares them.

    Args:
        redis: A ``redis.Redis`` client (thread-safe; share one per process).
        prefix: Key prefix; instances share a budget iff they share it.
        lease: Seconds after which an in-flight slot whose holder never
            released it (a dead worker) frees itself.
        poll_interval: How long to wait before trying again when only the
            in-flight limit is full (seconds).
        per_minute: Requests per realm in any 60 s window (QBO: 500).
        batch_per_minute: Batch requests per realm in any 60 s window (QBO: 40).
        per_second: Requests per realm in any 1 s window; ``None`` disables it.
        max_in_flight: Concurrent requests per realm; ``None`` disables it.
        throttle_pause: How long :meth:`note_throttled` holds a realm back
            when QBO did not say (seconds).
        clock: Clock in seconds, agreeing across every sharing process.
        sleep: Sleeps for the given seconds (inject with the clock).

    For asyncio, :meth:`try_acquire` asks Redis once without sleeping; as
    each call is a blocking Redis round trip (``blocking_io``),
    :func:`~qbo_sync.http.async_slot` runs it, and :meth:`release`, in a
    worker thread with :func:`asyncio.to_thread` and awaits the waits with
    :func:`asyncio.sleep`.
    """

    #: Every method is a Redis round trip: asyncio callers run them in a thread.
    blocking_io: ClassVar[bool] = True

    def __init__(
        self,
        *,
        redis: redis.Redis,
        prefix: str = "qbo_sync:pacer",
        lease: float = 120.0,
        poll_interval: float = 0.05,
        per_minute: int | None = 500,
        batch_per_minute: int | None = 40,
        per_second: int | None = 10,
        max_in_flight: int | None = 10,
        throttle_pause: float = 10.0,
        clock: Callable[[], float] = time.time,
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
        if lease <= 0:
            raise ConfigurationError(f"RedisPacer: lease must be > 0, got {lease!r}")
        if poll_interval <= 0:
            raise ConfigurationError(
                f"RedisPacer: poll_interval must be > 0, got {poll_interval!r}"
            )
        self.lease = lease
        self.poll_interval = poll_interval
        self.prefix = prefix
        self._redis = redis
        self._clock = clock
        self._sleep = sleep
        # Keys outlive the longest thing they track by a minute.
        self._ttl_ms = math.ceil((max(60.0, lease) + 60.0) * 1000)
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._throttle = redis.register_script(_THROTTLE)
        # Per realm, the (token, batch) of each slot acquire/try_acquire took.
        self._held: dict[str, list[tuple[str, bool]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"RedisPacer(prefix={self.prefix!r}, per_minute={self.per_minute}, "
            f"batch_per_minute={self.batch_per_minute}, per_second={self.per_second}, "
            f"max_in_flight={self.max_in_flight}, lease={self.lease})"
        )

    def _key(self, realm_id: str, what: str) -> str:
        # The hash tag keeps one realm's keys in one Redis Cluster slot.
        return f"{self.prefix}:{{{realm_id}}}:{what}"

    def _keys(self, realm_id: str, *whats: str) -> list[str]:
        return [self._key(realm_id, what) for what in whats]

    def _ask(self, realm_id: str, batch: bool, token: str) -> tuple[float, float]:
        """One atomic check-and-take: (clock time, seconds to wait; <= 0 means taken)."""
        now = self._clock()
        args: list[str | int] = [
            _num(now),
            self.per_minute or 0,
            self.per_second or 0,
            self.batch_per_minute or 0,
            self.max_in_flight or 0,
            1 if batch else 0,
            token,
            _num(now + self.lease),
            self._ttl_ms,
            _num(self.poll_interval),
        ]
        keys = self._keys(realm_id, "minute", "second", "batches", "in_flight", "blocked_until",
                          "in_flight_batches")
        return now, float(self._acquire(keys=keys, args=args))

    def _take(self, realm_id: str, batch: bool) -> tuple[float, str]:
        token = uuid.uuid4().hex
        while True:
            now, delay = self._ask(realm_id, batch, token)
            if delay <= 0:
                return now, token
            self._sleep(delay)

    def _give_back(self, realm_id: str, token: str, batch: bool) -> None:
        keys = self._keys(realm_id, "minute", "second", "batches", "in_flight",
                          "in_flight_batches")
        self._release(keys=keys, args=[_num(self._clock()), token, 1 if batch else 0,
                                       self._ttl_ms])

    def acquire(self, realm_id: str, *, batch: bool = False) -> float:
        """Wait for a slot and take it; pair with :meth:`release`.

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.

        Returns:
            The clock time at which the slot was granted.
        """
        now, token = self._take(realm_id, batch)
        with self._lock:
            self._held.setdefault(realm_id, []).append((token, batch))
        return now

    def try_acquire(self, realm_id: str, *, batch: bool = False) -> float:
        """Take a slot if the shared budget allows it now; never sleeps.

        One Redis round trip (blocking: call it from a worker thread in
        asyncio code, as :func:`~qbo_sync.http.async_slot` does).

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.

        Returns:
            ``0.0`` when the slot was taken (pair with :meth:`release`), else
            the seconds to wait before asking again.
        """
        token = uuid.uuid4().hex
        _, delay = self._ask(realm_id, batch, token)
        if delay > 0:
            return delay
        with self._lock:
            self._held.setdefault(realm_id, []).append((token, batch))
        return 0.0

    def release(self, realm_id: str) -> None:
        """Give back a slot this instance took with :meth:`acquire` or :meth:`try_acquire`.

        Call it once the response has come back: from then on the request
        counts in each window for that window's span. When slots of both
        kinds are held, a plain one is given back first (the safe guess).

        Raises:
            RuntimeError: This instance holds no slot for ``realm_id``.
        """
        with self._lock:
            held = self._held.get(realm_id)
            if not held:
                raise RuntimeError(f"RedisPacer.release({realm_id!r}) without acquire")
            # The oldest slot of the kind: the leases left are then the newest ones,
            # so none runs out before a slot still really held would have.
            plain = [i for i, (_, batch) in enumerate(held) if not batch]
            token, batch = held.pop(plain[0] if plain else 0)
            if not held:
                del self._held[realm_id]
        self._give_back(realm_id, token, batch)

    @contextlib.contextmanager
    def slot(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        """Hold a request slot for ``realm_id`` while the block runs.

        Args:
            realm_id: The QBO company.
            batch: Whether this is a batch request.
        """
        _, token = self._take(realm_id, batch)
        try:
            yield
        finally:
            self._give_back(realm_id, token, batch)

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        """Hold every new request for ``realm_id``, in every process, back.

        Args:
            realm_id: The throttled company.
            retry_after: What QBO asked for, if it did; else ``throttle_pause``.
        """
        pause = self.throttle_pause if retry_after is None else max(0.0, retry_after)
        ttl_ms = max(self._ttl_ms, math.ceil((pause + 60.0) * 1000))
        self._throttle(
            keys=[self._key(realm_id, "blocked_until")],
            args=[_num(self._clock() + pause), ttl_ms],
        )

    def in_flight(self, realm_id: str) -> int:
        """Unexpired slots held for ``realm_id`` by every instance."""
        key = self._key(realm_id, "in_flight")
        return int(self._redis.zcount(key, f"({_num(self._clock())}", "+inf"))
