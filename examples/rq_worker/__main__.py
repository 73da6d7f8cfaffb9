"""``python -m rq_worker``: schedule due realms, enqueue one realm's sync, or load demo records.

    python -m rq_worker schedule --db FILE [--every 60 | --once] [--sync-every 900]
                                 [--keepalive-days 30] [--qbo-base-url URL]
    python -m rq_worker enqueue REALM_ID --db FILE [--qbo-base-url URL] [--wait]
    python -m rq_worker load-sample-book --db FILE

Redis comes from ``--redis-url`` (default ``$REDIS_URL`` or
``redis://127.0.0.1:6379/0``); the queue is ``qbo-sync`` unless ``--queue``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from .product import load_sample_book
from .scheduler import run_scheduler, schedule_once
from .tasks import enqueue_sync


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m rq_worker")
    commands = parser.add_subparsers(dest="command", required=True)
    schedule = commands.add_parser("schedule", help="enqueue every realm due for work")
    enqueue = commands.add_parser("enqueue", help="enqueue sync_realm for one company")
    enqueue.add_argument("realm_id")
    for command in (schedule, enqueue):
        command.add_argument("--db", required=True, help="the shared SQLite file")
        command.add_argument("--qbo-base-url", default=os.environ.get("QBO_BASE_URL"),
                             help="a fake QBO's URL (default $QBO_BASE_URL; unset: Intuit)")
        command.add_argument("--redis-url",
                             default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        command.add_argument("--queue", default="qbo-sync")
    enqueue.add_argument("--wait", action="store_true", help="wait and print the result")
    when = schedule.add_mutually_exclusive_group()
    when.add_argument("--every", type=float, default=60.0, help="seconds between ticks")
    when.add_argument("--once", action="store_true", help="one tick (for cron), then exit")
    schedule.add_argument("--sync-every", type=float, default=900.0,
                          help="seconds between syncs of a realm")
    schedule.add_argument("--keepalive-days", type=float, default=30.0,
                          help="refresh tokens last saved this many days ago")
    sample = commands.add_parser("load-sample-book", help="fill the product with demo records")
    sample.add_argument("--db", required=True)
    args = parser.parse_args(argv)

    if args.command == "load-sample-book":
        print(f"{load_sample_book(args.db)} records saved to {args.db}")
        return 0

    from redis import Redis  # noqa: PLC0415 - only this command needs Redis
    from rq import Queue  # noqa: PLC0415

    queue = Queue(args.queue, connection=Redis.from_url(args.redis_url))
    if args.command == "schedule":
        options: dict[str, Any] = {
            "sync_every": dt.timedelta(seconds=args.sync_every),
            "keepalive_after": dt.timedelta(days=args.keepalive_days),
            "qbo_base_url": args.qbo_base_url,
        }
        db = os.path.abspath(args.db)
        if args.once:
            print(json.dumps(schedule_once(queue, db, **options), indent=2))
            return 0
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        run_scheduler(queue, db, every=args.every, **options)
        return 0
    job = enqueue_sync(queue, args.realm_id, os.path.abspath(args.db),
                       qbo_base_url=args.qbo_base_url)
    print(f"enqueued {job.id} on {args.queue}")
    if not args.wait:
        return 0
    while (status := job.get_status()) not in ("finished", "failed", "stopped", "canceled"):
        time.sleep(0.2)
    if status != "finished":
        result = job.latest_result()
        print(f"job {status}: {result.exc_string if result else ''}", file=sys.stderr)
        return 1
    print(json.dumps(job.return_value(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
