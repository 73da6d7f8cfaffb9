"""The RQ example (examples/rq_worker): two real workers sync one realm at once.

A real Redis (scripts/start-redis.sh), two ``rq worker`` processes (each
forking a work horse per job), one SQLite file shared by the test and the
workers (qbo_sync's store and the product's records), and the fake QBO
served over loopback HTTP by this process, so its state can be counted here.

Four jobs for the same realm are enqueued while both workers are idle, so
both take one at once. The per-realm run lock makes the second wait (the
task's ``run_lock_timeout``) instead of failing; when it gets the lock every
record is unchanged, so it writes nothing. Then one job is delivered again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus

from qbo_sync import SyncEngine
from qbo_sync.auth import Connected, IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import LinkStatus, SQLiteStore, TokenCipher
from qbo_sync.testing import FakeQBO, FakeQBOServer, Fault, sample_book

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rq-worker")]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKERS = 2
JOBS = 4
DEADLINE = 30.0  # seconds for everything the workers do


def _example(module: str) -> Any:
    """A module of examples/ (the folder workers get as ``--path``)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(module)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    try:
        connection.ping()
    except Exception as exc:  # say which service is missing
        pytest.fail(f"no Redis at {redis_url} (run scripts/start-redis.sh): {exc}")
    yield connection
    connection.close()


@pytest.fixture
def queue(redis: Redis) -> Iterator[Queue]:
    queue = Queue(f"qbo-sync-test-{uuid.uuid4().hex[:8]}", connection=redis)
    yield queue
    for registry in (queue.finished_job_registry, queue.failed_job_registry,
                     queue.started_job_registry, queue.scheduled_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.delete(delete_jobs=True)


@contextlib.contextmanager
def _workers(count: int, queue: Queue, redis_url: str, env: dict[str, str], logs: Path
             ) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``rq worker`` processes on ``queue``, always stopped (and their horses) on exit."""
    rq = Path(sys.executable).with_name("rq")
    command = [str(rq)] if rq.exists() else [sys.executable, "-m", "rq.cli"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            with (logs / f"worker{n}.log").open("wb") as log:
                procs.append(subprocess.Popen(  # our own interpreter's rq
                    [*command, "worker", "--url", redis_url, "--name", f"{queue.name}-w{n}",
                     "--path", str(EXAMPLES), "--max-idle-time", str(int(DEADLINE)),
                     "--logging_level", "WARNING", queue.name],
                    env=env, start_new_session=True,  # own process group: worker + its horses
                    stdout=log, stderr=subprocess.STDOUT,
                ))
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # a horse left behind


def _wait_for(predicate: Any, what: str, procs: list[subprocess.Popen[bytes]],
              deadline: float, logs: Path) -> None:
    while not predicate():
        dead = [n for n, p in enumerate(procs) if p.poll() is not None]
        if dead:
            out = (logs / f"worker{dead[0]}.log").read_text(errors="replace")
            pytest.fail(f"rq worker {dead[0]} exited before {what}:\n{out}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def company(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fake company over loopback, connected through OAuth into a shared SQLite file."""
    fake = FakeQBO()  # QBO's limits on, real time
    realm_id = fake.add_company(company_name="Worker Plumbing")
    key = Fernet.generate_key().decode()
    config = OAuthConfig(client_id="rq-example-client", client_secret="rq-example-secret-0123",
                         redirect_uri="http://localhost:5000/qbo/callback",
                         environment="sandbox", token_encryption_key=key)
    fake.register_app(client_id=config.client_id, client_secret=config.client_secret,
                      redirect_uris=[config.redirect_uri])
    db_path = tmp_path / "shared.sqlite3"
    with FakeQBOServer(fake) as server:
        store = SQLiteStore(db_path, encryption=TokenCipher([key]))
        oauth = OAuthManager(store=store, config=config, api_base_url=server.base_url,
                             endpoints=IntuitEndpoints.for_base_url(server.base_url))
        consent = oauth.authorization_url(tenant_id="tenant-1")
        callback = httpx.get(consent.url).headers["location"]
        assert isinstance(oauth.handle_callback(callback, tenant_id="tenant-1"), Connected)
        with SyncEngine.for_realm(oauth, realm_id, store=store) as engine:
            engine.map_accounts(**engine.suggest_accounts())  # the settings page's job
        book = sample_book()
        _example("rq_worker.product").save_records(db_path, book.records())
        env = {
            **os.environ,
            "QUICKBOOKS_CLIENT_ID": config.client_id,
            "QUICKBOOKS_CLIENT_SECRET": config.client_secret,
            "QUICKBOOKS_REDIRECT_URI": config.redirect_uri,
            "QUICKBOOKS_ENVIRONMENT": "sandbox",
            "QUICKBOOKS_TOKEN_ENCRYPTION_KEY": key,
        }
        try:
            yield {"fake": fake, "server": server, "realm_id": realm_id, "db_path": str(db_path),
                   "store": store, "book": book, "env": env}
        finally:
            oauth.close()
            store.close()


def test_two_workers_one_realm_push_once(company: dict[str, Any], queue: Queue,
                                         redis: Redis, redis_url: str, tmp_path: Path) -> None:
    tasks = _example("rq_worker.tasks")
    fake: FakeQBO = company["fake"]
    realm_id: str = company["realm_id"]
    book = company["book"]
    before = Counter(fake.object_counts(realm_id))
    # Every batch request takes 0.3 s longer, so the first run holds the lock
    # for a couple of seconds while the other worker's job asks for it.
    fake.faults.schedule(Fault(kind="latency", seconds=0.3), None, path="/batch")
    started = time.monotonic()
    deadline = started + DEADLINE

    with _workers(WORKERS, queue, redis_url, company["env"], tmp_path) as procs:
        _wait_for(lambda: len(Worker.all(queue=queue)) == WORKERS, "both workers listen",
                  procs, deadline, tmp_path)
        # retries=0: a failure shows at once here (a retry would wait for RQ's scheduler).
        jobs = [tasks.enqueue_sync(queue, realm_id, company["db_path"],
                                   qbo_base_url=company["server"].base_url, retries=0)
                for _ in range(JOBS)]

        def finished(wanted: list[Job]) -> bool:
            states = [job.get_status() for job in wanted]
            for job, state in zip(wanted, states, strict=True):
                if state == JobStatus.FAILED:
                    result = job.latest_result()
                    pytest.fail(f"job {job.id} failed:\n{result.exc_string if result else ''}")
            return all(state == JobStatus.FINISHED for state in states)

        _wait_for(lambda: finished(jobs), "every job finished", procs, deadline, tmp_path)
        results = [job.return_value() for job in jobs]
        after_first = Counter(fake.object_counts(realm_id))

        # The same job delivered again (a lost acknowledgement, a retry): nothing twice.
        creator = next(job for job, r in zip(jobs, results, strict=True)
                       if sum(c["created"] for c in r["counts"].values()))
        queue.enqueue_job(creator)
        _wait_for(lambda: finished([creator]), "the redelivered job finished", procs,
                  deadline, tmp_path)
        redelivered = creator.return_value(refresh=True)
        elapsed = time.monotonic() - started

    # Every job ran to the end, both workers took jobs, and they ran at once.
    assert [r["status"] for r in results] == ["success"] * JOBS
    workers = {Job.fetch(job.id, connection=redis).worker_name for job in jobs}
    assert len(workers) == WORKERS, workers
    assert max(r["waited"] for r in results) > 1.0, [r["waited"] for r in results]

    # Exactly one job made the objects; the others waited, then skipped everything.
    expected = Counter({"Item": len(book.items) + 1, "Customer": len(book.customers),  # + the
                        "Invoice": len(book.invoices), "CreditMemo": len(book.credit_memos),
                        "Payment": len(book.payments)})  # default service item
    creators = [r for r in results if any(c["created"] for c in r["counts"].values())]
    assert len(creators) == 1
    assert Counter({e: c["created"] for e, c in creators[0]["counts"].items()}) == expected
    for other in results:
        if other is creators[0]:
            continue
        assert other["write_requests"] == 0
        assert sum(c["skipped"] for c in other["counts"].values()) == len(book)
        assert all(c["created"] == c["updated"] == c["failed"] == 0
                   for c in other["counts"].values())

    # The runs never overlapped: the lock held across the two processes.
    spans = sorted((dt.datetime.fromisoformat(r["started_at"]),
                    dt.datetime.fromisoformat(r["finished_at"])) for r in results)
    assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))

    # The fake holds exactly one object per local record, each linked once.
    assert after_first - before == expected
    store: SQLiteStore = company["store"]
    for entity in ("Item", "Customer", "Invoice", "CreditMemo", "Payment"):
        links = store.list_links(realm_id, entity_type=entity)
        assert {link.status for link in links} == {LinkStatus.SYNCED}
        assert len({link.qbo_id for link in links}) == len(links) == expected[entity]

    # The redelivered job read, found nothing to do and wrote nothing.
    assert redelivered["status"] == "success"
    assert redelivered["write_requests"] == 0
    assert sum(c["skipped"] for c in redelivered["counts"].values()) == len(book)
    assert Counter(fake.object_counts(realm_id)) == after_first
    assert elapsed < DEADLINE
    print(f"\n{JOBS} jobs + 1 redelivery on {WORKERS} workers: {elapsed:.1f} s; "
          f"waits {[r['waited'] for r in results]}")
