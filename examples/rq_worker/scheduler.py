"""The periodic scheduler: enqueue one job per realm due for a sync or a keep-alive refresh.

:func:`schedule_once` is one tick: it asks :func:`qbo_sync.sync.due_realms`
which connected realms are due (read from the store: run history and token
ages), and enqueues :func:`~rq_worker.tasks.sync_realm` or
:func:`~rq_worker.tasks.refresh_realm` for each, unless one is already on its
way. Run it from cron (``python -m rq_worker schedule --once``) or let
:func:`run_scheduler` loop (``python -m rq_worker schedule --every 60``).

A realm is never enqueued twice for the same work:

- **Job ids per (kind, realm, window):** ``sync_<realm>_<window>``, where the
  window is the tick's time divided by ``sync_every``. A realm whose job of
  an earlier window is still queued, started, scheduled for a retry or
  deferred is skipped (the queue and RQ's registries are read once a tick).
- **A claim per job id** (``SET NX`` with a TTL of two windows): two
  schedulers ticking at once (a deploy overlapping the old one) enqueue each
  job once; a job that failed for good waits for the next window.

Should a job still be delivered twice (RQ re-queues an abandoned job, a
retry overlaps a slow attempt), the tasks are safe to repeat: see tasks.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from qbo_sync.storage import SQLiteStore
from qbo_sync.sync import due_realms

from .tasks import STALE_RUN_AFTER, enqueue_refresh, enqueue_sync

_log = logging.getLogger("rq_worker.scheduler")

#: Job kinds, as they appear in job ids.
SYNC, REFRESH = "sync", "refresh"
#: Prefix of the claim keys in Redis (then the queue's name and the job id).
CLAIM_PREFIX = "qbo_sync:scheduled:"


def claim_key(queue: Any, jid: str) -> str:
    """The Redis key that marks job ``jid`` as enqueued once on ``queue``."""
    return f"{CLAIM_PREFIX}{queue.name}:{jid}"


def job_id(kind: str, realm_id: str, window: int) -> str:
    """The RQ job id of one kind of work for one realm in one window."""
    return f"{kind}_{realm_id}_{window}"


def parse_job_id(value: str) -> tuple[str, str] | None:
    """``(kind, realm_id)`` of a scheduler's job id; ``None`` for any other job."""
    parts = value.split("_")
    if len(parts) == 3 and parts[0] in (SYNC, REFRESH) and parts[2].isdigit():
        return parts[0], parts[1]
    return None


def active_work(queue: Any) -> set[tuple[str, str]]:
    """``(kind, realm_id)`` of every scheduler job queued, running, deferred or awaiting a retry."""
    ids = set(queue.get_job_ids())
    for registry in (queue.started_job_registry, queue.scheduled_job_registry,
                     queue.deferred_job_registry):
        ids.update(registry.get_job_ids())
    return {parsed for value in ids if (parsed := parse_job_id(value)) is not None}


def schedule_once(
    queue: Any,
    db_path: str,
    *,
    now: dt.datetime | None = None,
    sync_every: dt.timedelta = dt.timedelta(minutes=15),
    keepalive_after: dt.timedelta = dt.timedelta(days=30),
    qbo_base_url: str | None = None,
    task_options: dict[str, Any] | None = None,
    **enqueue_options: Any,
) -> dict[str, list[str]]:
    """One tick: enqueue the realms due now; returns the job ids enqueued and skipped.

    Args:
        queue: The ``rq.Queue`` (its connection holds the claims).
        db_path: The shared SQLite file (opened with the token key from the env).
        now: The tick's time (default: now).
        sync_every: How often each realm is synced (also the job-id window).
        keepalive_after: Refresh tokens last saved this long ago.
        qbo_base_url: As for the tasks (a fake QBO).
        task_options: More :func:`~rq_worker.tasks.sync_realm` keyword arguments.
        **enqueue_options: More enqueue arguments (``retries``, ``retry_intervals``).

    Returns:
        ``{"enqueued": [...], "queued_already": [...], "claimed": [...]}``: job
        ids enqueued now, skipped because the realm's work is on its way, and
        skipped because this window's job was already enqueued once.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    window_seconds = max(1, int(sync_every.total_seconds()))
    window = int(now.timestamp()) // window_seconds
    store = SQLiteStore(db_path)
    try:
        plan = due_realms(store, now=now, sync_every=sync_every,
                          keepalive_after=keepalive_after, stale_run_after=STALE_RUN_AFTER)
        versions = {d.realm_id: (t.version if (t := store.get_tokens(d.realm_id)) else None)
                    for d in plan.refresh}
    finally:
        store.close()
    active = active_work(queue)
    outcome: dict[str, list[str]] = {"enqueued": [], "queued_already": [], "claimed": []}
    work = [(SYNC, d.realm_id) for d in plan.sync] + [(REFRESH, d.realm_id) for d in plan.refresh]
    for kind, realm_id in work:
        jid = job_id(kind, realm_id, window)
        if (kind, realm_id) in active:
            outcome["queued_already"].append(jid)
            continue
        if not queue.connection.set(claim_key(queue, jid), now.isoformat(), nx=True,
                                    ex=2 * window_seconds):
            outcome["claimed"].append(jid)
            continue
        if kind == SYNC:
            enqueue_sync(queue, realm_id, db_path, qbo_base_url=qbo_base_url, job_id=jid,
                         **enqueue_options, **(task_options or {}))
        else:
            enqueue_refresh(queue, realm_id, db_path, qbo_base_url=qbo_base_url, job_id=jid,
                            seen_version=versions.get(realm_id), **enqueue_options)
        outcome["enqueued"].append(jid)
    if outcome["enqueued"]:
        _log.info("enqueued %d jobs: %s", len(outcome["enqueued"]), outcome["enqueued"])
    return outcome


def run_scheduler(
    queue: Any, db_path: str, *, every: float = 60.0, stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Tick every ``every`` seconds until ``stop`` is set (or forever).

    A tick that fails (the store or Redis unreachable) is logged and the
    loop goes on: the next tick decides again from the store.
    """
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        try:
            schedule_once(queue, db_path, **options)
        except Exception:
            _log.exception("scheduler tick failed; trying again in %s s", every)
        stop.wait(max(0.0, every - (time.monotonic() - started)))
