"""qbo_sync on RQ workers: one job per realm, a periodic scheduler. See README.md."""

from __future__ import annotations

from .scheduler import run_scheduler, schedule_once
from .tasks import enqueue_refresh, enqueue_sync, refresh_realm, sync_realm

__all__ = [
    "enqueue_refresh",
    "enqueue_sync",
    "refresh_realm",
    "run_scheduler",
    "schedule_once",
    "sync_realm",
]
