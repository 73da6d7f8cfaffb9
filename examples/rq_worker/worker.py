"""An ``rq worker`` class that imports the tasks once, in the worker, before it forks.

RQ forks a fresh work horse per job, and the horse imports the job's module
(qbo_sync, httpx, attrs ...) on every job: about half a second of CPU each.
Imported here, in the long-lived worker, every forked horse inherits it:

    rq worker --path examples -w rq_worker.worker.PreloadWorker qbo-sync

Nothing else changes: each job still runs in its own process, with its own
store handle and HTTP client.
"""

from __future__ import annotations

from rq import Worker

from . import tasks  # noqa: F401 - imported once in the worker, inherited by every horse

__all__ = ["PreloadWorker"]


class PreloadWorker(Worker):
    """RQ's forking worker, with qbo_sync and the tasks already imported."""
