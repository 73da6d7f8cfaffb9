"""Chaos at full size: a demo-sized push through faults and process deaths (issue 9).

``sample_book(customers=2000, items=100, invoices=6000, payments=2000,
credit_memos=200, vendors=100, expenses=1000)`` is pushed into an empty fake
company while QBO answers 5% of requests with a 500, a 503, a 429, a timeout
(with or without the write committed) or a commit-then-drop, and the "process"
is killed at random points: at the n-th HTTP request or the n-th
``save_links``, before or after the real call. After each kill a new client and
engine on the same store push again, until a push reports success. Then it
prints kills, runs needed, injected faults, requests, wall and virtual time,
duplicates in QBO and unlinked local records (both must be 0; the script exits
1 otherwise).

Everything runs on virtual time (a FakeClock drives the fake, the pacer and
the retries), one batch in flight. ``tests/sync/test_chaos.py`` runs the same
scenario at a few hundred records for several seeds in CI.

Run: python benchmarks/bench_sync_chaos.py [--small] [--seed N] [--kills N]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Sequence

import httpx

from qbo_sync import MemoryStore, QBOClient, SyncEngine
from qbo_sync.errors import QBOError
from qbo_sync.http import RealmPacer, RetryPolicy
from qbo_sync.storage import LinkStatus, RunStatus
from qbo_sync.sync import DEFAULT_ITEM_ID, SyncReport
from qbo_sync.testing import (
    CrashingTransport,
    CrashPoint,
    FakeClock,
    FakeQBO,
    Fault,
    SampleBook,
    SimulatedCrash,
    audit_book,
    book_baseline,
    sample_book,
)

YEAR = 365 * 24 * 3600.0
FAULTS = (
    Fault(kind="error", status=500),
    Fault(kind="error", status=503),
    Fault(kind="throttle"),
    Fault(kind="timeout"),
    Fault(kind="timeout", commit=True),
    Fault(kind="drop"),
)


def client_for(fake: FakeQBO, clock: FakeClock, realm: str,
               transport: httpx.BaseTransport) -> QBOClient:
    return QBOClient(
        realm_id=realm, environment="sandbox",
        access_token=fake.issue_access_token(realm, lifetime=YEAR), transport=transport,
        pacer=RealmPacer(clock=clock.monotonic, sleep=clock.sleep),
        retry=RetryPolicy(sleep=clock.sleep), clock=clock.now,
    )


def unsynced(store: MemoryStore, realm: str, records: int) -> int:
    synced = store.list_links(realm, status=LinkStatus.SYNCED)
    return records - sum(link.local_id != DEFAULT_ITEM_ID for link in synced)


def chaos(book: SampleBook, *, seed: int, kills: int, rate: float) -> bool:
    rng = random.Random(seed)
    clock = FakeClock()
    fake = FakeQBO(clock=clock, seed=seed)
    realm = fake.add_company(company_name="Chaos Plumbing")
    seeded = book_baseline(fake, realm, book)
    store = MemoryStore()
    with client_for(fake, clock, realm, fake.transport()) as client:
        engine = SyncEngine(client=client, store=store, clock=clock.now)
        engine.map_accounts(**engine.suggest_accounts())
    records = book.records()
    print(f"chaos push (seed {seed}): {len(records):,} local records "
          f"({len(book.customers)} customers, {len(book.items)} items, "
          f"{len(book.invoices)} invoices, {len(book.payments)} payments, "
          f"{len(book.credit_memos)} credit memos, {len(book.vendors)} vendors, "
          f"{len(book.expenses)} expenses); {rate:.0%} faults, up to {kills} kills")
    fake.faults.random(rate, kinds=FAULTS)
    killed = aborted = runs = 0
    wall = time.perf_counter()
    start_virtual = clock.elapsed
    report: SyncReport | None = None
    while runs < 100:
        runs += 1
        transport: httpx.BaseTransport = fake.transport()
        with contextlib.ExitStack() as dying:
            if killed < kills:
                # A kill point within the work left: a batch of 30 a request plus a few
                # reads, two link saves a batch.
                batches = unsynced(store, realm, len(records)) // 30 + 1
                at_request = rng.random() < 0.5
                killer = CrashPoint(
                    rng.randrange(1, batches + 10 if at_request else 2 * batches + 2),
                    after=rng.random() < 0.5)
                if at_request:
                    transport = CrashingTransport(transport, point=killer)
                else:
                    dying.enter_context(killer.saves_of(store))
            try:
                with client_for(fake, clock, realm, transport) as client:
                    report = SyncEngine(client=client, store=store, clock=clock.now).push(records)
            except SimulatedCrash:
                killed += 1
                continue
            except QBOError as exc:
                aborted += 1
                print(f"  run {runs} raised {type(exc).__name__}: {exc.message}")
                continue
        print(f"  run {runs}: {report.status.value}, created {report.total('created'):,}, "
              f"recovered {sum(o.reason == 'recovered' for o in report.outcomes):,}, "
              f"failed {report.total('failed'):,}, skipped {report.total('skipped'):,}")
        if report.status is RunStatus.SUCCESS:
            break
    wall = time.perf_counter() - wall
    virtual = clock.elapsed - start_virtual
    audit = audit_book(fake, realm, store, book, baseline=seeded)
    stats = fake.stats
    status = report.status if report is not None else RunStatus.FAILED
    print(f"  kills {killed}; runs needed {runs} (pushes that raised {aborted}); "
          f"final status {status.value}")
    print(f"  injected faults {stats.faults_injected:,}; requests {stats.total:,} "
          f"({dict(sorted(stats.requests.items()))}); 429s {stats.throttled}")
    print(f"  wall time {wall:.1f} s; virtual time {virtual / 60:.1f} min")
    print(f"  duplicates {audit.duplicates} (must be 0); unlinked records {audit.unlinked} "
          f"(must be 0); pending {audit.pending}")
    for problem in audit.problems:
        print(f"  {problem}")
    return status is RunStatus.SUCCESS and audit.ok


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--seed", type=int, default=1, help="faults, kill points, records")
    parser.add_argument("--kills", type=int, default=10, help="how many runs to kill")
    parser.add_argument("--rate", type=float, default=0.05, help="share of requests faulted")
    args = parser.parse_args(argv)
    scale = 10 if args.small else 1
    book = sample_book(customers=2000 // scale, items=100 // scale, invoices=6000 // scale,
                       payments=2000 // scale, credit_memos=200 // scale,
                       vendors=100 // scale, expenses=1000 // scale, seed=args.seed)
    if not chaos(book, seed=args.seed, kills=args.kills, rate=args.rate):
        sys.exit(1)


if __name__ == "__main__":
    main()
