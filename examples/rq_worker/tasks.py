"""The RQ task that syncs one QuickBooks company (realm), and the helper that enqueues it.

``sync_realm`` runs in RQ's work horse (a process forked per job). It opens
the shared SQLite file, builds an engine for the realm from the OAuth manager
(tokens come from the store and are refreshed single-flight across
processes), pushes the product's records and returns the report's counts,
which RQ keeps as the job's result.

Two workers taking the same realm at once, or one job delivered twice, push
nothing twice:

- **The per-realm run lock.** ``SyncEngine`` holds the store's lock
  ``sync:<realm>`` for the whole run, across processes. A second job for the
  realm **waits** for it (``run_lock_timeout``, 300 s by default, longer than
  a run), then finds every record's fingerprint equal to its link and skips
  it without a write. If it still times out, ``LockTimeoutError`` fails the
  job and RQ's ``Retry`` (set by :func:`enqueue_sync`) runs it again later.
- **Idempotent writes.** Every write carries a ``requestid`` recorded before
  it is sent, so a job killed mid-run and run again resolves what the first
  attempt left pending instead of creating it twice.
"""

from __future__ import annotations

import os
import time
from typing import Any

from qbo_sync import SyncEngine
from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import SQLiteStore

from .product import ProductSource

#: RQ kills a job's work horse after this long (``job_timeout``).
JOB_TIMEOUT = 900
#: How long a job waits for another run of the same realm (the run lock).
RUN_LOCK_TIMEOUT = 300.0
#: The lease of the SQLite run lock. It is not renewed while held, so it must
#: outlast the longest run: a run cannot outlive its job, so the job timeout.
LOCK_LEASE = float(JOB_TIMEOUT)


def sync_realm(
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    entities: list[str] | None = None,
    run_lock_timeout: float = RUN_LOCK_TIMEOUT,
) -> dict[str, Any]:
    """Push the product's records to one realm; the run's figures (the job's result).

    Args:
        realm_id: The QBO company.
        db_path: The shared SQLite file: qbo_sync's store and ``product_records``.
        qbo_base_url: Serve OAuth and the API from this host (a fake QBO on
            loopback); ``None`` for Intuit.
        entities: Only these entities (default: all).
        run_lock_timeout: Seconds to wait for a run of the same realm in
            another worker before ``LockTimeoutError`` (then RQ retries).

    The OAuth app's settings come from ``QUICKBOOKS_*`` environment variables
    (see docs/oauth.md), as in the web app that connected the company.

    Raises:
        LockTimeoutError: Another run held the realm for ``run_lock_timeout``.
        ReauthorizationRequired: The company must be connected again.
    """
    asked = time.monotonic()
    store = SQLiteStore(db_path, lock_lease=LOCK_LEASE)  # tokens encrypted with the env key
    source = ProductSource(db_path)
    oauth = OAuthManager(
        store=store,
        config=OAuthConfig.from_env(),
        endpoints=IntuitEndpoints.for_base_url(qbo_base_url) if qbo_base_url else None,
        api_base_url=qbo_base_url,
    )
    try:
        with SyncEngine.for_realm(oauth, realm_id, store=store, source=source,
                                  run_lock_timeout=run_lock_timeout) as engine:
            report = engine.push(entities=entities)
    finally:
        oauth.close()
        source.close()
        store.close()
    ran_for = (report.finished_at - report.started_at).total_seconds()
    return {
        "run_id": report.run_id,
        "realm_id": realm_id,
        "status": report.status.value,
        "message": report.message,
        "counts": {
            entity: {"created": c.created, "updated": c.updated, "matched": c.matched,
                     "skipped": c.skipped, "failed": c.failed}
            for entity, c in report.counts.items()
        },
        "requests": report.requests,
        "write_requests": report.write_requests,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        # Time spent before the run began: mostly waiting for the realm's run lock.
        "waited": round(max(time.monotonic() - asked - ran_for, 0.0), 3),
        "pid": os.getpid(),
    }


def enqueue_sync(
    queue: Any,
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    entities: list[str] | None = None,
    retries: int = 3,
) -> Any:
    """Enqueue :func:`sync_realm` on an ``rq.Queue``; returns the ``rq.job.Job``.

    The job may run more than once (RQ retries, a worker lost mid-job, the same
    realm enqueued twice): :func:`sync_realm` is safe to repeat.
    """
    from rq import Retry  # noqa: PLC0415 - keep the task module importable without rq

    return queue.enqueue(
        sync_realm,
        args=(realm_id, db_path),
        kwargs={"qbo_base_url": qbo_base_url, "entities": entities},
        job_timeout=JOB_TIMEOUT,
        result_ttl=86_400,
        retry=Retry(max=retries, interval=[30, 120, 300][:retries]) if retries else None,
        description=f"sync realm {realm_id}",
    )
