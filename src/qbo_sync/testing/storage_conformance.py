"""A reusable pytest suite that checks a storage backend against the contract.

Run it against your own backend by subclassing :class:`StorageConformance`
in a test module and overriding the ``store_factory`` fixture::

    import functools
    import pytest
    from qbo_sync.testing.storage_conformance import StorageConformance

    class TestMyStore(StorageConformance):
        @pytest.fixture
        def store_factory(self, tmp_path):
            return functools.partial(MyStore, tmp_path / "db")

The factory is a zero-argument callable that opens a *new handle on the same
storage* each time it is called. It must be picklable (a module-level class
or :func:`functools.partial` of one): the multi-process tests call it in
``spawn``-ed children. A backend that lives in one process only (such as
:class:`~qbo_sync.storage.MemoryStore`) sets ``multiprocess = False``; its
multi-process tests are then skipped, with that reason.

The tests use fresh random realm and tenant ids, so a factory may point at a
store that already holds data (one schema per test module is enough).

:class:`LockConformance` is the lock part alone, for a
:class:`~qbo_sync.storage.LockProvider` that is not a store (such as
:class:`~qbo_sync.storage.RedisLockProvider`): override ``lock_factory``
the same way. :class:`StorageConformance` includes it.
"""

# Token-looking strings here are fake test values, not credentials.
# ruff: noqa: S105, S106

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

from qbo_sync.errors import ConflictError, LockTimeoutError
from qbo_sync.storage import (
    Connection,
    ConnectionStatus,
    Cursor,
    EntityCounts,
    EntityLink,
    EntitySettings,
    LinkCounts,
    LinkStatus,
    LockProvider,
    OAuthState,
    RecordFailure,
    RunRecord,
    RunStatus,
    Settings,
    Store,
    TokenSet,
)

__all__ = [
    "POSTGRES_URL_ENV",
    "REQUIRE_POSTGRES_ENV",
    "LockConformance",
    "LockFactory",
    "StorageConformance",
    "StoreFactory",
    "fresh_postgres_schema",
    "postgres_url_or_skip",
]

StoreFactory = Callable[[], Store]
LockFactory = Callable[[], LockProvider]


def _close(opened: object) -> None:
    close = getattr(opened, "close", None)
    if close is not None:
        close()


def sample_tokens(tag: str) -> TokenSet:
    """A token set whose token text carries ``tag``."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return TokenSet(
        access_token=f"access-{tag}",
        refresh_token=f"refresh-{tag}",
        access_expires_at=now + dt.timedelta(hours=1),
        refresh_expires_at=now + dt.timedelta(days=100),
        refresh_hard_expires_at=now + dt.timedelta(days=5 * 365),
    )


def counter_worker(
    factory: LockFactory, barrier: Any, counter: str, realm_id: str, rounds: int
) -> None:
    """Increment the number in file ``counter`` ``rounds`` times under the refresh lock.

    The read-pause-write is deliberately racy: only the lock keeps updates.
    """
    locks = factory()
    path = Path(counter)
    try:
        barrier.wait(timeout=60)
        for _ in range(rounds):
            with locks.refresh_lock(realm_id, timeout=60):
                value = int(path.read_text())
                time.sleep(0.001)
                path.write_text(str(value + 1))
    finally:
        _close(locks)


def cas_worker(  # noqa: PLR0917 - spawn passes Process args positionally
    factory: StoreFactory, barrier: Any, out: str, realm_id: str, rounds: int, tag: str
) -> None:
    """Each round, try to swap the tokens from version ``round + 1``; record wins."""
    store = factory()
    wins = 0
    try:
        for round_no in range(rounds):
            barrier.wait(timeout=60)
            try:
                store.save_tokens(
                    realm_id, sample_tokens(f"{tag}-{round_no}"), expected_version=round_no + 1
                )
                wins += 1
            except ConflictError:
                pass
            barrier.wait(timeout=60)
    finally:
        store.close()
    Path(out).write_text(json.dumps({"wins": wins}))


def links_worker(  # noqa: PLR0917 - spawn passes Process args positionally
    factory: StoreFactory, barrier: Any, realm_id: str, worker: int, batches: int, size: int
) -> None:
    """Write ``batches`` batches of own links plus a batch of links shared by all workers."""
    store = factory()
    try:
        barrier.wait(timeout=60)
        for batch in range(batches):
            store.save_links(
                EntityLink(
                    realm_id=realm_id,
                    entity_type="Customer",
                    local_id=f"w{worker}-b{batch}-{n}",
                    qbo_id=f"{worker}{batch:03d}{n:04d}",
                    fingerprint=f"w{worker}",
                )
                for n in range(size)
            )
            store.save_links(
                EntityLink(
                    realm_id=realm_id,
                    entity_type="Item",
                    local_id=f"shared-{n}",
                    fingerprint=f"w{worker}",
                )
                for n in range(size)
            )
    finally:
        store.close()


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_MP_TIMEOUT = 120.0


def _realm() -> str:
    return f"9{uuid.uuid4().int % 10**15:015d}"


def _spawn(target: Callable[..., None], jobs: list[tuple[Any, ...]]) -> None:
    """Run ``target(*job)`` in one spawned process per job; fail on any error."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    procs = [ctx.Process(target=target, args=(job[0], barrier, *job[1:])) for job in jobs]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(_MP_TIMEOUT)
    stuck = [p for p in procs if p.is_alive()]
    for proc in stuck:
        proc.kill()
        proc.join()
    assert not stuck, f"{len(stuck)} worker process(es) did not finish in {_MP_TIMEOUT} s"
    assert [p.exitcode for p in procs] == [0] * len(procs), "a worker process failed"


#: Environment variable with the SQLAlchemy URL of a throw-away PostgreSQL
#: (``scripts/start-postgres.sh`` prints one).
POSTGRES_URL_ENV = "QBO_SYNC_TEST_POSTGRES_URL"
#: Set to ``1`` (CI) to fail, rather than skip, PostgreSQL tests without a URL.
REQUIRE_POSTGRES_ENV = "QBO_SYNC_REQUIRE_POSTGRES"


def postgres_url_or_skip() -> str:
    """The test server's URL from :data:`POSTGRES_URL_ENV`, else skip the test.

    Raises:
        pytest.fail.Exception: The URL is unset and :data:`REQUIRE_POSTGRES_ENV`
            is ``1``.
        pytest.skip.Exception: The URL is unset.
    """
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    hint = f"{POSTGRES_URL_ENV} is unset (run scripts/start-postgres.sh)"
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {hint}")
    pytest.skip(hint)


@contextlib.contextmanager
def fresh_postgres_schema(url: str) -> Iterator[str]:
    """A new, unique schema name on ``url``, dropped (with its tables) on exit.

    The schema itself is created by the store that first opens it.
    """
    import sqlalchemy as sa  # noqa: PLC0415 (an optional extra: imported only when used)

    schema = f"qbo_t_{uuid.uuid4().hex[:12]}"
    try:
        yield schema
    finally:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            engine.dispose()


class LockConformance:
    """The ``LockProvider`` contract as pytest tests; subclass and provide ``lock_factory``."""

    #: Whether the locks hold between processes (multi-process tests run).
    multiprocess: ClassVar[bool] = True

    @pytest.fixture
    def lock_factory(self) -> LockFactory:
        """Override: a picklable zero-argument callable opening the lock provider."""
        pytest.fail("override the lock_factory fixture in your LockConformance subclass")

    @pytest.fixture
    def locks(self, lock_factory: LockFactory) -> Iterator[LockProvider]:
        """One open provider, closed (when it can be) after the test."""
        opened = lock_factory()
        yield opened
        _close(opened)

    def _need_processes(self) -> None:
        if not self.multiprocess:
            pytest.skip("this backend lives in one process; multi-process tests do not apply")

    def test_refresh_lock_excludes_other_holders(self, locks: LockProvider) -> None:
        """While held, another thread times out; other realms stay free; release frees it."""
        realm = _realm()
        outcomes: list[str] = []

        def try_lock(target: str) -> None:
            try:
                with locks.refresh_lock(target, timeout=0):
                    outcomes.append("acquired")
            except LockTimeoutError:
                outcomes.append("timeout")

        with locks.refresh_lock(realm, timeout=5):
            for target in (realm, _realm()):
                thread = threading.Thread(target=try_lock, args=(target,))
                thread.start()
                thread.join()
        try_lock(realm)
        assert outcomes == ["timeout", "acquired", "acquired"]

    def test_refresh_lock_waits_about_its_timeout(self, locks: LockProvider) -> None:
        """A held lock makes another thread wait its whole timeout, then raise LockTimeoutError."""
        realm = _realm()
        waited: list[float] = []

        def wait() -> None:
            started = time.monotonic()
            with pytest.raises(LockTimeoutError), locks.refresh_lock(realm, timeout=0.3):
                pass
            waited.append(time.monotonic() - started)

        with locks.refresh_lock(realm, timeout=5):
            thread = threading.Thread(target=wait)
            thread.start()
            thread.join(10)
        assert len(waited) == 1
        assert 0.25 <= waited[0] < 5, waited

    def test_refresh_lock_waiter_gets_it_on_release(self, locks: LockProvider) -> None:
        """A thread waiting for a held lock takes it soon after the holder lets go."""
        realm = _realm()
        got: list[float] = []
        asking = threading.Event()

        def wait() -> None:
            asking.set()
            with locks.refresh_lock(realm, timeout=10):
                got.append(time.monotonic())

        with locks.refresh_lock(realm, timeout=5):
            thread = threading.Thread(target=wait)
            thread.start()
            asking.wait(5)
            time.sleep(0.2)
            assert got == []  # still held
            released = time.monotonic()
        thread.join(10)
        assert len(got) == 1
        assert 0 <= got[0] - released < 2

    def test_refresh_lock_between_threads_loses_no_update(self, locks: LockProvider) -> None:
        """Threads incrementing a racy counter under the lock lose no increment."""
        realm = _realm()
        counter = [0]

        def work() -> None:
            for _ in range(15):
                with locks.refresh_lock(realm, timeout=60):
                    value = counter[0]
                    time.sleep(0)
                    counter[0] = value + 1

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert counter[0] == 60

    def test_refresh_lock_across_processes(
        self, locks: LockProvider, lock_factory: LockFactory, tmp_path: Path
    ) -> None:
        """Spawned processes incrementing a file counter under the lock lose no update."""
        self._need_processes()
        realm, counter = _realm(), tmp_path / "counter"
        counter.write_text("0")
        _spawn(counter_worker, [(lock_factory, str(counter), realm, 15) for _ in range(3)])
        assert counter.read_text() == "45"


class StorageConformance(LockConformance):
    """The storage contract as pytest tests; subclass and provide ``store_factory``."""

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        """Override: a picklable zero-argument callable opening the backend."""
        pytest.fail("override the store_factory fixture in your StorageConformance subclass")

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> Iterator[Store]:
        """One open handle, closed after the test."""
        opened = store_factory()
        yield opened
        opened.close()

    @pytest.fixture
    def lock_factory(self, store_factory: StoreFactory) -> LockFactory:
        """A store is its own lock provider."""
        return store_factory

    @pytest.fixture
    def locks(self, store: Store) -> LockProvider:
        """The store under test, as the lock provider."""
        return store

    # contract ----------------------------------------------------------------

    def test_satisfies_store_protocol(self, store: Store) -> None:
        """The backend has every method of the Store protocol."""
        assert isinstance(store, Store)
        assert isinstance(store.encrypts_tokens, bool)

    # connections -------------------------------------------------------------

    def test_connection_round_trip(self, store: Store) -> None:
        """A saved connection reads back equal, in UTC; unknown realms read None."""
        realm = _realm()
        plus2 = dt.timezone(dt.timedelta(hours=2))
        conn = Connection(
            realm_id=realm,
            environment="sandbox",
            tenant_id="t1",
            company_name="Sandbox Company_US_1",
            connected_at=dt.datetime(2026, 3, 1, 14, 0, tzinfo=plus2),
        )
        store.save_connection(conn)
        found = store.get_connection(realm)
        assert found == conn
        assert found is not None
        assert found.connected_at is not None
        assert found.connected_at.utcoffset() == dt.timedelta(0)
        assert store.get_connection(_realm()) is None

    def test_connection_save_replaces_and_lists_by_tenant(self, store: Store) -> None:
        """Saving again replaces; list_connections filters by tenant, sorted by realm."""
        tenant, other = uuid.uuid4().hex, uuid.uuid4().hex
        realms = sorted([_realm(), _realm()])
        for realm in realms:
            store.save_connection(
                Connection(realm_id=realm, environment="sandbox", tenant_id=tenant)
            )
        store.save_connection(Connection(realm_id=_realm(), environment="sandbox", tenant_id=other))
        changed = Connection(
            realm_id=realms[0],
            environment="sandbox",
            tenant_id=tenant,
            status=ConnectionStatus.NEEDS_REAUTHORIZATION,
            status_reason="invalid_grant",
        )
        store.save_connection(changed)
        listed = store.list_connections(tenant_id=tenant)
        assert [c.realm_id for c in listed] == realms
        assert listed[0] == changed

    def test_concurrent_first_saves_of_one_key_all_succeed(self, store: Store) -> None:
        """Threads saving the same new connection, cursor and run at once: no error, one row."""
        realm, run_id = _realm(), uuid.uuid4().hex
        gate = threading.Barrier(6)
        errors: list[BaseException] = []

        def save(n: int) -> None:
            gate.wait()
            try:
                store.save_connection(
                    Connection(realm_id=realm, environment="sandbox", company_name=f"c{n}")
                )
                store.save_cursor(Cursor(realm_id=realm, entity_type="Invoice", changed_since=T0))
                store.save_run(attrs.evolve(_run(realm, T0), run_id=run_id, message=f"m{n}"))
                store.save_settings(realm, Settings(auto_sync=n % 2 == 0))
            except BaseException as exc:  # reported by the assert below
                errors.append(exc)

        threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert [c.realm_id for c in store.list_connections() if c.realm_id == realm] == [realm]
        assert [c.entity_type for c in store.list_cursors(realm)] == ["Invoice"]
        assert [r.run_id for r in store.list_runs(realm_id=realm)] == [run_id]
        assert store.get_settings(realm) is not None

    def test_delete_realm_forgets_only_that_realm(self, store: Store) -> None:
        """delete_realm removes the realm's rows of every kind and keeps other realms'."""
        gone, kept = _realm(), _realm()
        for realm in (gone, kept):
            store.save_connection(Connection(realm_id=realm, environment="production"))
            store.save_tokens(realm, sample_tokens("x"))
            store.save_links([EntityLink(realm_id=realm, entity_type="Invoice", local_id="1")])
            store.save_cursor(Cursor(realm_id=realm, entity_type="Invoice", changed_since=T0))
            store.save_run(_run(realm, T0))
            store.save_settings(realm, Settings(auto_sync=True))
        store.delete_realm(gone)
        assert store.get_connection(gone) is None
        assert store.get_tokens(gone) is None
        assert store.list_links(gone) == []
        assert store.list_cursors(gone) == []
        assert store.list_runs(realm_id=gone) == []
        assert store.get_settings(gone) is None
        assert store.get_connection(kept) is not None
        assert store.get_tokens(kept) is not None
        assert len(store.list_links(kept)) == 1
        assert len(store.list_runs(realm_id=kept)) == 1

    # tokens ------------------------------------------------------------------

    def test_tokens_first_save_is_version_one(self, store: Store) -> None:
        """The first save (expected 0) gives version 1 and reads back equal."""
        realm = _realm()
        assert store.get_tokens(realm) is None
        saved = store.save_tokens(realm, sample_tokens("a"), expected_version=0)
        assert saved.version == 1
        assert saved.access_token == "access-a"
        assert store.get_tokens(realm) == saved

    def test_tokens_cas_rejects_stale_version(self, store: Store) -> None:
        """A save with an outdated expected version raises ConflictError and changes nothing."""
        realm = _realm()
        first = store.save_tokens(realm, sample_tokens("a"), expected_version=0)
        second = store.save_tokens(realm, sample_tokens("b"), expected_version=first.version)
        assert second.version == 2
        with pytest.raises(ConflictError):
            store.save_tokens(realm, sample_tokens("c"), expected_version=first.version)
        with pytest.raises(ConflictError):
            store.save_tokens(realm, sample_tokens("d"), expected_version=0)
        assert store.get_tokens(realm) == second

    def test_tokens_unconditional_save_bumps_version(self, store: Store) -> None:
        """expected_version=None overwrites whatever is there and still bumps the version."""
        realm = _realm()
        store.save_tokens(realm, sample_tokens("a"))
        saved = store.save_tokens(realm, sample_tokens("b"))
        assert saved.version == 2
        found = store.get_tokens(realm)
        assert found is not None
        assert found.refresh_token == "refresh-b"

    def test_tokens_delete(self, store: Store) -> None:
        """delete_tokens removes the set; a new first save starts at version 1 again."""
        realm = _realm()
        store.save_tokens(realm, sample_tokens("a"))
        store.delete_tokens(realm)
        store.delete_tokens(realm)
        assert store.get_tokens(realm) is None
        assert store.save_tokens(realm, sample_tokens("b"), expected_version=0).version == 1

    def test_tokens_never_in_reprs(self, store: Store) -> None:
        """Neither the token set's nor the store's repr shows a token."""
        realm = _realm()
        saved = store.save_tokens(realm, sample_tokens("s3cr3t"))
        text = repr(saved) + repr(store) + repr(store.get_tokens(realm))
        assert "s3cr3t" not in text

    def test_tokens_cas_between_threads_has_one_winner(self, store: Store) -> None:
        """Threads racing a CAS from the same version: exactly one wins."""
        realm = _realm()
        store.save_tokens(realm, sample_tokens("start"), expected_version=0)
        wins: list[str] = []
        gate = threading.Barrier(6)

        def attempt(tag: str) -> None:
            gate.wait()
            try:
                store.save_tokens(realm, sample_tokens(tag), expected_version=1)
                wins.append(tag)
            except ConflictError:
                pass

        threads = [threading.Thread(target=attempt, args=(f"t{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1
        found = store.get_tokens(realm)
        assert found is not None
        assert (found.version, found.access_token) == (2, f"access-{wins[0]}")

    # links -------------------------------------------------------------------

    def test_links_bulk_round_trip(self, store: Store) -> None:
        """A batch is read back by many local ids and by many QBO ids; misses are absent."""
        realm = _realm()
        links = [_link(realm, str(n), qbo_id=str(1000 + n)) for n in range(30)]
        store.save_links(links)
        by_local = store.get_links(realm, "Invoice", [str(n) for n in range(35)])
        assert by_local == {link.local_id: link for link in links}
        by_qbo = store.get_links_by_qbo_ids(realm, "Invoice", ["1003", "1029", "77"])
        assert set(by_qbo) == {"1003", "1029"}
        assert by_qbo["1003"].local_id == "3"
        assert store.get_links(realm, "Customer", ["1"]) == {}
        assert store.get_links(_realm(), "Invoice", ["1"]) == {}

    def test_links_large_batch(self, store: Store) -> None:
        """2,500 links (more than any one SQL parameter chunk) save and read back in full."""
        realm = _realm()
        links = [_link(realm, f"L{n}", qbo_id=f"Q{n}") for n in range(2500)]
        store.save_links(links)
        assert len(store.get_links(realm, "Invoice", (f"L{n}" for n in range(2500)))) == 2500
        assert (
            len(store.get_links_by_qbo_ids(realm, "Invoice", [f"Q{n}" for n in range(2500)]))
            == 2500
        )

    def test_links_upsert_replaces(self, store: Store) -> None:
        """Saving a link again replaces it; its old QBO id no longer finds it."""
        realm = _realm()
        store.save_links([_link(realm, "1", qbo_id="10", status=LinkStatus.PENDING)])
        updated = _link(realm, "1", qbo_id="11", sync_token="3", fingerprint="f2")
        store.save_links([updated])
        assert store.get_links(realm, "Invoice", ["1"]) == {"1": updated}
        assert store.get_links_by_qbo_ids(realm, "Invoice", ["10"]) == {}
        assert store.get_links_by_qbo_ids(realm, "Invoice", ["11"]) == {"11": updated}

    def test_links_duplicate_qbo_id_fails_whole_batch(self, store: Store) -> None:
        """Two local ids claiming one QBO id raise ConflictError and nothing of the batch lands."""
        realm = _realm()
        store.save_links([_link(realm, "1", qbo_id="10")])
        with pytest.raises(ConflictError):
            store.save_links([_link(realm, "2", qbo_id="20"), _link(realm, "3", qbo_id="10")])
        assert store.get_links(realm, "Invoice", ["2", "3"]) == {}
        assert store.get_links_by_qbo_ids(realm, "Invoice", ["10"])["10"].local_id == "1"

    def test_links_same_ids_in_other_realm_or_entity(self, store: Store) -> None:
        """The same local and QBO ids may exist in another realm or entity type."""
        realm, other = _realm(), _realm()
        a = _link(realm, "1", qbo_id="5")
        b = _link(other, "1", qbo_id="5")
        c = attrs.evolve(_link(realm, "1", qbo_id="5"), entity_type="Customer")
        store.save_links([a, b, c])
        assert store.get_links(realm, "Invoice", ["1"]) == {"1": a}
        assert store.get_links(other, "Invoice", ["1"]) == {"1": b}
        assert store.get_links_by_qbo_ids(realm, "Customer", ["5"]) == {"5": c}

    def test_links_pending_write_fields_survive(self, store: Store) -> None:
        """An in-flight write's requestid, fingerprint and error fields read back intact."""
        realm = _realm()
        link = EntityLink(
            realm_id=realm,
            entity_type="Payment",
            local_id="p-1",
            pending_request_id="7c1f0e6a-req",
            pending_fingerprint="sha256:abc",
            status=LinkStatus.FAILED,
            last_error_code="6240",
            last_error="Duplicate Name Exists Error",
            last_synced_at=T0,
            updated_at=T0 + dt.timedelta(microseconds=7),
        )
        store.save_links([link])
        assert store.get_links(realm, "Payment", ["p-1"]) == {"p-1": link}

    def test_list_links_filters_and_orders(self, store: Store) -> None:
        """list_links filters by type and status (enum or text), orders, limits (below 0: none)."""
        realm = _realm()
        store.save_links(
            [
                _link(realm, "b"),
                _link(realm, "a", status=LinkStatus.FAILED),
                attrs.evolve(_link(realm, "c"), entity_type="Customer"),
            ]
        )
        assert [(k.entity_type, k.local_id) for k in store.list_links(realm)] == [
            ("Customer", "c"),
            ("Invoice", "a"),
            ("Invoice", "b"),
        ]
        assert [k.local_id for k in store.list_links(realm, entity_type="Invoice", limit=1)] == [
            "a"
        ]
        failed = store.list_links(realm, status=LinkStatus.FAILED)
        assert [k.local_id for k in failed] == ["a"]
        assert [k.local_id for k in store.list_links(realm, status="failed")] == ["a"]  # type: ignore[arg-type]
        assert store.list_links(realm, limit=0) == []
        assert store.list_links(realm, limit=-1) == []

    def test_delete_links(self, store: Store) -> None:
        """delete_links removes the given ids, counts only those that existed, frees QBO ids."""
        realm = _realm()
        store.save_links([_link(realm, str(n), qbo_id=str(n)) for n in range(5)])
        assert store.delete_links(realm, "Invoice", ["0", "1", "9"]) == 2
        assert set(store.get_links(realm, "Invoice", [str(n) for n in range(5)])) == {"2", "3", "4"}
        store.save_links([_link(realm, "new", qbo_id="0")])
        assert store.get_links_by_qbo_ids(realm, "Invoice", ["0"])["0"].local_id == "new"

    def test_link_counts(self, store: Store) -> None:
        """link_counts gives synced / pending / failed per entity type of one realm."""
        realm = _realm()
        statuses = [LinkStatus.SYNCED] * 3 + [LinkStatus.PENDING] * 2 + [LinkStatus.FAILED]
        store.save_links(_link(realm, str(n), status=s) for n, s in enumerate(statuses))
        store.save_links([attrs.evolve(_link(realm, "x"), entity_type="Customer")])
        store.save_links([_link(_realm(), "other")])
        assert store.link_counts(realm) == {
            "Customer": LinkCounts(synced=1),
            "Invoice": LinkCounts(synced=3, pending=2, failed=1),
        }

    # cursors -----------------------------------------------------------------

    def test_cursors(self, store: Store) -> None:
        """Cursors save, replace, read back and list by entity type."""
        realm = _realm()
        store.save_cursor(Cursor(realm_id=realm, entity_type="Invoice", changed_since=T0))
        later = Cursor(
            realm_id=realm,
            entity_type="Invoice",
            changed_since=T0 + dt.timedelta(hours=1, microseconds=1),
            updated_at=T0,
        )
        store.save_cursor(later)
        store.save_cursor(Cursor(realm_id=realm, entity_type="Customer", changed_since=T0))
        assert store.get_cursor(realm, "Invoice") == later
        assert store.get_cursor(realm, "Item") is None
        assert [c.entity_type for c in store.list_cursors(realm)] == ["Customer", "Invoice"]

    # runs --------------------------------------------------------------------

    def test_run_round_trip_and_replace(self, store: Store) -> None:
        """A run saved while running and again when done reads back as the final record."""
        realm = _realm()
        running = _run(realm, T0)
        store.save_run(running)
        assert store.get_run(running.run_id) == running
        done = attrs.evolve(
            running,
            status=RunStatus.PARTIAL,
            finished_at=T0 + dt.timedelta(minutes=2),
            counts={"Invoice": EntityCounts(created=3, updated=1, failed=1, skipped=2)},
            failures=[
                RecordFailure(
                    entity_type="Invoice",
                    local_id="inv-9",
                    reason_code="6140",
                    message="Duplicate Document Number Error",
                    intuit_tid="1-5f8a-abc",
                )
            ],
            requests=12,
            throttled_requests=2,
        )
        store.save_run(done)
        assert store.get_run(running.run_id) == done
        assert store.get_run("no-such-run") is None

    def test_list_runs_filters_and_orders(self, store: Store) -> None:
        """list_runs is newest first, filters by realm and start time, limits, can drop failures."""
        realm = _realm()
        runs = [_run(realm, T0 + dt.timedelta(minutes=n), failures=1) for n in range(5)]
        for run in runs:
            store.save_run(run)
        store.save_run(_run(_realm(), T0 + dt.timedelta(hours=1)))
        found = store.list_runs(realm_id=realm)
        assert [r.run_id for r in found] == [r.run_id for r in reversed(runs)]
        recent = store.list_runs(realm_id=realm, since=runs[3].started_at)
        assert [r.run_id for r in recent] == [runs[4].run_id, runs[3].run_id]
        assert len(store.list_runs(realm_id=realm, limit=2)) == 2
        assert store.list_runs(realm_id=realm, limit=-1) == []
        light = store.list_runs(realm_id=realm, include_failures=False)
        assert all(r.failures == () for r in light)
        assert light[0].counts == runs[4].counts

    # settings ----------------------------------------------------------------

    def test_settings_round_trip(self, store: Store) -> None:
        """Settings read back equal; saving again replaces; unknown realms read None."""
        realm = _realm()
        assert store.get_settings(realm) is None
        settings = Settings(
            account_mapping={"income": "79", "accounts_receivable": "84"},
            tax_code_mapping={"VAT20": "3"},
            item_mapping={"sku-1": "19"},
            entities={"Invoice": EntitySettings(enabled=True, direction="push")},
            auto_sync=True,
            sync_from=dt.date(2026, 1, 1),
            expense_entity="Bill",
            tax_calculation="TaxInclusive",
            automated_sales_tax=False,
        )
        store.save_settings(realm, settings)
        assert store.get_settings(realm) == settings
        store.save_settings(realm, Settings())
        assert store.get_settings(realm) == Settings()

    # oauth states ------------------------------------------------------------

    def test_oauth_state_consumed_once(self, store: Store) -> None:
        """A state is returned by the first consume and never again."""
        state = _state(expires_at=T0 + dt.timedelta(minutes=10))
        store.save_oauth_state(state)
        assert store.consume_oauth_state(state.state, now=T0) == state
        assert store.consume_oauth_state(state.state, now=T0) is None

    def test_oauth_state_expired_or_unknown(self, store: Store) -> None:
        """An expired state gives None (and is gone); an unknown one gives None."""
        state = _state(expires_at=T0)
        store.save_oauth_state(state)
        assert store.consume_oauth_state(state.state, now=T0 + dt.timedelta(seconds=1)) is None
        assert store.consume_oauth_state(state.state, now=T0 - dt.timedelta(hours=1)) is None
        assert store.consume_oauth_state(uuid.uuid4().hex, now=T0) is None

    def test_oauth_state_duplicate_and_purge(self, store: Store) -> None:
        """Saving a state twice is a conflict; purge removes only expired states."""
        old = _state(expires_at=T0 - dt.timedelta(days=3650))
        fresh = _state(expires_at=T0 + dt.timedelta(days=3650))
        store.save_oauth_state(old)
        store.save_oauth_state(fresh)
        with pytest.raises(ConflictError):
            store.save_oauth_state(fresh)
        assert store.purge_oauth_states(now=T0) >= 1
        assert store.consume_oauth_state(old.state, now=T0 - dt.timedelta(days=4000)) is None
        assert store.consume_oauth_state(fresh.state, now=T0) == fresh

    def test_oauth_state_race_has_one_winner(self, store: Store) -> None:
        """Threads consuming the same state at once: exactly one gets it."""
        state = _state(expires_at=T0 + dt.timedelta(minutes=10))
        store.save_oauth_state(state)
        got: list[OAuthState | None] = []
        gate = threading.Barrier(5)

        def consume() -> None:
            gate.wait()
            got.append(store.consume_oauth_state(state.state, now=T0))

        threads = [threading.Thread(target=consume) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [g for g in got if g is not None] == [state]

    # multi-process ---------------------------------------------------------------

    def test_token_cas_across_processes(
        self, store: Store, store_factory: StoreFactory, tmp_path: Path
    ) -> None:
        """Spawned processes racing CAS rounds: each round has exactly one winner."""
        self._need_processes()
        realm, rounds = _realm(), 8
        store.save_tokens(realm, sample_tokens("start"), expected_version=0)
        outs = [tmp_path / f"cas-{n}.json" for n in range(3)]
        _spawn(
            cas_worker,
            [(store_factory, str(o), realm, rounds, f"p{n}") for n, o in enumerate(outs)],
        )
        wins = sum(json.loads(o.read_text())["wins"] for o in outs)
        assert wins == rounds
        found = store.get_tokens(realm)
        assert found is not None
        assert found.version == rounds + 1

    def test_link_writes_across_processes(self, store: Store, store_factory: StoreFactory) -> None:
        """Spawned processes writing links at once lose no row (own and shared keys)."""
        self._need_processes()
        realm, workers, batches, size = _realm(), 3, 4, 50
        _spawn(links_worker, [(store_factory, realm, w, batches, size) for w in range(workers)])
        counts = store.link_counts(realm)
        assert counts["Customer"].total == workers * batches * size
        assert counts["Item"].total == size
        shared = store.list_links(realm, entity_type="Item")
        assert {k.fingerprint for k in shared} <= {f"w{w}" for w in range(workers)}


def _link(realm: str, local_id: str, **fields: Any) -> EntityLink:
    return EntityLink(realm_id=realm, entity_type="Invoice", local_id=local_id, **fields)


def _run(realm: str, started: dt.datetime, *, failures: int = 0) -> RunRecord:
    return RunRecord(
        run_id=uuid.uuid4().hex,
        realm_id=realm,
        kind="full",
        direction="push",
        started_at=started,
        counts={"Customer": EntityCounts(created=1)},
        failures=[
            RecordFailure(entity_type="Customer", reason_code="6240", message=f"dup {n}")
            for n in range(failures)
        ],
    )


def _state(*, expires_at: dt.datetime) -> OAuthState:
    return OAuthState(
        state=uuid.uuid4().hex,
        expires_at=expires_at,
        tenant_id="tenant-1",
        user_id="user-1",
        created_at=T0,
        redirect_uri="https://app.example/callback",
        code_verifier="v" * 43,
        extra={"return_to": "/settings"},
    )
