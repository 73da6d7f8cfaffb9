"""The sync engine on a demo-sized book, against the fake QBO with QBO's real limits.

Three figures (issue 9), all on virtual time (a FakeClock drives the fake, the
pacer and the retries, so waiting for QBO's budget costs no wall time):

1. **Push** of ``sample_book(customers=2000, items=100, invoices=6000,
   payments=2000, credit_memos=200, vendors=100, expenses=1000)`` into an
   empty company: requests, batch write requests, writes per request, virtual
   time against the bound of 1,200 batched writes a minute (40 batch requests
   of 30), 429s drawn, wall time; then the vendors and expenses alone, into
   another empty company (their own requests and writes).
2. **The same push again**, nothing changed: write requests (must be 0), records
   skipped, read requests needed.
3. **Pull of N QBO-created customers** (default 100,000) into a sink that keeps
   nothing: peak memory traced in the pulling process (tracemalloc), for N/10
   and N, to show it is flat (objects are streamed a page at a time). The fake
   runs in a child process over loopback HTTP, so its own memory is not counted.
   The report keeps counts for all and outcomes for the first 1,000 records
   (``outcome_limit=1000``; the default, 50,000, would hold ~9 MiB of outcomes).

The push runs one batch in flight (``max_in_flight=1``): with a virtual clock,
concurrent sleepers would each advance time, overstating it. Real runs gain
from more in flight only when QBO's answer time, not the 40-a-minute budget,
is the bottleneck.

Run: python benchmarks/bench_sync.py [--small]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

from qbo_sync import MemoryStore, QBOClient, SyncEngine
from qbo_sync.http import RealmPacer, RetryPolicy
from qbo_sync.sync import Change, SyncReport
from qbo_sync.testing import FakeClock, FakeQBO, sample_book

YEAR = 365 * 24 * 3600.0


def setup(limits: bool = True) -> tuple[FakeClock, FakeQBO, str, QBOClient]:
    clock = FakeClock()
    fake = FakeQBO(clock=clock, limits=limits)
    realm = fake.add_company(company_name="Bench Plumbing")
    client = QBOClient(
        realm_id=realm, environment="sandbox",
        access_token=fake.issue_access_token(realm, lifetime=YEAR),
        transport=fake.transport(),
        pacer=RealmPacer(clock=clock.monotonic, sleep=clock.sleep),
        retry=RetryPolicy(sleep=clock.sleep), clock=clock.now,
    )
    return clock, fake, realm, client


def _push_book(label: str, book: Any) -> None:
    """Push ``book`` into an empty company twice and print the figures."""
    clock, _fake, _realm, client = setup()
    engine = SyncEngine(client=client, store=MemoryStore(), clock=clock.now, max_in_flight=1)
    engine.map_accounts(**engine.suggest_accounts())
    records = book.records()
    print(f"{label}: {len(records):,} local records "
          f"({len(book.customers)} customers, {len(book.items)} items, "
          f"{len(book.invoices)} invoices, {len(book.payments)} payments, "
          f"{len(book.credit_memos)} credit memos, {len(book.vendors)} vendors, "
          f"{len(book.expenses)} expenses)")
    start_virtual = clock.elapsed
    wall = time.perf_counter()
    first = engine.push(records)
    wall = time.perf_counter() - wall
    virtual = clock.elapsed - start_virtual
    writes = first.total("created") + first.total("updated")
    bound = writes / 1200 * 60
    print(f"  first push: status {first.status.value}, {writes:,} writes, "
          f"{first.total('failed')} failed")
    spent = {e: first.counts[e].created for e in ("Vendor", "Purchase", "Bill")
             if e in first.counts}
    print("  of which " + ", ".join(f"{n:,} {e}" for e, n in spent.items()))
    print(f"  requests {first.requests:,} (batch writes {first.write_requests:,}, "
          f"reads {first.requests - first.write_requests:,}); "
          f"writes per batch request {writes / max(1, first.write_requests):.1f}")
    print(f"  virtual time {virtual / 60:.2f} min; bound at 1,200 writes/min "
          f"{bound / 60:.2f} min; ratio {virtual / bound:.3f}")
    print(f"  429s drawn {first.throttled}; wall time {wall:.1f} s")
    wall = time.perf_counter()
    second = engine.push(records)
    wall = time.perf_counter() - wall
    print(f"  second push: write requests {second.write_requests}, "
          f"skipped {second.total('skipped'):,} of {len(records):,}, "
          f"read requests {second.requests - second.write_requests}, wall time {wall:.1f} s")


def bench_push(small: bool) -> None:
    scale = 10 if small else 1
    _push_book("push", sample_book(
        customers=2000 // scale, items=100 // scale, invoices=6000 // scale,
        payments=2000 // scale, credit_memos=200 // scale, vendors=100 // scale,
        expenses=1000 // scale))
    _push_book("push of vendors and expenses alone", sample_book(
        customers=0, items=0, invoices=0, payments=0, credit_memos=0, vendors=100 // scale,
        expenses=1000 // scale))


class CountingSink:
    """Keeps nothing: the product stored the changes elsewhere."""

    def __init__(self) -> None:
        self.count = 0

    def apply(self, changes: Sequence[Change]) -> dict[str, str]:
        self.count += len(changes)
        return {}


#: Runs in a child process: a fake holding N customers, served on loopback HTTP,
#: so the parent measures the library's memory and not the fake's.
SERVER = """
import json, sys
from qbo_sync.testing import FakeQBO, FakeQBOServer
fake = FakeQBO(limits=False)
realm = fake.add_company(company_name="Bench")
for i in range(int(sys.argv[1])):
    fake.seed(realm, "Customer", {"DisplayName": f"QBO customer {i}",
                                  "PrimaryEmailAddr": {"Address": f"c{i}@example.com"}})
with FakeQBOServer(fake) as server:
    token = fake.issue_access_token(realm, lifetime=86400.0)
    print(json.dumps({"url": server.base_url, "realm": realm, "token": token}), flush=True)
    sys.stdin.read()
"""


def _pull_once(info: dict[str, str], *, traced: bool) -> tuple[SyncReport, int, float, int]:
    """One pull into a fresh store: (report, delivered, wall seconds, peak traced bytes)."""
    client = QBOClient(realm_id=info["realm"], base_url=info["url"], access_token=info["token"])
    with SyncEngine(client=client, store=MemoryStore(), owns_client=True,
                    outcome_limit=1000) as engine:
        sink = CountingSink()
        gc.collect()
        if traced:
            tracemalloc.start()
        wall = time.perf_counter()
        report = engine.pull(sink, entities=["Customer"])
        wall = time.perf_counter() - wall
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
    return report, sink.count, wall, peak


def bench_pull(n: int) -> None:
    child = subprocess.Popen([sys.executable, "-c", SERVER, str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())
        report, delivered, wall, _ = _pull_once(info, traced=False)
        _, _, traced_wall, peak = _pull_once(info, traced=True)
    finally:
        child.communicate(input="", timeout=60)
    print(f"  pull of {n:,} QBO-created customers over loopback HTTP: delivered "
          f"{delivered:,}, requests {report.requests}, wall {wall:.1f} s; "
          f"peak traced memory of the puller {peak / 2**20:.1f} MiB "
          f"(a second pull under tracemalloc, {traced_wall:.1f} s)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes")
    args = parser.parse_args(argv)
    bench_push(args.small)
    n = 10_000 if args.small else 100_000
    print("pull (memory must stay flat as the pull grows tenfold):")
    for size in (n // 10, n):
        bench_pull(size)


if __name__ == "__main__":
    main()


__all__: list[Any] = []
