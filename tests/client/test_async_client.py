"""What is particular to AsyncQBOClient: its surface, and never blocking the event loop.

Behaviour shared with QBOClient is proven by every other test in this folder
(each runs on both clients); these tests run natively with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest

import qbo_sync
from qbo_sync import AsyncQBOClient, QBOClient, models
from qbo_sync.client import (
    AsyncEntityService,
    AsyncInvoiceService,
    AsyncNameListService,
    EntityService,
)
from qbo_sync.client._service_table import ServiceTable
from qbo_sync.errors import ConfigurationError
from qbo_sync.http import RealmPacer, RedisPacer, RetryPolicy, async_slot
from qbo_sync.testing import FakeQBO

from .conftest import free_pacer

TOKEN = "tok-secret-123"


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run one async test body on a fresh event loop."""
    async def main() -> Any:
        return await coro_fn()

    return asyncio.run(main())


class Company:
    """A fake QBO and async clients on its ASGI app."""

    def __init__(self, *realms: str) -> None:
        self.fake = FakeQBO(limits=False)
        self.realms = [self.fake.add_company(realm_id=r, company_name=f"Co {r}") for r in realms]

    def client(self, realm: str, **kwargs: Any) -> AsyncQBOClient:
        kwargs.setdefault("access_token", self.fake.issue_access_token(realm))
        kwargs.setdefault("pacer", free_pacer())
        kwargs.setdefault("transport", httpx.ASGITransport(app=self.fake.asgi_app))
        return AsyncQBOClient(realm_id=realm, environment="sandbox", **kwargs)


class Ticker:
    """Counts event-loop turns while it runs: a blocked loop stops the count."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.ticks += 1

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


# -- surface -----------------------------------------------------------------------------


def test_exported_from_the_package_and_client() -> None:
    """AsyncQBOClient is importable from qbo_sync and qbo_sync.client (one class)."""
    assert qbo_sync.AsyncQBOClient is AsyncQBOClient
    assert "AsyncQBOClient" in qbo_sync.__all__
    assert qbo_sync.client.AsyncQBOClient is AsyncQBOClient


def test_every_service_on_both_clients_from_one_table() -> None:
    """Each declared service exists on both clients, same entity, same operations, async."""
    slots = ServiceTable.service_slots()
    assert len(slots) == 20
    sync = QBOClient(realm_id="1", environment="sandbox", access_token=TOKEN)
    asynchronous = AsyncQBOClient(realm_id="1", environment="sandbox", access_token=TOKEN)
    for name, slot in slots.items():
        plain, twin = getattr(sync, name), getattr(asynchronous, name)
        assert isinstance(plain, EntityService)
        assert isinstance(twin, AsyncEntityService)
        assert type(plain).__name__ == slot.kind
        assert type(twin).__name__ == f"Async{slot.kind}"
        assert plain.entity_name == twin.entity_name == slot.entity_name
        ops = {m for m in dir(plain) if not m.startswith("_")}
        assert ops == {m for m in dir(twin) if not m.startswith("_")}
        for op in ops - {"entity_name", "select", "query"}:
            assert asyncio.iscoroutinefunction(getattr(twin, op)), f"{name}.{op}"
    assert asynchronous.customers is asynchronous.customers  # built once, then cached
    assert isinstance(asynchronous.customers, AsyncNameListService)
    assert isinstance(asynchronous.invoices, AsyncInvoiceService)
    sync.close()
    run(asynchronous.aclose)


def test_repr_hides_the_token_and_config_is_checked() -> None:
    """The repr names realm and environment only; a sync transport is refused by name."""
    client = AsyncQBOClient(realm_id="4620816365", environment="sandbox", access_token=TOKEN)
    assert repr(client) == "AsyncQBOClient(realm_id='4620816365', sandbox)"
    assert TOKEN not in repr(client.customers)
    run(client.aclose)
    with pytest.raises(ConfigurationError) as caught:
        AsyncQBOClient(realm_id="1", environment="sandbox", access_token=TOKEN,
                       transport=httpx.HTTPTransport())  # type: ignore[arg-type]
    assert "AsyncQBOClient" in str(caught.value)
    assert "AsyncBaseTransport" in str(caught.value)


def test_async_with_closes_the_pool() -> None:
    """``async with`` yields the client and closes its httpx.AsyncClient on exit."""
    company = Company("100")

    async def body() -> None:
        async with company.client("100") as client:
            assert (await client.company_info()).company_name == "Co 100"
        with pytest.raises(RuntimeError):
            await client.company_info()

    run(body)


def test_last_response_is_per_task_and_stats_are_shared() -> None:
    """Each task sees its own last response; the counters add up every task's requests."""
    company = Company("100")

    async def body() -> None:
        async with company.client("100") as client:
            ada = await client.customers.create(models.Customer(display_name="Ada"))

            async def read(entity_id: str) -> tuple[str, str | None]:
                await client.customers.get(entity_id)
                info = client.last_response
                assert info is not None
                return info.path, info.request_id

            assert client.last_response is not None
            assert client.last_response.method == "POST"
            paths = await asyncio.gather(*(read(ada.id) for _ in range(5)))
            assert set(paths) == {(f"customer/{ada.id}", None)}
            assert client.last_response.method == "POST"  # the tasks' reads stay theirs
            assert client.stats.requests == 6

    run(body)


# -- not blocking the loop -----------------------------------------------------------


def test_a_paced_realm_waits_without_blocking_another() -> None:
    """Realm A held back by its pacer awaits; realm B's request and the loop carry on."""
    company = Company("100", "200")
    pacer = free_pacer()
    pacer.note_throttled("100", 0.6)

    async def body() -> None:
        async with company.client("100", pacer=pacer) as a, company.client("200", pacer=pacer) as b:
            done: list[str] = []

            async def call(client: AsyncQBOClient, name: str) -> None:
                await client.company_info()
                done.append(name)

            start = time.monotonic()
            with Ticker() as ticker:
                await asyncio.gather(call(a, "A"), call(b, "B"))
            elapsed = time.monotonic() - start
            assert done == ["B", "A"]
            assert 0.55 <= elapsed < 2.0
            assert ticker.ticks >= 20  # the loop turned all along the 0.6 s wait

    run(body)


class _InFlight(httpx.AsyncBaseTransport):
    """Wraps a transport, counting concurrent requests and slowing each one a little."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0.02)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


def test_in_flight_limit_holds_across_tasks() -> None:
    """Ten concurrent reads of one realm, max_in_flight=3: never more than 3 at once."""
    company = Company("100")
    pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None,
                       max_in_flight=3, poll_interval=0.005)
    transport = _InFlight(httpx.ASGITransport(app=company.fake.asgi_app))

    async def body() -> None:
        async with company.client("100", pacer=pacer, transport=transport) as client:
            infos = await asyncio.gather(*(client.company_info() for _ in range(10)))
            assert len(infos) == 10
        assert transport.peak == 3
        assert pacer.in_flight("100") == 0

    run(body)


class _SlotOnlyPacer:
    """A pacer with a blocking ``slot()`` only (no try_acquire): it sleeps 0.2 s to admit."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.released = 0

    def slot(self, realm_id: str, *, batch: bool = False) -> Any:
        pacer = self

        class _Slot:
            def __enter__(self) -> None:
                pacer.threads.append(threading.get_ident())
                time.sleep(0.2)

            def __exit__(self, *exc: object) -> None:
                pacer.released += 1

        return _Slot()

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        raise AssertionError("not throttled in this test")


def test_a_blocking_slot_is_entered_in_a_worker_thread() -> None:
    """A pacer without try_acquire blocks a worker thread, not the loop, and is released."""
    company = Company("100")
    pacer = _SlotOnlyPacer()

    async def body() -> None:
        loop_thread = threading.get_ident()
        async with company.client("100", pacer=pacer) as client:
            with Ticker() as ticker:
                await client.company_info()
            assert ticker.ticks >= 10
        assert pacer.threads
        assert loop_thread not in pacer.threads
        assert pacer.released == 1

    run(body)


class _SlowIOPacer:
    """A PollingPacer that does (simulated) network I/O: try_acquire takes 0.2 s."""

    blocking_io: ClassVar[bool] = True

    def __init__(self) -> None:
        self.taken = 0
        self.released = 0
        self.threads: list[int] = []

    def try_acquire(self, realm_id: str, *, batch: bool = False) -> float:
        self.threads.append(threading.get_ident())
        time.sleep(0.2)
        self.taken += 1
        return 0.0

    def release(self, realm_id: str) -> None:
        self.released += 1

    def slot(self, realm_id: str, *, batch: bool = False) -> Any:
        raise AssertionError("async callers never use slot()")

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        """Unused here."""


def test_cancelled_while_asking_gives_the_slot_back() -> None:
    """Cancelled during a blocking try_acquire: the slot the thread took is released."""
    pacer = _SlowIOPacer()

    async def body() -> None:
        async def hold() -> None:
            async with async_slot(pacer, "100"):
                raise AssertionError("never entered: cancelled first")

        task = asyncio.get_running_loop().create_task(hold())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.3)
        assert (pacer.taken, pacer.released) == (1, 1)
        assert threading.get_ident() not in pacer.threads

    run(body)


class _BlockingTokens:
    """A token provider that does slow I/O (like an OAuth refresh) and notes its thread."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.threads: list[int] = []

    def get_token(self, realm_id: str) -> str:
        self.threads.append(threading.get_ident())
        time.sleep(0.1)
        return self.token

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        return None


def test_token_provider_runs_in_a_worker_thread() -> None:
    """A blocking token provider is called off the loop; the loop keeps turning."""
    company = Company("100")
    tokens = _BlockingTokens(company.fake.issue_access_token("100"))

    async def body() -> None:
        async with company.client("100", token_provider=tokens, access_token=None) as client:
            with Ticker() as ticker:
                await client.customers.count()
            assert ticker.ticks >= 5
        assert tokens.threads
        assert threading.get_ident() not in tokens.threads

    run(body)


def test_retries_wait_with_async_sleep() -> None:
    """Backoff between attempts is awaited through RetryPolicy.async_sleep, never time.sleep."""
    company = Company("100")
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    def forbidden(seconds: float) -> None:
        raise AssertionError("the async client must not call the blocking sleep")

    retry = RetryPolicy(sleep=forbidden, async_sleep=fake_sleep)
    company.fake.faults.fail_next(2, status=503)

    async def body() -> None:
        async with company.client("100", retry=retry) as client:
            info = await client.company_info()
            assert info.company_name == "Co 100"
            assert client.last_response is not None
            assert client.last_response.attempts == 3

    run(body)
    assert len(waits) == 2
    assert all(w > 0 for w in waits)


# -- RedisPacer from asyncio -----------------------------------------------------------


@pytest.fixture
def redis_pacer(redis_url: str) -> Iterator[Any]:
    """A RedisPacer (max 1 in flight) on a key prefix of this test's own."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(redis_url)
    prefix = f"qbo_sync:test:async:{uuid.uuid4().hex}"
    yield RedisPacer(redis=client, prefix=prefix, per_minute=None, batch_per_minute=None,
                     per_second=None, max_in_flight=1, poll_interval=0.01, throttle_pause=0.2)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_pacer_paces_async_callers(redis_pacer: Any) -> None:
    """try_acquire says how long to wait when full; async_slot serialises holders via Redis."""
    assert redis_pacer.try_acquire("r1") == 0.0
    assert redis_pacer.try_acquire("r1") > 0
    redis_pacer.release("r1")
    holding: list[int] = []
    peak: list[int] = []

    async def hold() -> None:
        async with async_slot(redis_pacer, "r1"):
            holding.append(1)
            peak.append(len(holding))
            await asyncio.sleep(0.03)
            holding.pop()

    async def body() -> None:
        await asyncio.gather(*(hold() for _ in range(4)))

    run(body)
    assert peak == [1, 1, 1, 1]
    assert redis_pacer.in_flight("r1") == 0


def test_async_client_on_a_redis_pacer_survives_a_throttle(redis_pacer: Any) -> None:
    """Through RedisPacer (asked from threads), a 429 is noted in Redis and retried."""
    company = Company("100")
    company.fake.faults.throttle_next(1)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def body() -> None:
        retry = RetryPolicy(async_sleep=record)
        async with company.client("100", pacer=redis_pacer, retry=retry) as client:
            info = await client.company_info()
            assert info.company_name == "Co 100"
            assert client.stats.throttled == 1

    run(body)
    assert len(waits) == 1
    blocked = redis_pacer._redis.get(redis_pacer._key("100", "blocked_until"))
    assert blocked is not None  # the throttle reached every process's budget
    assert redis_pacer.in_flight("100") == 0
