"""Storage throughput: links written/read per second, and a 1,000-record run write.

    python benchmarks/bench_storage.py

SQLite runs in a temp folder. PostgreSQL runs when QBO_SYNC_TEST_POSTGRES_URL is
set (scripts/start-postgres.sh prints one), in a throw-away schema.
Target: at least 20,000 links/s on SQLite.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from qbo_sync.storage import (
    EntityCounts,
    EntityLink,
    LinkStatus,
    MemoryStore,
    RecordFailure,
    RunRecord,
    SQLAlchemyStore,
    SQLiteStore,
    Store,
    TokenCipher,
)

N_LINKS = 10_000
BATCH = 1_000
N_FAILURES = 1_000
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def links(realm: str) -> list[EntityLink]:
    return [
        EntityLink(
            realm_id=realm,
            entity_type="Invoice",
            local_id=f"inv-{n}",
            qbo_id=str(100_000 + n),
            sync_token="0",
            fingerprint=f"sha256:{n:064x}",
            last_synced_at=T0,
            status=LinkStatus.SYNCED,
            updated_at=T0,
        )
        for n in range(N_LINKS)
    ]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(name: str, store: Store) -> None:
    realm = uuid.uuid4().hex[:12]
    batch = links(realm)
    ids = [link.local_id for link in batch]
    qbo_ids = [link.qbo_id or "" for link in batch]

    def write() -> None:
        for start in range(0, N_LINKS, BATCH):
            store.save_links(batch[start : start + BATCH])

    def read() -> None:
        for start in range(0, N_LINKS, BATCH):
            got = store.get_links(realm, "Invoice", ids[start : start + BATCH])
            assert len(got) == len(ids[start : start + BATCH])

    def read_qbo() -> None:
        got = store.get_links_by_qbo_ids(realm, "Invoice", qbo_ids)
        assert len(got) == N_LINKS

    t_insert = timed(write)
    t_update = timed(write)
    t_read = timed(read)
    t_read_qbo = timed(read_qbo)
    run = RunRecord(
        run_id=uuid.uuid4().hex,
        realm_id=realm,
        kind="full",
        direction="push",
        started_at=T0,
        finished_at=T0 + dt.timedelta(minutes=3),
        status="partial",
        counts={"Invoice": EntityCounts(created=N_FAILURES, failed=N_FAILURES)},
        failures=[
            RecordFailure(
                entity_type="Invoice",
                local_id=f"inv-{n}",
                reason_code="6140",
                message="Duplicate Document Number Error",
                intuit_tid=f"1-{n:08x}",
            )
            for n in range(N_FAILURES)
        ],
    )
    t_run = timed(lambda: store.save_run(run))
    t_run_read = timed(lambda: store.get_run(run.run_id))
    print(
        f"{name:<11} links/s: insert {N_LINKS / t_insert:>8,.0f}"
        f"  upsert {N_LINKS / t_update:>8,.0f}"
        f"  read by local id {N_LINKS / t_read:>9,.0f}  by QBO id {N_LINKS / t_read_qbo:>9,.0f}"
        f"  | run with {N_FAILURES:,} failures: write {t_run * 1000:.1f} ms,"
        f" read {t_run_read * 1000:.1f} ms"
    )


def main() -> None:
    print(f"{N_LINKS:,} links in batches of {BATCH:,}")
    bench("memory", MemoryStore())
    with tempfile.TemporaryDirectory() as tmp:
        key = TokenCipher([TokenCipher.generate_key()])
        store = SQLiteStore(Path(tmp) / "bench.sqlite3", encryption=key)
        bench("sqlite", store)
        store.close()
    url = os.environ.get("QBO_SYNC_TEST_POSTGRES_URL")
    if not url:
        print("postgresql  skipped: set QBO_SYNC_TEST_POSTGRES_URL (scripts/start-postgres.sh)")
        return
    schema = f"qbo_bench_{uuid.uuid4().hex[:8]}"
    pg = SQLAlchemyStore(url, schema=schema, encryption=None)
    try:
        bench("postgresql", pg)
    finally:
        with pg.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        pg.close()


if __name__ == "__main__":
    main()
