"""RedisLockProvider on a real Redis (scripts/start-redis.sh): the lock contract and its lease.

The conformance lock tests run against it (threads and spawned processes);
the rest prove what only a lease-based lock has to: a SIGKILLed holder frees
the lock when its lease ends and not before, renewal keeps a live holder's
lock past its lease, and only the owner's token releases it. The last tests
put it under the sync engine and the OAuth manager (``locks=``).
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from qbo_sync import QBOClient, SyncEngine
from qbo_sync.errors import ConfigurationError, LockTimeoutError, StorageError
from qbo_sync.storage import MemoryStore, RedisLockProvider
from qbo_sync.testing import FakeQBO, sample_book
from qbo_sync.testing.storage_conformance import LockConformance, LockFactory

pytestmark = pytest.mark.xdist_group("redis-lock")


@pytest.fixture
def prefix(redis: Redis) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    name = f"qbo_sync:test-lock:{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis.scan_iter(f"{name}:*"):
        redis.delete(key)


class TestRedisLockConformance(LockConformance):
    """The lock part of the storage contract, on Redis (threads and spawned processes)."""

    @pytest.fixture
    def lock_factory(self, redis_url: str, prefix: str) -> LockFactory:
        return functools.partial(RedisLockProvider.from_url, redis_url, prefix=prefix)


def _name() -> str:
    return f"9{uuid.uuid4().int % 10**15:015d}"


HOLDER = """
import sys, time
from qbo_sync.storage import RedisLockProvider
locks = RedisLockProvider.from_url(sys.argv[1], prefix=sys.argv[2], lease=float(sys.argv[4]))
with locks.refresh_lock(sys.argv[3], timeout=5):
    print("held", flush=True)
    time.sleep(60)
"""


def test_killed_holder_frees_the_lock_when_its_lease_ends(redis_url: str, prefix: str) -> None:
    """A holder SIGKILLed mid-block keeps the lock until its lease ends, then another takes it."""
    name, lease = _name(), 1.5
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url, prefix, name, str(lease)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        time.sleep(lease)  # the holder renewed at least once: a live holder outlives a lease
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        killed = time.monotonic()
        locks = RedisLockProvider.from_url(redis_url, prefix=prefix)
        try:
            assert locks.is_locked(name)
            with pytest.raises(LockTimeoutError), locks.refresh_lock(name, timeout=0):
                pass
            with locks.refresh_lock(name, timeout=10):
                waited = time.monotonic() - killed
        finally:
            locks.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert holder.returncode == -signal.SIGKILL
    assert 0.2 < waited < lease + 1.0, waited


def test_renewal_keeps_a_live_holder_past_its_lease(redis: Redis, prefix: str) -> None:
    """Held for three leases, the lock stays taken throughout (renewed), and frees on exit.

    The lease (1 s, renewed every third) leaves room for a busy CI machine to
    pause the renewal thread for a while without the lock lapsing.
    """
    locks = RedisLockProvider(redis=redis, prefix=prefix, lease=1.0)
    rival = RedisLockProvider(redis=redis, prefix=prefix, lease=1.0)
    name = _name()
    taken: list[bool] = []
    with locks.refresh_lock(name, timeout=1):
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                with rival.refresh_lock(name, timeout=0):
                    taken.append(True)
            except LockTimeoutError:
                taken.append(False)
            time.sleep(0.05)
        ttl = redis.pttl(locks.key(name))
    assert len(taken) > 10
    assert not any(taken)
    assert 0 < ttl <= 1000
    assert not locks.is_locked(name)


def test_only_the_owner_releases(redis: Redis, prefix: str) -> None:
    """A holder whose lease was lost and taken over does not delete the new holder's lock."""
    locks = RedisLockProvider(redis=redis, prefix=prefix, lease=5)
    name = _name()
    with locks.refresh_lock(name, timeout=1):
        # The lease ended and another process took the lock (simulated).
        redis.set(locks.key(name), "someone-else", px=5000)
    assert redis.get(locks.key(name)) == b"someone-else"
    with pytest.raises(LockTimeoutError), locks.refresh_lock(name, timeout=0):
        pass


def test_not_reentrant(redis: Redis, prefix: str) -> None:
    """Asking again for a lock the thread holds waits for itself and times out."""
    locks = RedisLockProvider(redis=redis, prefix=prefix)
    name = _name()
    with locks.refresh_lock(name, timeout=1):
        with pytest.raises(LockTimeoutError, match=r"not acquired within 0\.1 s"):
            with locks.refresh_lock(name, timeout=0.1):
                pass
        assert locks.is_locked(name)
    assert not locks.is_locked(name)


def test_prefix_separates_and_keys_carry_no_more_than_the_name(redis: Redis, prefix: str) -> None:
    """Providers on other prefixes do not exclude each other; the key is prefix + hash tag."""
    a = RedisLockProvider(redis=redis, prefix=prefix + ":a")
    b = RedisLockProvider(redis=redis, prefix=prefix + ":b")
    name = f"sync:{_name()}"
    with a.refresh_lock(name, timeout=1), b.refresh_lock(name, timeout=0):
        assert redis.exists(f"{prefix}:a:{{{name}}}") == 1
        assert redis.exists(f"{prefix}:b:{{{name}}}") == 1


def test_repr_and_errors_leak_no_secret() -> None:
    """No password in the repr; an unreachable Redis is a StorageError naming no secret."""
    locks = RedisLockProvider.from_url("redis://:s3cret-pass@127.0.0.1:1/0", lease=2)
    try:
        assert "s3cret" not in repr(locks)
        assert repr(locks) == "RedisLockProvider(prefix='qbo_sync:lock', lease=2)"
        with pytest.raises(StorageError) as caught:
            with locks.refresh_lock("123", timeout=0):
                pass
        assert not isinstance(caught.value, LockTimeoutError)
        assert "s3cret" not in str(caught.value)
    finally:
        locks.close()


def test_bad_lease_settings_are_refused(redis: Redis) -> None:
    """A renewal period not shorter than the lease would let the lock lapse: refused."""
    with pytest.raises(ConfigurationError, match="renew_every"):
        RedisLockProvider(redis=redis, lease=1, renew_every=1)
    with pytest.raises(ConfigurationError, match="lease"):
        RedisLockProvider(redis=redis, lease=0)


# -- under the engine and the OAuth manager --------------------------------------------


def _engine(fake: FakeQBO, realm: str, store: MemoryStore, locks: RedisLockProvider,
            **options: Any) -> SyncEngine:
    client = QBOClient(realm_id=realm, environment="sandbox", transport=fake.transport(),
                       access_token=fake.issue_access_token(realm, lifetime=3600.0))
    return SyncEngine(client=client, store=store, locks=locks, owns_client=True, **options)


def test_engine_holds_its_run_lock_in_redis_not_in_the_store(redis: Redis, prefix: str) -> None:
    """During a run ``sync:<realm>`` is held in Redis, the store's own lock stays free."""
    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Lock Co")
    store = MemoryStore()
    locks = RedisLockProvider(redis=redis, prefix=prefix)
    seen: list[tuple[bool, bool]] = []

    def progress(entity: str, done: int, total: int) -> None:
        try:
            with store.refresh_lock(f"sync:{realm}", timeout=0):
                store_free = True
        except LockTimeoutError:
            store_free = False
        seen.append((locks.is_locked(f"sync:{realm}"), store_free))

    book = sample_book(customers=5, items=2, invoices=5, payments=0, credit_memos=0)
    with _engine(fake, realm, store, locks, progress=progress) as engine:
        engine.map_accounts(**engine.suggest_accounts())
        report = engine.push(book.records())
    assert report.status.value == "success"
    assert seen
    assert set(seen) == {(True, True)}
    assert not locks.is_locked(f"sync:{realm}")


def test_two_engines_on_one_realm_never_run_at_once(redis: Redis, prefix: str) -> None:
    """Two engines (each with its own provider, as two processes) pushing one realm: no overlap.

    They share one MemoryStore, but with ``locks=`` its lock is not used, so
    nothing but Redis stands between them; batch requests are slowed so the
    runs would overlap without it. The second run finds everything linked.
    """
    from qbo_sync.testing import Fault

    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Lock Co")
    fake.faults.schedule(Fault(kind="latency", seconds=0.05), None, path="/batch")
    book = sample_book(customers=20, items=3, invoices=20, payments=0, credit_memos=0)
    store = MemoryStore()
    spans: list[tuple[float, float]] = []
    writes: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def run() -> None:
        try:
            locks = RedisLockProvider(redis=redis, prefix=prefix)
            marks: list[float] = []
            with _engine(fake, realm, store, locks, run_lock_timeout=30,
                         progress=lambda *_: marks.append(time.monotonic())) as engine:
                engine.map_accounts(**engine.suggest_accounts())
                gate.wait(5)
                report = engine.push(book.records())
            assert report.status.value == "success", report.message
            spans.append((min(marks), max(marks)))
            writes.append(report.write_requests)
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    first, second = sorted(spans)
    assert first[1] <= second[0], spans
    assert sorted(writes)[0] == 0 < sorted(writes)[1]
    assert Counter(fake.object_counts(realm))["Customer"] == len(book.customers)
    assert Counter(fake.object_counts(realm))["Invoice"] == len(book.invoices)


def test_oauth_refresh_lock_goes_to_redis(redis: Redis, prefix: str) -> None:
    """``OAuthManager(locks=...)``: a refresh waits for the realm's lock held in Redis."""
    import httpx

    from qbo_sync import OAuthConfig, OAuthManager

    fake = FakeQBO(limits=False)
    fake.register_app(client_id="cid", client_secret="csecret-0123456789",
                      redirect_uris=["https://app.example/cb"])
    store = MemoryStore()
    locks = RedisLockProvider(redis=redis, prefix=prefix)
    config = OAuthConfig(client_id="cid", client_secret="csecret-0123456789",
                         redirect_uri="https://app.example/cb", environment="sandbox")
    with OAuthManager(store=store, transport=fake.transport(), config=config,
                      locks=locks, lock_timeout=0.2) as oauth:
        realm = fake.add_company(company_name="Refresh Co")
        fake.next_consent(realm_id=realm)
        url = oauth.authorization_url().url
        callback = fake.transport().handle_request(httpx.Request("GET", url)).headers["location"]
        assert oauth.handle_callback(callback).ok
        before = store.get_tokens(realm)
        assert before is not None
        with locks.refresh_lock(realm, timeout=1):  # another worker is refreshing
            with pytest.raises(LockTimeoutError):
                oauth.refresh(realm)
        info = oauth.refresh(realm)
        after = store.get_tokens(realm)
    assert after is not None
    assert after.version == before.version + 1
    assert info.realm_id == realm
