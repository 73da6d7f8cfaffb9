"""The RQ tasks: sync one QuickBooks company (realm), refresh its tokens; and their enqueuers.

Both tasks run in RQ's work horse (a process forked per job). They open the
shared SQLite file (qbo_sync's store and the product's ``product_records``),
build the OAuth manager from ``QUICKBOOKS_*`` environment variables and, when
run by an RQ worker, share two things through the worker's own Redis:

- **the locks** (:class:`~qbo_sync.storage.RedisLockProvider`): the run lock
  ``sync:<realm>`` and the token-refresh lock, across every worker on every
  host; a lease renewed while the job runs, so a killed job frees the realm
  ``LOCK_LEASE`` seconds later;
- **the pacer** (:class:`~qbo_sync.http.RedisPacer`): one request budget per
  realm (500 a minute, 40 batch requests a minute, 10 in flight) for all
  workers, so QBO does not have to answer 429.

Outside RQ (a plain call, a test) they fall back to the store's lock and an
in-process pacer.

Nothing is pushed twice, whoever delivers a job twice:

- **The per-realm run lock.** A second job for the realm **waits** for it
  (``run_lock_timeout``, 300 s, longer than a run), then finds every record's
  fingerprint equal to its link and skips it without a write. If it still
  times out, ``LockTimeoutError`` fails the job and RQ's ``Retry`` runs it
  again later.
- **Idempotent writes.** Every write carries a ``requestid`` recorded before
  it is sent, so a job killed mid-run and retried resolves what the first
  attempt left pending (QBO answers a replayed ``requestid`` with the object
  it created) instead of creating it twice.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from qbo_sync import SyncEngine
from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import LockProvider, RedisLockProvider, SQLiteStore

from .product import ProductSource

#: RQ kills a job's work horse after this long (``job_timeout``).
JOB_TIMEOUT = 900
#: How long a job waits for another run of the same realm (the run lock).
RUN_LOCK_TIMEOUT = 300.0
#: The Redis lock's lease: renewed every third of it while the job lives, so
#: it only bounds how long a killed job keeps its realm locked.
LOCK_LEASE = 30.0
#: A run ``running`` for longer than its job may live died with its job.
STALE_RUN_AFTER = dt.timedelta(seconds=JOB_TIMEOUT)
#: Requests per realm per sliding minute the shared pacer allows: QBO's 500.
#: No margin is needed: the pacer counts a request until a minute after its
#: response came back, so however late it arrived, QBO counts no more.
PACER_PER_MINUTE = 500
#: Seconds RQ waits before each retry of a failed job (a worker started with
#: ``--with-scheduler`` runs them; ``0`` re-enqueues at once).
RETRY_INTERVALS = (30, 120, 300)


def shared_pacer(redis: Any) -> Any:
    """The ``RedisPacer`` every job shares: one budget per realm across all workers."""
    from qbo_sync.http import RedisPacer  # noqa: PLC0415 - only under RQ

    return RedisPacer(redis=redis, per_minute=PACER_PER_MINUTE)


def _job_redis() -> Any:
    """The Redis connection of the RQ job running this code, or ``None`` outside RQ."""
    from rq import get_current_job  # noqa: PLC0415 - keep the module importable without rq

    job = get_current_job()
    return job.connection if job is not None else None


@contextmanager
def _session(db_path: str, qbo_base_url: str | None, lock_lease: float
             ) -> Iterator[tuple[SQLiteStore, OAuthManager, LockProvider, dict[str, Any]]]:
    """The store, OAuth manager, locks and client options of one job; closed on exit."""
    redis = _job_redis()
    store = SQLiteStore(db_path)  # tokens encrypted with QUICKBOOKS_TOKEN_ENCRYPTION_KEY
    locks: LockProvider = store
    client_options: dict[str, Any] = {}
    if redis is not None:
        locks = RedisLockProvider(redis=redis, lease=lock_lease)
        client_options["pacer"] = shared_pacer(redis)
    oauth = OAuthManager(
        store=store,
        config=OAuthConfig.from_env(),
        endpoints=IntuitEndpoints.for_base_url(qbo_base_url) if qbo_base_url else None,
        api_base_url=qbo_base_url,
        locks=locks,
    )
    try:
        yield store, oauth, locks, client_options
    finally:
        oauth.close()
        store.close()


def sync_realm(
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    entities: list[str] | None = None,
    run_lock_timeout: float = RUN_LOCK_TIMEOUT,
    lock_lease: float = LOCK_LEASE,
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
        lock_lease: The Redis lock's lease (seconds; see ``LOCK_LEASE``).

    The OAuth app's settings come from ``QUICKBOOKS_*`` environment variables
    (see docs/oauth.md), as in the web app that connected the company.

    Raises:
        LockTimeoutError: Another run held the realm for ``run_lock_timeout``.
        ReauthorizationRequired: The company must be connected again.
    """
    asked = time.monotonic()
    with _session(db_path, qbo_base_url, lock_lease) as (store, oauth, locks, client_options):
        source = ProductSource(db_path)
        try:
            with SyncEngine.for_realm(oauth, realm_id, store=store, source=source, locks=locks,
                                      client_options=client_options,
                                      run_lock_timeout=run_lock_timeout,
                                      stale_run_after=STALE_RUN_AFTER) as engine:
                report = engine.push(entities=entities)
        finally:
            source.close()
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
        "throttled": report.throttled,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        # Time spent before the run began: mostly waiting for the realm's run lock.
        "waited": round(max(time.monotonic() - asked - ran_for, 0.0), 3),
        "pid": os.getpid(),
    }


def refresh_realm(
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    seen_version: int | None = None,
    lock_lease: float = LOCK_LEASE,
) -> dict[str, Any]:
    """Keep-alive: refresh one realm's tokens so its refresh token never lapses.

    A refresh token unused for about 100 days expires; a company with no
    activity would be disconnected. The scheduler enqueues this for realms
    whose tokens were last saved long ago (:func:`qbo_sync.sync.due_realms`).

    Args:
        realm_id: The QBO company.
        db_path: The shared SQLite file.
        qbo_base_url: As for :func:`sync_realm`.
        seen_version: The tokens' version the scheduler saw. If they changed
            since (a sync refreshed them, or this job was delivered twice),
            the refresh is not needed and is skipped.
        lock_lease: The Redis lock's lease (seconds).

    Returns:
        ``refreshed`` (bool), the tokens' ``version`` and the connection's ``state``.

    Raises:
        ReauthorizationRequired: The refresh token was refused: the user must
            reconnect (the connection now says so; the scheduler stops asking).
    """
    with _session(db_path, qbo_base_url, lock_lease) as (store, oauth, _, _options):
        before = store.get_tokens(realm_id)
        if seen_version is not None and before is not None and before.version != seen_version:
            refreshed = False
        else:
            oauth.refresh(realm_id)  # single-flight under the realm's refresh lock
            refreshed = True
        after = store.get_tokens(realm_id)
        state = oauth.connection_info(realm_id).state.value
    return {"realm_id": realm_id, "refreshed": refreshed,
            "version": after.version if after else None, "state": state, "pid": os.getpid()}


def _retry(retries: int, intervals: Sequence[int]) -> Any:
    from rq import Retry  # noqa: PLC0415 - keep the task module importable without rq

    if not retries:
        return None
    return Retry(max=retries, interval=list(intervals)[:retries] or 0)


def enqueue_sync(
    queue: Any,
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    entities: list[str] | None = None,
    retries: int = 3,
    retry_intervals: Sequence[int] = RETRY_INTERVALS,
    job_id: str | None = None,
    **options: Any,
) -> Any:
    """Enqueue :func:`sync_realm` on an ``rq.Queue``; returns the ``rq.job.Job``.

    The job may run more than once (RQ retries, a worker lost mid-job, the same
    realm enqueued twice): :func:`sync_realm` is safe to repeat.

    Args:
        queue: The ``rq.Queue``.
        realm_id: The QBO company.
        db_path: The shared SQLite file.
        qbo_base_url: As for :func:`sync_realm`.
        entities: As for :func:`sync_realm`.
        retries: How many times RQ runs a failed job again (0: never).
        retry_intervals: Seconds before each retry.
        job_id: RQ's job id (the scheduler's ``sync_<realm>_<window>``).
        **options: More :func:`sync_realm` keyword arguments.
    """
    return queue.enqueue(
        sync_realm,
        args=(realm_id, db_path),
        kwargs={"qbo_base_url": qbo_base_url, "entities": entities, **options},
        job_id=job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=86_400,
        retry=_retry(retries, retry_intervals),
        description=f"sync realm {realm_id}",
    )


def enqueue_refresh(
    queue: Any,
    realm_id: str,
    db_path: str,
    *,
    qbo_base_url: str | None = None,
    seen_version: int | None = None,
    retries: int = 3,
    retry_intervals: Sequence[int] = RETRY_INTERVALS,
    job_id: str | None = None,
) -> Any:
    """Enqueue :func:`refresh_realm` on an ``rq.Queue``; returns the ``rq.job.Job``."""
    return queue.enqueue(
        refresh_realm,
        args=(realm_id, db_path),
        kwargs={"qbo_base_url": qbo_base_url, "seen_version": seen_version},
        job_id=job_id,
        job_timeout=120,
        result_ttl=86_400,
        retry=_retry(retries, retry_intervals),
        description=f"keep-alive refresh of realm {realm_id}",
    )
