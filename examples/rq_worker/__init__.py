"""qbo_sync on RQ workers: one job syncs one QuickBooks company. See README.md."""

from __future__ import annotations

from .tasks import enqueue_sync, sync_realm

__all__ = ["enqueue_sync", "sync_realm"]
