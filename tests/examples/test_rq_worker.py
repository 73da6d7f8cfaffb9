"""The RQ example (examples/rq_worker): real workers, the scheduler, a killed job.

A real Redis (scripts/start-redis.sh), ``rq worker`` processes (each forking a
work horse per job), one SQLite file shared by the test and the workers
(qbo_sync's store and the product's records), and the fake QBO served over
loopback HTTP by this process, so its state can be counted here. Under RQ the
tasks hold their locks in Redis (``RedisLockProvider``) and pace through
Redis (``RedisPacer``).

- Four jobs for the same realm are enqueued while both workers are idle, so
  both take one at once. The per-realm run lock makes the second wait (the
  task's ``run_lock_timeout``) instead of failing; when it gets the lock every
  record is unchanged, so it writes nothing. Then one job is delivered again.
- The scheduler enqueues only the realms due (and each once); its jobs on two
  workers, with a concurrent extra job and a redelivery, push every record
  once and refresh the idle realm's tokens.
- A job whose work horse is SIGKILLed mid-run is retried by RQ and completes,
  with one QBO object per record (the retry replays the pending requestids).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import json
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
from rq.results import Result

from qbo_sync import SyncEngine
from qbo_sync.auth import Connected, IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import (
    Connection,
    LinkStatus,
    RunRecord,
    RunStatus,
    SQLiteStore,
    TokenCipher,
    TokenSet,
)
from qbo_sync.testing import FakeQBO, FakeQBOServer, Fault, sample_book

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rq-worker")]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKERS = 2
JOBS = 4
DEADLINE = 30.0  # seconds for everything the workers do


def _records(book: Any) -> list[Any]:
    """The book's customers, items, invoices, credit memos and payments (what is counted here)."""
    return [*book.items, *book.customers, *book.invoices, *book.credit_memos, *book.payments]


def _example(module: str) -> Any:
    """A module of examples/ (the folder workers get as ``--path``)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(module)


@pytest.fixture
def queue(redis: Redis) -> Iterator[Queue]:
    queue = Queue(f"qbo-sync-test-{uuid.uuid4().hex[:8]}", connection=redis)
    yield queue
    for registry in (queue.finished_job_registry, queue.failed_job_registry,
                     queue.started_job_registry, queue.scheduled_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.delete(delete_jobs=True)
    for key in redis.scan_iter(f"qbo_sync:scheduled:{queue.name}:*"):  # the scheduler's claims
        redis.delete(key)


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
        _example("rq_worker.product").save_records(db_path, _records(book))
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
                   "store": store, "book": book, "env": env, "oauth": oauth}
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
        assert sum(c["skipped"] for c in other["counts"].values()) == len(_records(book))
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
    assert sum(c["skipped"] for c in redelivered["counts"].values()) == len(_records(book))
    assert Counter(fake.object_counts(realm_id)) == after_first
    assert elapsed < DEADLINE
    print(f"\n{JOBS} jobs + 1 redelivery on {WORKERS} workers: {elapsed:.1f} s; "
          f"waits {[r['waited'] for r in results]}")


# -- the scheduler, keep-alive and a killed job -------------------------------------------

UTC = dt.timezone.utc


def _expected(book: Any) -> Counter[str]:
    """Objects one push of ``book`` makes (+ the default service item)."""
    return Counter({"Item": len(book.items) + 1, "Customer": len(book.customers),
                    "Invoice": len(book.invoices), "CreditMemo": len(book.credit_memos),
                    "Payment": len(book.payments)})


def _all_done(jobs: list[Job]) -> bool:
    """Every job finished; fail at once on one that failed for good."""
    states = [job.get_status() for job in jobs]
    for job, state in zip(jobs, states, strict=True):
        if state == JobStatus.FAILED:
            result = job.latest_result()
            pytest.fail(f"job {job.id} failed:\n{result.exc_string if result else ''}")
    return all(state == JobStatus.FINISHED for state in states)


def _linked_once(store: SQLiteStore, realm_id: str, expected: Counter[str]) -> None:
    """Every link of the realm is synced, each to its own QBO object, as many as expected."""
    for entity, count in expected.items():
        links = store.list_links(realm_id, entity_type=entity)
        assert {link.status for link in links} == {LinkStatus.SYNCED}, entity
        assert len({link.qbo_id for link in links}) == len(links) == count, entity


def _connect_another(company: dict[str, Any], name: str) -> str:
    """A second fake company, connected through OAuth into the same store, accounts mapped."""
    fake: FakeQBO = company["fake"]
    oauth: OAuthManager = company["oauth"]
    realm_id = fake.add_company(company_name=name)
    fake.next_consent(realm_id=realm_id)
    consent = oauth.authorization_url(tenant_id=f"tenant-{name}")
    callback = httpx.get(consent.url).headers["location"]
    assert isinstance(oauth.handle_callback(callback, tenant_id=f"tenant-{name}"), Connected)
    with SyncEngine.for_realm(oauth, realm_id, store=company["store"]) as engine:
        engine.map_accounts(**engine.suggest_accounts())
    return realm_id


def _age_tokens(store: SQLiteStore, realm_id: str, days: int) -> int:
    """Make the realm's tokens look last saved ``days`` ago; returns their new version."""
    tokens = store.get_tokens(realm_id)
    assert tokens is not None
    old = dt.datetime.now(UTC) - dt.timedelta(days=days)
    saved = store.save_tokens(realm_id, TokenSet(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token,
        access_expires_at=tokens.access_expires_at, refresh_expires_at=tokens.refresh_expires_at,
        refresh_hard_expires_at=tokens.refresh_hard_expires_at, updated_at=old,
    ), expected_version=tokens.version)
    return saved.version


def test_scheduler_enqueues_due_realms_once(queue: Queue, redis: Redis, tmp_path: Path) -> None:
    """Due realms only, each once: not while queued, not twice in a window, not by a rival."""
    scheduler = _example("rq_worker.scheduler")
    # A minute into a 15-minute window, so that 16 minutes later is the next window.
    start = int(dt.datetime.now(UTC).timestamp()) // 900 * 900
    now = dt.datetime.fromtimestamp(start + 60, UTC)
    db = str(tmp_path / "schedule.sqlite3")
    store = SQLiteStore(db)
    try:
        def connect(realm: str, *, refreshed_days: int, status: str = "connected") -> None:
            store.save_connection(Connection(realm_id=realm, environment="sandbox",
                                             status=status))
            store.save_tokens(realm, TokenSet(
                access_token=f"a-{realm}", refresh_token=f"r-{realm}",
                access_expires_at=now + dt.timedelta(hours=1),
                refresh_expires_at=now + dt.timedelta(days=90),
                updated_at=now - dt.timedelta(days=refreshed_days)))

        realm_new, realm_synced, realm_idle, realm_gone = (f"{n}{uuid.uuid4().int % 10**9}"
                                                           for n in range(1, 5))
        connect(realm_new, refreshed_days=1)
        connect(realm_synced, refreshed_days=1)
        connect(realm_idle, refreshed_days=45)
        connect(realm_gone, refreshed_days=45, status="disconnected")
        for realm in (realm_synced, realm_idle):
            store.save_run(RunRecord(run_id=uuid.uuid4().hex, realm_id=realm, kind="full",
                                     direction="push", status=RunStatus.SUCCESS,
                                     started_at=now - dt.timedelta(minutes=3),
                                     finished_at=now - dt.timedelta(minutes=2)))
        idle_version = store.get_tokens(realm_idle).version  # type: ignore[union-attr]
    finally:
        store.close()

    first = scheduler.schedule_once(queue, db, now=now)
    window = int(now.timestamp()) // 900
    assert sorted(first["enqueued"]) == sorted([f"sync_{realm_new}_{window}",
                                                f"refresh_{realm_idle}_{window}"])
    refresh = Job.fetch(f"refresh_{realm_idle}_{window}", connection=redis)
    assert refresh.func_name == "rq_worker.tasks.refresh_realm"
    assert refresh.kwargs["seen_version"] == idle_version
    assert Job.fetch(f"sync_{realm_new}_{window}", connection=redis).retries_left == 3

    # A window later the two realms synced 3 min before are due too; the first
    # two jobs are still queued, so they are not enqueued again.
    later = scheduler.schedule_once(queue, db, now=now + dt.timedelta(minutes=16))
    w1 = window + 1
    assert sorted(later["enqueued"]) == sorted([f"sync_{realm_synced}_{w1}",
                                                f"sync_{realm_idle}_{w1}"])
    assert sorted(later["queued_already"]) == sorted([f"sync_{realm_new}_{w1}",
                                                      f"refresh_{realm_idle}_{w1}"])
    assert len(queue) == 4

    # The jobs left the queue (say, failed for good): each window's claim still holds...
    queue.empty()
    again = scheduler.schedule_once(queue, db, now=now)
    assert again["enqueued"] == []
    assert sorted(again["claimed"]) == sorted(first["enqueued"])
    # ... and what was never claimed in the later window is enqueued there.
    nxt = scheduler.schedule_once(queue, db, now=now + dt.timedelta(minutes=16))
    assert sorted(nxt["enqueued"]) == sorted(later["queued_already"])
    assert sorted(nxt["claimed"]) == sorted(later["enqueued"])
    assert len(queue) == 2
    assert redis.exists(scheduler.claim_key(queue, f"sync_{realm_new}_{window}")) == 1


def test_schedule_command_once_for_cron(
    queue: Queue, redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m rq_worker schedule --once`` ticks once, prints what it enqueued, exits 0."""
    main = _example("rq_worker.__main__").main
    db = tmp_path / "cron.sqlite3"
    realm = f"7{uuid.uuid4().int % 10**9}"
    store = SQLiteStore(db)
    try:
        store.save_connection(Connection(realm_id=realm, environment="sandbox"))
    finally:
        store.close()
    argv = ["schedule", "--db", str(db), "--once", "--redis-url", redis_url,
            "--queue", queue.name]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert [j.rsplit("_", 1)[0] for j in first["enqueued"]] == [f"sync_{realm}"]
    assert second["enqueued"] == []
    assert second["queued_already"] == [first["enqueued"][0]]
    assert queue.get_job_ids() == first["enqueued"]


def test_scheduled_jobs_on_two_workers_push_once_and_keep_alive(
    company: dict[str, Any], queue: Queue, redis: Redis, redis_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two realms scheduled, an extra concurrent job and a redelivery: one object per record.

    The idle realm's tokens are refreshed by the keep-alive job (rotated at
    the fake, the stored refresh token the live one); the next tick finds
    nothing due.
    """
    scheduler = _example("rq_worker.scheduler")
    # The scheduler reads tokens (their age): it runs with the workers' key.
    monkeypatch.setenv("QUICKBOOKS_TOKEN_ENCRYPTION_KEY",
                       company["env"]["QUICKBOOKS_TOKEN_ENCRYPTION_KEY"])
    fake: FakeQBO = company["fake"]
    store: SQLiteStore = company["store"]
    book = company["book"]
    realm_a: str = company["realm_id"]
    realm_b = _connect_another(company, "Second Plumbing")
    seen = _age_tokens(store, realm_a, days=40)
    before = {realm: Counter(fake.object_counts(realm)) for realm in (realm_a, realm_b)}
    fake.faults.schedule(Fault(kind="latency", seconds=0.2), None, path="/batch")
    base_url = company["server"].base_url
    started = time.monotonic()
    deadline = started + DEADLINE

    with _workers(WORKERS, queue, redis_url, company["env"], tmp_path) as procs:
        _wait_for(lambda: len(Worker.all(queue=queue)) == WORKERS, "both workers listen",
                  procs, deadline, tmp_path)
        tick = scheduler.schedule_once(queue, company["db_path"], qbo_base_url=base_url,
                                       retries=0)
        window = int(time.time()) // 900
        assert sorted(tick["enqueued"]) == sorted([
            f"sync_{realm_a}_{window}", f"sync_{realm_b}_{window}",
            f"refresh_{realm_a}_{window}"])
        # The product also asked for realm A at once (a "sync now" button): same realm, two workers.
        extra = _example("rq_worker.tasks").enqueue_sync(
            queue, realm_a, company["db_path"], qbo_base_url=base_url, retries=0)
        jobs = [Job.fetch(j, connection=redis) for j in tick["enqueued"]] + [extra]
        _wait_for(lambda: _all_done(jobs), "every scheduled job finished", procs, deadline,
                  tmp_path)
        results = {job.id: job.return_value() for job in jobs}

        after = scheduler.schedule_once(queue, company["db_path"], qbo_base_url=base_url,
                                        retries=0)
        # Redelivered (a lost acknowledgement): the job runs again and writes nothing.
        sync_a = Job.fetch(f"sync_{realm_a}_{window}", connection=redis)
        queue.enqueue_job(sync_a)
        _wait_for(lambda: _all_done([sync_a]), "the redelivered job finished", procs, deadline,
                  tmp_path)
        redelivered = sync_a.return_value(refresh=True)
    elapsed = time.monotonic() - started

    expected = _expected(book)
    for realm in (realm_a, realm_b):
        assert Counter(fake.object_counts(realm)) - before[realm] == expected, realm
        _linked_once(store, realm, expected)
    a_runs = [r for r in results.values() if r.get("realm_id") == realm_a and "counts" in r]
    assert len(a_runs) == 2
    assert sorted(sum(c["created"] for c in r["counts"].values()) for r in a_runs) == [
        0, sum(expected.values())]
    assert all(r["throttled"] == 0 for r in results.values() if "throttled" in r)
    assert redelivered["write_requests"] == 0
    assert redelivered["status"] == "success"

    refreshed = results[f"refresh_{realm_a}_{window}"]
    assert refreshed["refreshed"] is True
    assert refreshed["version"] > seen
    tokens = store.get_tokens(realm_a)
    assert tokens is not None
    assert fake.live_refresh_tokens(realm_a)[-1] == tokens.refresh_token
    assert tokens.updated_at is not None
    assert tokens.updated_at > dt.datetime.now(UTC) - dt.timedelta(minutes=5)

    # Nothing is due any more: both realms just synced, A's tokens are fresh.
    assert after["enqueued"] == []
    assert elapsed < DEADLINE


def _children(pid: int) -> list[int]:
    """Ids of the live child processes of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def test_job_killed_mid_run_is_retried_with_no_duplicate(
    company: dict[str, Any], queue: Queue, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    """SIGKILL the work horse mid-push: RQ retries the job, which waits out the dead
    holder's lock lease, replays the pending requestids and completes: one object per record."""
    tasks = _example("rq_worker.tasks")
    fake: FakeQBO = company["fake"]
    store: SQLiteStore = company["store"]
    realm_id: str = company["realm_id"]
    fake.faults.schedule(Fault(kind="latency", seconds=0.3), None, path="/batch")
    before = Counter(fake.object_counts(realm_id))
    started = time.monotonic()
    deadline = started + DEADLINE

    with _workers(1, queue, redis_url, company["env"], tmp_path) as procs:
        _wait_for(lambda: len(Worker.all(queue=queue)) == 1, "the worker listens",
                  procs, deadline, tmp_path)
        job = tasks.enqueue_sync(queue, realm_id, company["db_path"],
                                 qbo_base_url=company["server"].base_url,
                                 retries=1, retry_intervals=[0], lock_lease=2.0)
        # Mid-run: some customers exist in QBO, the invoices not yet.
        _wait_for(lambda: fake.object_counts(realm_id).get("Customer", 0) > before["Customer"],
                  "the first objects were created", procs, deadline, tmp_path)
        horses = _children(procs[0].pid)
        assert len(horses) == 1, horses
        os.kill(horses[0], signal.SIGKILL)
        killed_at = Counter(fake.object_counts(realm_id)) - before
        _wait_for(lambda: _all_done([job]), "the retried job finished", procs, deadline,
                  tmp_path)
        result = job.return_value(refresh=True)

    expected = _expected(company["book"])
    assert killed_at["Invoice"] < expected["Invoice"]  # it really was killed mid-run
    job.refresh()
    assert job.retries_left == 0  # RQ spent its one retry on the killed attempt
    assert job.latest_result().type == Result.Type.SUCCESSFUL  # type: ignore[union-attr]
    assert result["status"] == "success"
    assert result["waited"] > 0.5  # the dead horse's lock held until its lease ended
    assert Counter(fake.object_counts(realm_id)) - before == expected
    _linked_once(store, realm_id, expected)
    runs = store.list_runs(realm_id=realm_id, include_failures=False)
    assert [r.status for r in runs][:2] == [RunStatus.SUCCESS, RunStatus.RUNNING]
