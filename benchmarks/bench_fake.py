"""How fast the fake QBO runs a 10,000-request workload on virtual time, limits on.

Three phases:

1. 10,000 customer creates straight through ``Ledger.handle`` (the engine
   alone: duplicate-name checks and id allocation must stay O(1) per write);
2. the full 10,000-request mix on one realm over ``fake.transport()``:
   customer creates, paged queries, sparse updates and batch requests
   (5 creates each), paced by qbo_sync's RealmPacer on the SAME FakeClock
   (waiting for the per-minute budget costs no wall time);
3. the same 10,000 requests unpaced, backing off 60 virtual seconds on each
   429, to show the fake's throttling.

Each phase prints wall time, virtual time elapsed and the 429 count.
``BENCH_REQUESTS`` shrinks the run (e.g. for a smoke test).

Run: python benchmarks/bench_fake.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from qbo_sync import _json
from qbo_sync.http import RealmPacer
from qbo_sync.testing import FakeClock, FakeQBO
from qbo_sync.testing._fake._ledger import Ledger

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))


def workload(
    send: Callable[[str, str, dict[str, Any] | None, dict[str, str] | None], httpx.Response],
    n: int,
) -> tuple[int, int]:
    """Send ``n`` mixed requests through ``send``; returns (429s, other non-2xx)."""
    created: list[dict[str, Any]] = []
    throttled = failed = 0
    for i in range(n):
        step = i % 10
        if step in (0, 1, 2, 3):
            response = send("POST", "customer", {"DisplayName": f"Bench Customer {i}"}, None)
            if response.status_code == 200:
                created.append(response.json()["Customer"])
        elif step in (4, 5, 6) or not created:
            query = f"select * from Customer startposition {1 + (i % 50)} maxresults 20"
            response = send("GET", "query", None, {"query": query})
        elif step in (7, 8):
            target = created[i % len(created)]
            payload = {
                "Id": target["Id"],
                "SyncToken": target["SyncToken"],
                "sparse": True,
                "Notes": f"update {i}",
            }
            response = send("POST", "customer", payload, None)
            if response.status_code == 200:
                created[i % len(created)] = response.json()["Customer"]
        else:
            items = [
                {"bId": f"b{k}", "operation": "create", "Customer": {"DisplayName": f"B {i}-{k}"}}
                for k in range(5)
            ]
            response = send("POST", "batch", {"BatchItemRequest": items}, None)
        if response.status_code == 429:
            throttled += 1
        elif response.status_code >= 300:
            failed += 1
    return throttled, failed


def engine_creates(requests: int = REQUESTS) -> None:
    """Phase 1: customer creates through the ledger alone."""
    clock = FakeClock()
    ledger = Ledger(clock=clock.now)
    realm = ledger.add_company()
    started = time.perf_counter()
    for i in range(requests):
        body = _json.dumps({"DisplayName": f"Engine Customer {i}"})
        response = ledger.handle(realm, "POST", "customer", {}, body)
        assert response.status == 200, response.body
    wall = time.perf_counter() - started
    print(f"{requests} customer creates through Ledger.handle:")
    print(f"  wall time      {wall:8.2f} s  ({requests / wall:,.0f} creates/s)")
    print(f"  virtual time   {clock.elapsed:8.0f} s   (no limits in the engine)")
    print("  429 responses         0")


def run(*, paced: bool, requests: int = REQUESTS) -> None:
    clock = FakeClock()
    fake = FakeQBO(clock=clock)
    realm = fake.add_company(company_name="Bench Co")
    token = fake.issue_access_token(realm, lifetime=10 * 86400)
    pacer = RealmPacer(clock=clock.monotonic, sleep=clock.sleep)
    client = httpx.Client(
        transport=fake.transport(),
        base_url=f"https://sandbox-quickbooks.api.intuit.com/v3/company/{realm}/",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )

    def send(
        method: str, path: str, body: dict[str, Any] | None, params: dict[str, str] | None
    ) -> httpx.Response:
        content = _json.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        if paced:
            with pacer.slot(realm, batch=path == "batch"):
                return client.request(method, path, content=content, params=params, headers=headers)
        response = client.request(method, path, content=content, params=params, headers=headers)
        if response.status_code == 429:
            clock.sleep(60)  # the limits page says: wait 60 s
        return response

    started = time.perf_counter()
    throttled, failed = workload(send, requests)
    wall = time.perf_counter() - started
    label = "paced by RealmPacer" if paced else "unpaced, 60 s back-off on 429"
    print(f"{requests} requests ({label}):")
    print(f"  wall time      {wall:8.2f} s  ({requests / wall:,.0f} requests/s)")
    print(f"  virtual time   {clock.elapsed:8.0f} s  ({clock.elapsed / 60:.1f} min)")
    print(f"  429 responses  {throttled:8d}   (fake counted {fake.stats.throttled})")
    print(f"  other errors   {failed:8d}")
    print(f"  committed writes {fake.stats.writes}, requests by kind {dict(fake.stats.requests)}")


if __name__ == "__main__":
    total = time.perf_counter()
    engine_creates()
    run(paced=True)
    run(paced=False)
    print(f"total wall time {time.perf_counter() - total:.2f} s")
