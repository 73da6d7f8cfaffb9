"""Chaos: a few hundred records pushed through faults and process deaths, several seeds.

QBO answers about 5% of requests with a 500, a 503, a 429, a timeout or a
commit-then-drop; the process is killed at random points (at the n-th HTTP
request or the n-th ``save_links``, before or after the real call). Each kill
throws the engine and client away; a new engine on the same store (and the
same fake QBO) pushes again, until a push reports success. Then QBO must hold
exactly one object per local record, every record must be linked, and the
last run's counts must add up. Everything runs on virtual time.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from qbo_sync import MemoryStore, SQLiteStore, SyncEngine
from qbo_sync.errors import QBOError
from qbo_sync.storage import EntityLink, LinkStatus, RunStatus, Store
from qbo_sync.sync import DEFAULT_ITEM_ID, SyncReport
from qbo_sync.testing import (
    CrashingTransport,
    CrashPoint,
    FakeClock,
    FakeQBO,
    Fault,
    SimulatedCrash,
    audit_book,
    book_baseline,
    sample_book,
)

from .conftest import make_client, make_engine

FAULTS = (
    Fault(kind="error", status=500),
    Fault(kind="error", status=503),
    Fault(kind="throttle"),
    Fault(kind="timeout"),
    Fault(kind="timeout", commit=True),
    Fault(kind="drop"),
)


@attrs.define
class Chaos:
    """What a chaos run did."""

    runs: int = 0
    kills: int = 0
    aborted: int = 0  # pushes that raised a QBOError instead of reporting
    reports: list[SyncReport] = attrs.Factory(list)


def push_until_success(
    fake: FakeQBO, clock: FakeClock, realm: str, open_store: Callable[[], Store],
    records: list[Any], *, rng: random.Random, kills: int, max_in_flight: int, batch_size: int,
    max_runs: int = 40,
) -> Chaos:
    """Push ``records`` with a new engine per run, killing up to ``kills`` runs at random points."""
    chaos = Chaos()
    while chaos.runs < max_runs:
        chaos.runs += 1
        store = open_store()
        transport: httpx.BaseTransport = fake.transport()
        with contextlib.ExitStack() as dying:  # the next process has a working store
            if chaos.kills < kills:
                # Die at the n-th request or the n-th save_links (a later point may not come).
                at_request = rng.random() < 0.5
                killer = CrashPoint(rng.randrange(1, 16 if at_request else 8),
                                    after=rng.random() < 0.5)
                if at_request:
                    transport = CrashingTransport(transport, point=killer)
                else:
                    dying.enter_context(killer.saves_of(store))
            try:
                with make_client(fake, clock, realm, transport=transport) as client:
                    engine = SyncEngine(client=client, store=store, clock=clock.now,
                                        max_in_flight=max_in_flight, batch_size=batch_size)
                    report = engine.push(records)
            except SimulatedCrash:
                chaos.kills += 1
                continue
            except QBOError:
                chaos.aborted += 1  # a worker would be retried by its job queue: like a kill
                continue
        chaos.reports.append(report)
        if report.status is RunStatus.SUCCESS:
            return chaos
    pytest.fail(f"no successful push in {max_runs} runs: {chaos}")


def assert_book_in_qbo(fake: FakeQBO, realm: str, store: Store, book: Any,
                       seeded: Counter[str], final: SyncReport) -> None:
    """One QBO object per local record, each record linked once, the last run adding up."""
    audit = audit_book(fake, realm, store, book, baseline=seeded)
    assert audit.ok, audit.problems
    for entity, local in book.by_entity().items():
        # The last run gave each record one outcome, and its counts add up.
        outcomes = Counter(o.local_id or "" for o in final.outcomes
                           if o.entity == entity and o.local_id != DEFAULT_ITEM_ID)
        assert sorted(outcomes) == sorted(local), entity
        assert set(outcomes.values()) == {1}, entity
        c = final.counts[entity]
        assert c.failed == 0
        default_item = 1 if final.outcome(entity, DEFAULT_ITEM_ID) else 0
        assert c.created + c.updated + c.matched + c.skipped == len(local) + default_item, entity


def test_a_crash_point_counts_link_saves_and_gives_the_store_back() -> None:
    """saves_of: the n-th save dies before (links lost) or after (links kept) saving; every
    later save dies too; after the block the store saves normally again."""

    def link(n: int) -> EntityLink:
        return EntityLink(realm_id="r", entity_type="Customer", local_id=f"c{n}",
                          qbo_id=str(n), status=LinkStatus.SYNCED)

    for after, kept in ((False, ["c1"]), (True, ["c1", "c2"])):
        store = MemoryStore()
        point = CrashPoint(2, after=after)
        with point.saves_of(store):
            store.save_links([link(1)])
            with pytest.raises(SimulatedCrash):
                store.save_links([link(2)])
            with pytest.raises(SimulatedCrash, match="dead"):
                store.save_links([link(3)])
        assert sorted(store.get_links("r", "Customer", ["c1", "c2", "c3"])) == kept
        store.save_links([link(3)])
        assert "c3" in store.get_links("r", "Customer", ["c3"])


def test_the_audit_sees_a_duplicate_an_unlinked_record_and_a_pending_write(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str
) -> None:
    """audit_book is clean after a push, and counts what a broken push would leave."""
    book = sample_book(customers=4, items=2, invoices=3, payments=1, credit_memos=1,
                       vendors=2, expenses=3)
    before = book_baseline(fake_qbo, qbo_realm_id, book)
    store = MemoryStore()
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        make_engine(client, store, qbo_clock).push(book.records())
    clean = audit_book(fake_qbo, qbo_realm_id, store, book, baseline=before)
    assert (clean.ok, clean.duplicates, clean.unlinked, clean.problems) == (True, 0, 0, ())
    fake_qbo.seed(qbo_realm_id, "Customer", {"DisplayName": "A second copy"})
    [vendor_link] = store.get_links(qbo_realm_id, "Vendor", [book.vendors[0].id]).values()
    store.delete_links(qbo_realm_id, "Vendor", [vendor_link.local_id])
    [bill_id] = book.by_entity()["Bill"][:1]
    bill = store.get_links(qbo_realm_id, "Bill", [bill_id])[bill_id]
    store.save_links([attrs.evolve(bill, pending_request_id="rid:1")])
    broken = audit_book(fake_qbo, qbo_realm_id, store, book, baseline=before)
    assert (broken.duplicates, broken.unlinked, broken.pending) == (1, 1, 1)
    assert not broken.ok
    assert [p.split(":")[0] for p in broken.problems] == ["Customer", "Vendor", "Bill"]


def clean_writes(book: Any) -> int:
    """Changes QBO commits for one clean push of ``book`` (a payment changes its invoice too)."""
    clock = FakeClock()
    fake = FakeQBO(clock=clock)
    realm = fake.add_company(company_name="Calm Inc")
    with make_client(fake, clock, realm) as client:
        report = make_engine(client, MemoryStore(), clock).push(book.records())
    assert report.status is RunStatus.SUCCESS
    return fake.stats.writes


@pytest.mark.parametrize(
    ("seed", "max_in_flight", "batch_size", "backend"),
    [(1, 1, 10, "memory"), (2, 3, 10, "memory"), (3, 1, 30, "sqlite"), (4, 4, 7, "memory")],
)
def test_chaos_push_ends_with_one_object_per_record(
    tmp_path: Path, seed: int, max_in_flight: int, batch_size: int, backend: str
) -> None:
    """Faults and kills at random points: the book still lands in QBO exactly once.

    The same seed gives the same faults, kill points and records. After the
    first successful push, every local record is linked (synced, nothing
    pending) to its own QBO object, QBO holds no object beyond those (and its
    seeded items plus the default service item), no write was committed
    twice, and the last run gave each record exactly one outcome.
    """
    rng = random.Random(seed)
    clock = FakeClock()
    fake = FakeQBO(clock=clock, seed=seed)
    realm = fake.add_company(company_name="Chaos Inc")
    book = sample_book(customers=60, items=8, invoices=150, payments=50, credit_memos=10,
                       vendors=6, expenses=40, seed=seed)
    seeded = book_baseline(fake, realm, book)
    memory = MemoryStore()

    def open_store() -> Store:
        if backend == "memory":
            return memory
        return SQLiteStore(tmp_path / "qbo_sync.db")  # a new process opens the database again

    with make_client(fake, clock, realm) as client:
        make_engine(client, open_store(), clock)  # the product maps its accounts once

    fake.faults.random(0.05, kinds=FAULTS)
    chaos = push_until_success(fake, clock, realm, open_store, book.records(), rng=rng,
                               kills=8, max_in_flight=max_in_flight, batch_size=batch_size)
    assert chaos.kills >= 3
    assert fake.stats.faults_injected > 0
    assert_book_in_qbo(fake, realm, open_store(), book, seeded, chaos.reports[-1])
    # Nothing was committed twice: as many changes as one clean push of the book makes.
    assert fake.stats.writes == clean_writes(book)
    # And the next push finds nothing to do.
    fake.faults.clear()
    with make_client(fake, clock, realm) as client:
        again = SyncEngine(client=client, store=open_store(), clock=clock.now).push(book.records())
    assert again.status is RunStatus.SUCCESS
    assert again.write_requests == 0
    assert again.total("skipped") == len(book)
