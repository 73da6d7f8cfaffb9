"""Many realms on RQ workers: the examples/rq_worker recipe against the fake QBO, in real time.

Issue 11's benchmark. What runs is the recipe itself: the scheduler
(``rq_worker.schedule_once``) enqueues one ``sync_realm`` job per realm due,
and ``--workers`` real ``rq worker`` processes (a forked work horse per job)
run them; under RQ each job holds its run and refresh locks in Redis
(``RedisLockProvider``) and paces through one shared ``RedisPacer``. The
fake QBO runs in a child process, served over loopback HTTP, with QBO's
per-realm limits on **in real time** (500 requests and 40 batch requests per
sliding minute, 10 in flight: a request over them is answered 429). The
child logs every API request (realm, time, batch or not, status, requests of
the realm in flight), so the figures are measured at "QBO", not reported by
the library:

- total wall time (first enqueue to last job done), records, requests;
- requests per realm per minute: the most in any sliding 60 s window, max
  and mean over realms (must be <= 500); batch requests likewise (<= 40);
- the most requests of one realm in flight at once (<= 10);
- 429s drawn (target 0); duplicates: QBO objects beyond one per local
  record, per (realm, entity) (must be 0); unlinked records (must be 0).

Modes:

- default: ``--realms`` companies (200) of ``--records`` records each (~300,
  a ``sample_book``), pushed once each. QBO's limits are per realm, so this
  mostly measures throughput: one realm's run uses a fraction of its budget.
- ``--hot-realm``: ONE company shared by every worker: one ``sync_realm`` job
  pushing a book of ``--records`` records plus ``--hot-jobs`` jobs that each
  read the company ``--hot-reads`` times (a product's own API calls, outside
  the run lock). Only the shared pacer keeps the realm under 500 a minute.

Needs Redis (``scripts/start-redis.sh``; ``--redis-url`` or
``$QBO_SYNC_TEST_REDIS_URL``). Run from the repository root:

    python benchmarks/bench_workers.py [--small] [--realms N] [--records N] [--workers N]
    python benchmarks/bench_workers.py --hot-realm [--small]
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import (
    Connection,
    RedisLockProvider,
    Settings,
    SQLiteStore,
    TokenCipher,
    TokenSet,
)
from qbo_sync.testing import sample_book

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-client-secret-0123"  # the fake's app
REDIRECT_URI = "http://localhost:5000/qbo/callback"


def book_for(records: int) -> Any:
    """A sample book of about ``records`` records (its proportions: a field-service product)."""
    unit = max(1, records // 30)
    return sample_book(customers=10 * unit, items=max(1, unit), invoices=14 * unit,
                       payments=4 * unit, credit_memos=max(1, unit))


def records_of(book: Any) -> list[Any]:
    """The customers, items, invoices, credit memos and payments the benchmark pushes."""
    return [*book.items, *book.customers, *book.invoices, *book.credit_memos, *book.payments]


# -- the fake QBO, in a child process ---------------------------------------------------

_API = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<rest>[^?]*)")


def serve(realms: int) -> None:
    """Child process: a fake with ``realms`` companies over loopback; logs every API request.

    Reads commands on stdin: ``stats`` (prints one JSON line of figures) and
    ``reset`` (forgets the log); exits at end of input.
    """
    from qbo_sync.testing import FakeQBO, FakeQBOServer  # noqa: PLC0415

    class LoggingFake(FakeQBO):
        def __init__(self) -> None:
            super().__init__()  # QBO's limits on, on the real clock
            self.log_lock = threading.Lock()
            self.log: list[tuple[str, float, bool, int, int]] = []
            self.in_flight: dict[str, int] = defaultdict(int)

        def dispatch(self, request: Any) -> Any:
            match = _API.match(request.path)
            if match is None:
                return super().dispatch(request)
            realm = match["realm"]
            with self.log_lock:
                self.in_flight[realm] += 1
                flying = self.in_flight[realm]
            started = time.monotonic()
            try:
                outcome = super().dispatch(request)
            finally:
                with self.log_lock:
                    self.in_flight[realm] -= 1
            with self.log_lock:
                self.log.append((realm, started, match["rest"].startswith("batch"),
                                 outcome.reply.status, flying))
            return outcome

    fake = LoggingFake()
    fake.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                      redirect_uris=[REDIRECT_URI])
    ids = [fake.add_company(company_name=f"Bench Plumbing {n}") for n in range(realms)]
    baseline = {realm: fake.object_counts(realm) for realm in ids}
    info: dict[str, Any] = {"realms": {}}
    for realm in ids:
        accounts = {a.get("AccountType"): a["Id"] for a in fake.objects(realm, "Account")}
        info["realms"][realm] = {
            "token": fake.issue_access_token(realm, lifetime=86_400.0),
            "income": accounts["Income"], "receivable": accounts["Accounts Receivable"],
        }
    with FakeQBOServer(fake) as server:
        info["url"] = server.base_url
        print(json.dumps(info), flush=True)
        for line in sys.stdin:
            if line.strip() == "reset":
                with fake.log_lock:
                    fake.log.clear()
                print("{}", flush=True)
            elif line.strip() == "stats":
                with fake.log_lock:
                    log = list(fake.log)
                print(json.dumps(_figures(log, fake, baseline)), flush=True)


def _most_in_window(times: list[float], span: float = 60.0) -> int:
    """The most ``times`` in any window of ``span`` seconds."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + span) - i for i, t in enumerate(times)), default=0)


def _figures(log: list[tuple[str, float, bool, int, int]], fake: Any,
             baseline: dict[str, dict[str, int]]) -> dict[str, Any]:
    by_realm: dict[str, list[tuple[str, float, bool, int, int]]] = defaultdict(list)
    for row in log:
        by_realm[row[0]].append(row)
    realms = {}
    for realm, rows in by_realm.items():
        counts = fake.object_counts(realm)
        realms[realm] = {
            "requests": len(rows),
            "per_minute": _most_in_window([r[1] for r in rows]),
            "batch_per_minute": _most_in_window([r[1] for r in rows if r[2]]),
            "in_flight": max(r[4] for r in rows),
            "throttled": sum(1 for r in rows if r[3] == 429),
            "span": max(r[1] for r in rows) - min(r[1] for r in rows),
            "objects": {e: n - baseline[realm].get(e, 0) for e, n in counts.items()
                        if n != baseline[realm].get(e, 0)},
        }
    return {"realms": realms}


# -- the hot realm's extra jobs (run by the rq workers: --path benchmarks) -------------


def read_burst(realm_id: str, db_path: str, base_url: str, reads: int) -> dict[str, int]:
    """An RQ job: read the company ``reads`` times through the shared Redis pacer."""
    from rq import get_current_job  # noqa: PLC0415
    from rq_worker.tasks import shared_pacer  # noqa: PLC0415

    job = get_current_job()
    assert job is not None, "read_burst runs under RQ"
    store = SQLiteStore(db_path)
    oauth = OAuthManager(store=store, config=OAuthConfig.from_env(), api_base_url=base_url,
                         endpoints=IntuitEndpoints.for_base_url(base_url),
                         locks=RedisLockProvider(redis=job.connection))
    try:
        with oauth.client(realm_id, pacer=shared_pacer(job.connection)) as client:
            for _ in range(reads):
                client.company_info()
            stats = client.stats
    finally:
        oauth.close()
        store.close()
    return {"requests": stats.requests, "throttled": stats.throttled}


# -- the parent: set up, run the workers, measure ----------------------------------------


def _setup_store(db: Path, key: str, info: dict[str, Any], book: Any) -> None:
    """Connections, tokens, account mappings and the product's records, as the web app left them."""
    sys.path.insert(0, str(EXAMPLES))
    from rq_worker.product import save_records  # noqa: PLC0415

    now = dt.datetime.now(dt.timezone.utc)
    store = SQLiteStore(db, encryption=TokenCipher([key]))
    try:
        for realm, realm_info in info["realms"].items():
            store.save_connection(Connection(realm_id=realm, environment="sandbox",
                                             connected_at=now))
            store.save_tokens(realm, TokenSet(
                access_token=realm_info["token"], refresh_token=f"unused-{realm}",
                access_expires_at=now + dt.timedelta(hours=23),
                refresh_expires_at=now + dt.timedelta(days=100), updated_at=now,
            ))
            store.save_settings(realm, Settings(account_mapping={
                "income": realm_info["income"],
                "accounts_receivable": realm_info["receivable"]}))
    finally:
        store.close()
    save_records(db, records_of(book))


@contextlib.contextmanager
def _fake(realms: int) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(realms)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield child, json.loads(child.stdout.readline())
    finally:
        child.communicate(input="", timeout=60)


def _ask(child: subprocess.Popen[str], command: str) -> dict[str, Any]:
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(command + "\n")
    child.stdin.flush()
    answer: dict[str, Any] = json.loads(child.stdout.readline())
    return answer


@contextlib.contextmanager
def _workers(count: int, queue: str, redis_url: str, env: dict[str, str], logs: Path
             ) -> Iterator[list[subprocess.Popen[bytes]]]:
    rq = Path(sys.executable).with_name("rq")
    command = [str(rq)] if rq.exists() else [sys.executable, "-m", "rq.cli"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            with (logs / f"worker{n}.log").open("wb") as log:
                procs.append(subprocess.Popen(
                    [*command, "worker", "--url", redis_url, "--name", f"{queue}-w{n}",
                     "--path", str(EXAMPLES), "--path", str(ROOT / "benchmarks"),
                     "--worker-class", "rq_worker.worker.PreloadWorker",
                     "--logging_level", "WARNING", queue],
                    env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT))
        yield procs
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs:
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # a worker (or horse) left behind
            proc.wait(timeout=5)


def _wait(jobs: list[Any], procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    pending = list(jobs)
    while pending:
        time.sleep(0.5)
        dead = [n for n, p in enumerate(procs) if p.poll() is not None]
        if dead:
            sys.exit(f"rq worker {dead[0]} died:\n{(logs / f'worker{dead[0]}.log').read_text()}")
        still = []
        for job in pending:
            status = job.get_status()
            if status == "failed":
                result = job.latest_result()
                sys.exit(f"job {job.id} failed:\n{result.exc_string if result else ''}")
            if status != "finished":
                still.append(job)
        pending = still


def run(args: argparse.Namespace) -> None:
    from cryptography.fernet import Fernet  # noqa: PLC0415
    from redis import Redis  # noqa: PLC0415
    from rq import Queue  # noqa: PLC0415

    sys.path.insert(0, str(EXAMPLES))
    from rq_worker import enqueue_sync, schedule_once  # noqa: PLC0415

    realms = 1 if args.hot_realm else args.realms
    book = book_for(args.records)
    expected = {"Customer": len(book.customers), "Item": len(book.items) + 1,
                "Invoice": len(book.invoices), "Payment": len(book.payments),
                "CreditMemo": len(book.credit_memos)}
    key = Fernet.generate_key().decode()
    env = {**os.environ, "QUICKBOOKS_CLIENT_ID": CLIENT_ID,
           "QUICKBOOKS_CLIENT_SECRET": CLIENT_SECRET, "QUICKBOOKS_REDIRECT_URI": REDIRECT_URI,
           "QUICKBOOKS_ENVIRONMENT": "sandbox", "QUICKBOOKS_TOKEN_ENCRYPTION_KEY": key}
    os.environ["QUICKBOOKS_TOKEN_ENCRYPTION_KEY"] = key  # the scheduler reads tokens
    redis = Redis.from_url(args.redis_url)
    queue = Queue(f"bench-workers-{uuid.uuid4().hex[:8]}", connection=redis)
    mode = "hot realm" if args.hot_realm else "many realms"
    print(f"{mode}: {realms} realm(s) x {len(records_of(book))} records "
          f"({len(book.customers)} customers, {len(book.items)} items, {len(book.invoices)} "
          f"invoices, {len(book.payments)} payments, {len(book.credit_memos)} credit memos); "
          f"{args.workers} rq workers; one RedisPacer and RedisLockProvider on {args.redis_url}")
    with tempfile.TemporaryDirectory() as tmp, _fake(realms) as (child, info):
        db = Path(tmp) / "bench.sqlite3"
        _setup_store(db, key, info, book)
        _ask(child, "reset")
        with _workers(args.workers, queue.name, args.redis_url, env, Path(tmp)) as procs:
            while len({w.name for w in _list_workers(queue)}) < args.workers:
                time.sleep(0.1)
            started = time.monotonic()
            if args.hot_realm:
                realm = next(iter(info["realms"]))
                jobs = [enqueue_sync(queue, realm, str(db), qbo_base_url=info["url"],
                                     retries=0)]
                # By name: the workers import this file as bench_workers, not __main__.
                burst = (realm, str(db), info["url"], args.hot_reads)
                jobs += [queue.enqueue("bench_workers.read_burst", args=burst,
                                       job_timeout=900, result_ttl=3600)
                         for _ in range(args.hot_jobs)]
            else:
                tick = schedule_once(queue, str(db), qbo_base_url=info["url"], retries=0)
                jobs = [queue.fetch_job(j) for j in tick["enqueued"]]
                assert len(jobs) == realms, f"the scheduler enqueued {len(jobs)} of {realms}"
            _wait(jobs, procs, Path(tmp))
            wall = time.monotonic() - started
            results = [job.return_value() for job in jobs]
        figures = _ask(child, "stats")["realms"]
        store = SQLiteStore(db, encryption=TokenCipher([key]))
        try:
            synced = {realm: sum(c.synced for c in store.link_counts(realm).values())
                      for realm in info["realms"]}
        finally:
            store.close()
    for key_ in list(redis.scan_iter(f"qbo_sync:scheduled:{queue.name}:*")):
        redis.delete(key_)
    queue.delete(delete_jobs=True)
    redis.delete(f"{queue.key}:intermediate")  # RQ's, left behind by delete()
    _report(args, wall, figures, results, synced, expected, len(records_of(book)))


def _list_workers(queue: Any) -> list[Any]:
    from rq import Worker  # noqa: PLC0415

    return list(Worker.all(queue=queue))


def _report(args: argparse.Namespace, wall: float, figures: dict[str, Any],
            results: list[dict[str, Any]], synced: dict[str, int], expected: dict[str, int],
            per_realm: int) -> None:
    rows = list(figures.values())
    requests = sum(r["requests"] for r in rows)
    per_minute = [r["per_minute"] for r in rows]
    duplicates = sum(max(0, r["objects"].get(e, 0) - n) for r in rows for e, n in expected.items())
    missing = sum(max(0, n - r["objects"].get(e, 0)) for r in rows for e, n in expected.items())
    records = per_realm * len(synced)
    unlinked = sum(max(0, per_realm + 1 - n) for n in synced.values())  # + the default item
    runs = [r for r in results if "counts" in r]
    statuses = sorted({r["status"] for r in runs})
    print(f"  wall time {wall:.1f} s ({len(results)} jobs; sync runs: {statuses}); "
          f"{records:,} records pushed, {requests:,} API requests "
          f"({sum(r['requests'] for r in runs):,} by sync runs)")
    print(f"  requests per realm per minute (most in any sliding 60 s, limit 500): "
          f"max {max(per_minute)}, mean {sum(per_minute) / len(per_minute):.1f}")
    print(f"  batch requests per realm per minute (limit 40): "
          f"max {max(r['batch_per_minute'] for r in rows)}; "
          f"most in flight per realm (limit 10): {max(r['in_flight'] for r in rows)}")
    print(f"  a realm's requests spread over {max(r['span'] for r in rows):.1f} s at most "
          f"(mean {sum(r['span'] for r in rows) / len(rows):.1f} s)")
    print(f"  429s drawn: {sum(r['throttled'] for r in rows)}; duplicates: {duplicates}; "
          f"missing objects: {missing}; unlinked records: {unlinked}")
    if args.hot_realm:
        reads = [r for r in results if "counts" not in r]
        print(f"  hot realm: {len(reads)} read jobs x {args.hot_reads} reads + 1 sync run "
              f"on {args.workers} workers: {requests / wall:.1f} requests/s over the run "
              f"(the pacer's 10 a second, then its minute budget, bind)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--small", action="store_true",
                        help="20 realms of ~90 records (hot realm: 300 reads)")
    parser.add_argument("--realms", type=int, default=200)
    parser.add_argument("--records", type=int, default=300, help="records per realm (about)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--hot-realm", action="store_true",
                        help="every worker on ONE realm: a sync plus read jobs")
    parser.add_argument("--hot-jobs", type=int, default=8, help="read jobs (hot realm)")
    parser.add_argument("--hot-reads", type=int, default=100, help="reads per job (hot realm)")
    parser.add_argument("--redis-url", default=os.environ.get(
        "QBO_SYNC_TEST_REDIS_URL", "redis://127.0.0.1:63790/0"))
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return
    if args.small:
        args.realms, args.records = min(args.realms, 20), min(args.records, 90)
        args.hot_jobs, args.hot_reads = min(args.hot_jobs, 6), min(args.hot_reads, 50)
    run(args)


if __name__ == "__main__":
    main()
