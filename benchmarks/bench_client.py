"""How many requests the client needs for bulk work, counted on an in-process QBO.

Prints:
- requests to create 1,000 customers through batch (target <= 34: 30 per request),
  on qbo_sync.testing.FakeQBO when importable;
- requests to read 10,000 customers with automatic paging (target <= 11: 1,000 per
  page), on a small in-benchmark query store;
plus wall time for each. Requests are counted by a wrapping transport.
Last, 200 single reads on FakeQBO: QBOClient in sequence, AsyncQBOClient (on the
fake's ASGI app) in sequence and 10 at a time.

Run: python benchmarks/bench_client.py
"""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal
from typing import Any

import httpx

from qbo_sync import _json, models
from qbo_sync.client import AsyncQBOClient, BatchOperation, QBOClient
from qbo_sync.http import RealmPacer, RetryPolicy


class Counting(httpx.BaseTransport):
    """Counts the requests that pass through to ``inner``."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return self.inner.handle_request(request)


def make_client(transport: httpx.BaseTransport, realm_id: str, token: str) -> QBOClient:
    # The budget is QBO's, but the in-process fake answers at once; a virtual
    # pacer clock would hide nothing here, so limits are off to time the client.
    pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None, max_in_flight=None)
    return QBOClient(realm_id=realm_id, environment="sandbox", access_token=token,
                     transport=transport, pacer=pacer, retry=RetryPolicy(max_attempts=1))


def fake_transport() -> tuple[httpx.BaseTransport, str, str, str]:
    try:
        from qbo_sync.testing import FakeQBO  # noqa: PLC0415 - optional: fall back without it
    except ImportError:
        return paging_store(0), "9130355377293516", "bench-token", "counting store"
    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Bench Co")
    return fake.transport(), realm, fake.issue_access_token(realm), "FakeQBO"


def paging_store(total: int) -> httpx.BaseTransport:
    """A minimal QBO query/batch endpoint over ``total`` generated customers.

    Used for the 10,000-customer read: filling FakeQBO with 10,000 customers
    through its API takes most of a minute on this machine (its name-uniqueness
    check is per object), which would swamp the figure measured here.
    """
    rows = [{"Id": str(i), "SyncToken": "0", "DisplayName": f"Customer {i:05d}",
             "Balance": Decimal("0.00")} for i in range(1, total + 1)]
    paging = re.compile(r"STARTPOSITION (\d+) MAXRESULTS (\d+)")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch"):
            items = _json.loads(request.content)["BatchItemRequest"]
            out = [{"bId": i["bId"], "Customer": {"Id": i["bId"], "SyncToken": "0",
                                                  **i["Customer"]}} for i in items]
            return httpx.Response(200, content=_json.dumps({"BatchItemResponse": out}))
        statement = request.url.params["query"]
        if statement.startswith("SELECT COUNT(*)"):
            body: dict[str, Any] = {"QueryResponse": {"totalCount": total}}
        else:
            match = paging.search(statement)
            assert match is not None
            start, size = int(match[1]), int(match[2])
            page = rows[start - 1 : start - 1 + size]
            body = {"QueryResponse": {"Customer": page, "startPosition": start,
                                      "maxResults": len(page)} if page else {}}
        return httpx.Response(200, content=_json.dumps(body), headers={"intuit_tid": "bench"})

    return httpx.MockTransport(handler)


def main() -> None:
    transport, realm, token, label = fake_transport()
    counting = Counting(transport)
    with make_client(counting, realm, token) as client:
        ops = [BatchOperation.create(models.Customer(display_name=f"Bench Customer {i:05d}"),
                                     key=i) for i in range(1000)]
        start = time.perf_counter()
        result = client.batch(ops)
        elapsed = time.perf_counter() - start
        print(f"create 1,000 customers via batch ({label}): {counting.count} requests "
              f"(target <= 34), {len(result.failed)} failed, {elapsed:.2f} s")

    counting = Counting(paging_store(10_000))
    with make_client(counting, realm, token) as client:
        start = time.perf_counter()
        n = sum(1 for _ in client.customers.query())
        elapsed = time.perf_counter() - start
        print(f"read {n:,} customers with auto-paging (counting store): {counting.count} "
              f"requests (target <= 11), {elapsed:.2f} s")

    compare_async(200)


def compare_async(n: int) -> None:
    """``n`` reads of one customer: the sync client, then the async one (serial, concurrent)."""
    try:
        from qbo_sync.testing import FakeQBO  # noqa: PLC0415 - optional, as above
    except ImportError:
        return
    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Bench Co")
    token = fake.issue_access_token(realm)
    with make_client(fake.transport(), realm, token) as client:
        cid = client.customers.create(models.Customer(display_name="Read Me")).id
        start = time.perf_counter()
        for _ in range(n):
            client.customers.get(cid)
        sync_s = time.perf_counter() - start

    async def run() -> tuple[float, float]:
        pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None,
                           max_in_flight=None)
        async with AsyncQBOClient(
            realm_id=realm, environment="sandbox", access_token=token, pacer=pacer,
            transport=httpx.ASGITransport(app=fake.asgi_app), retry=RetryPolicy(max_attempts=1),
        ) as aclient:
            start = time.perf_counter()
            for _ in range(n):
                await aclient.customers.get(cid)
            serial = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(n // 10):
                await asyncio.gather(*(aclient.customers.get(cid) for _ in range(10)))
            return serial, time.perf_counter() - start

    async_serial, async_gather = asyncio.run(run())
    print(f"{n} reads on FakeQBO: sync {sync_s:.2f} s; async over ASGI {async_serial:.2f} s "
          f"in sequence, {async_gather:.2f} s ten at a time")


if __name__ == "__main__":
    main()
