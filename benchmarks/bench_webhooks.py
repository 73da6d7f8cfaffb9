"""Microseconds per handled webhook delivery (verify + parse + dedup + callback).

Run: ``python benchmarks/bench_webhooks.py``. Intuit wants an answer within
3 seconds; these figures show how little of that the handler uses.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from qbo_sync.webhooks import MemoryDeduplicator, WebhookHandler, compute_signature

TOKEN = "bench-verifier-token"
ROUNDS = 2_000


def cloudevents_body(count: int) -> bytes:
    return json.dumps(
        [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "intuit.bench",
                "type": "qbo.invoice.updated.v1",
                "datacontenttype": "application/json",
                "time": "2026-01-15T10:20:30.123456789Z",
                "intuitentityid": str(1000 + i),
                "intuitaccountid": "9341452000000000",
                "data": {},
            }
            for i in range(count)
        ]
    ).encode()


def legacy_body(count: int) -> bytes:
    entities = [
        {
            "name": "Invoice",
            "id": str(1000 + i),
            "operation": "Update",
            "lastUpdated": f"2026-01-15T10:20:{i % 60:02d}.000Z",
        }
        for i in range(count)
    ]
    return json.dumps(
        {
            "eventNotifications": [
                {"realmId": "9341452000000000", "dataChangeEvent": {"entities": entities}}
            ]
        }
    ).encode()


def measure(label: str, make_body: Callable[[int], bytes], count: int) -> None:
    # Fresh bodies (new ids) so every round delivers, then one body redelivered
    # to time the duplicate path.
    base = make_body(count)
    if b"eventNotifications" in base:
        # Legacy ids derive from content; vary the realm to keep them fresh.
        bodies = [
            base.replace(b"9341452000000000", str(10**15 + r).encode()) for r in range(ROUNDS)
        ]
    else:
        bodies = [make_body(count) for _ in range(ROUNDS)]
    handler = WebhookHandler(
        verifier_token=TOKEN,
        on_events=lambda events: None,
        deduplicator=MemoryDeduplicator(max_events=ROUNDS * count + 10),
    )
    signed = [(b, {"intuit-signature": compute_signature(b, TOKEN)}) for b in bodies]
    start = time.perf_counter()
    for body, headers in signed:
        result = handler.handle(body, headers)
    elapsed = time.perf_counter() - start
    assert result.status == 200
    assert len(result.events) == count
    body, headers = signed[0]
    start = time.perf_counter()
    for _ in range(ROUNDS):
        dup = handler.handle(body, headers)
    dup_elapsed = time.perf_counter() - start
    assert len(dup.duplicates) == count
    print(
        f"{label:<22} {count:>4} event(s): {elapsed / ROUNDS * 1e6:9.1f} us/delivery new, "
        f"{dup_elapsed / ROUNDS * 1e6:9.1f} us/delivery duplicate, "
        f"{len(body):>6} bytes"
    )


def main() -> None:
    for count in (1, 100):
        measure("cloudevents", cloudevents_body, count)
        measure("legacy", legacy_body, count)


if __name__ == "__main__":
    main()
