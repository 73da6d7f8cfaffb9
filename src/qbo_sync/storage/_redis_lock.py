"""A :class:`~qbo_sync.storage.LockProvider` on Redis, for stores that are not PostgreSQL.

The run lock (``sync:<realm>``) and the token-refresh lock must hold across
every process that syncs a realm. ``SQLiteStore`` holds them on one machine
and ``SQLAlchemyStore`` on PostgreSQL holds them on a server; a product whose
store is neither (MySQL, a document store of its own) but which runs workers
on Redis anyway passes :class:`RedisLockProvider` as ``locks=`` to
:class:`~qbo_sync.SyncEngine` and :class:`~qbo_sync.OAuthManager`.

How it holds (the single-instance Redis lock of the Redis documentation):

- **Acquire**: ``SET key token NX PX lease`` with a random token, retried with
  a short back-off until ``timeout``.
- **Lease**: the key expires ``lease`` seconds after it was last renewed, so a
  holder that dies (``SIGKILL``, a lost host) frees the lock within a lease.
- **Renewal**: while the ``with`` block runs, a daemon thread extends the lease
  every third of it, by a script that only touches the key if it still holds
  this holder's token; a run of an hour keeps its lock.
- **Release**: a compare-and-delete script; a holder whose lease was lost
  (its process was paused longer than the lease) never deletes the next
  holder's lock.

One Redis instance (or a primary with replicas) is assumed: on failover a
replica may not have the key yet. Token compare-and-swap in the store stays
the correctness guarantee for refreshes; for runs, the ``requestid`` recorded
before every write keeps even an overlap from creating duplicates.

Needs the ``redis`` client library (``pip install qbo-sync[redis]``) only for
:meth:`RedisLockProvider.from_url`; otherwise it uses the client passed in.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from qbo_sync.errors import ConfigurationError, StorageError
from qbo_sync.storage._codec import wait_for_lock

if TYPE_CHECKING:
    import redis

__all__ = ["RedisLockProvider"]

_log = logging.getLogger("qbo_sync.storage")

# KEYS: 1 the lock. ARGV: 1 the holder's token, 2 the lease (ms).
# Returns 1 when the lease was extended, 0 when the key is gone or another's.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: 1 the lock. ARGV: 1 the holder's token. Returns how many keys were deleted.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLockProvider:
    """Named locks with a renewed lease in Redis: the ``LockProvider`` of workers.

    Every instance on the same Redis and ``prefix``, in any process or host,
    excludes every other. Not re-entrant: a holder that asks again for a lock
    it holds waits for itself and times out.

    Args:
        redis: A ``redis.Redis`` client (thread-safe; one per process is enough).
        prefix: Key prefix; instances exclude each other iff they share it.
        lease: Seconds a lock outlives its holder's last renewal: how long a
            dead holder blocks the realm.
        renew_every: Seconds between renewals while held (default a third of
            ``lease``); must be shorter than ``lease``.
        sleep: Waits between attempts to acquire (inject in tests).

    Raises:
        ValueError: ``lease`` or ``renew_every`` out of range.
    """

    def __init__(
        self,
        *,
        redis: redis.Redis,
        prefix: str = "qbo_sync:lock",
        lease: float = 30.0,
        renew_every: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if lease < 0.01:
            raise ConfigurationError(f"RedisLockProvider: lease must be >= 0.01 s, got {lease!r}")
        renew = lease / 3 if renew_every is None else renew_every
        if not 0 < renew < lease:
            raise ConfigurationError(
                f"RedisLockProvider: renew_every must be > 0 and < lease ({lease}), got {renew!r}"
            )
        self.prefix = prefix
        self.lease = lease
        self.renew_every = renew
        self._redis = redis
        self._sleep = sleep
        self._owns_client = False
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisLockProvider:
        """A provider with its own client on ``url`` (closed by :meth:`close`).

        Args:
            url: A Redis URL (``redis://host:6379/0``).
            **options: More constructor arguments (``prefix``, ``lease`` ...).
        """
        import redis as redis_lib  # noqa: PLC0415 - the optional extra, only here

        provider = cls(redis=redis_lib.Redis.from_url(url), **options)
        provider._owns_client = True
        return provider

    def close(self) -> None:
        """Close the client if :meth:`from_url` made it."""
        if self._owns_client:
            self._redis.close()

    def __repr__(self) -> str:
        # The client is left out: its connection settings may carry a password.
        return f"RedisLockProvider(prefix={self.prefix!r}, lease={self.lease})"

    def key(self, name: str) -> str:
        """The Redis key of the lock ``name`` (a realm id, or ``sync:<realm>``)."""
        # The hash tag keeps a lock in one Redis Cluster slot whatever the name.
        return f"{self.prefix}:{{{name}}}"

    def is_locked(self, name: str) -> bool:
        """Whether any holder holds the lock ``name`` now (for dashboards and tests)."""
        return bool(self._call(lambda: self._redis.exists(self.key(name)), "read"))

    @contextlib.contextmanager
    def refresh_lock(self, realm_id: str, *, timeout: float = 30.0) -> Iterator[None]:
        """Hold the lock ``realm_id`` for the ``with`` block (see ``LockProvider``).

        The name is any text: the OAuth manager passes the realm id, the sync
        engine ``sync:<realm>``.

        Args:
            realm_id: The lock's name.
            timeout: Seconds to wait for it (``0``: try once).

        Raises:
            LockTimeoutError: Not acquired within ``timeout``.
            StorageError: Redis failed (unreachable, refused the command).
        """
        key, token = self.key(realm_id), uuid.uuid4().hex
        lease_ms = max(1, round(self.lease * 1000))
        wait_for_lock(
            lambda: bool(self._call(
                lambda: self._redis.set(key, token, nx=True, px=lease_ms), "acquire")),
            what=f"lock {realm_id!r}",
            timeout=timeout,
            sleep=self._sleep,
        )
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._keep, args=(key, token, lease_ms, stop), daemon=True,
            name=f"qbo-sync-redis-lease-{realm_id}",
        )
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            released = self._call(lambda: self._release(keys=[key], args=[token]), "release")
            if not released:
                _log.warning("lock %r had expired before its release (its lease was lost); "
                             "another holder may have run meanwhile", realm_id)

    def _keep(self, key: str, token: str, lease_ms: int, stop: threading.Event) -> None:
        """Extend the lease every ``renew_every`` until ``stop`` (runs in its own thread)."""
        while not stop.wait(self.renew_every):
            try:
                kept = self._renew(keys=[key], args=[token, lease_ms])
            except Exception as exc:  # a blip: the next tick tries again
                _log.warning("renewing the lease of %s failed: %s", key, type(exc).__name__)
                continue
            if not kept:
                _log.warning("the lease of %s was lost while held; renewal stops", key)
                return

    @staticmethod
    def _call(command: Callable[[], Any], what: str) -> Any:
        """Run one Redis command; its failure becomes a ``StorageError``."""
        try:
            return command()
        except Exception as exc:
            if type(exc).__module__.split(".")[0] != "redis":
                raise
            # The exception's class names the problem; its text may name the host.
            raise StorageError(f"Redis lock {what} failed: {type(exc).__name__}") from exc
