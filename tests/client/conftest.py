"""Fixtures for the client tests: a recording MockTransport and a client factory.

``make_client`` builds each test's client twice: a :class:`QBOClient`, and an
:class:`AsyncQBOClient` seen through :class:`Blocking` (its coroutines run to
completion on an event loop of the test's own), so every behaviour test in
this folder proves the same behaviour of both clients. A test that is about
the sync client only takes ``sync_client_only``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest

from qbo_sync import _json
from qbo_sync.client import AsyncEntityService, AsyncPage, AsyncQBOClient, QBOClient
from qbo_sync.http import RealmPacer, RetryPolicy

REALM = "4620816365"
BASE = f"https://sandbox-quickbooks.api.intuit.com/v3/company/{REALM}"

Handler = Callable[[httpx.Request], httpx.Response]


def qbo_json(
    data: Any, status: int = 200, tid: str = "1-tid-test", **headers: str
) -> httpx.Response:
    """A QBO-like JSON response (money kept as Decimal text) with an intuit_tid."""
    return httpx.Response(
        status,
        headers={"intuit_tid": tid, "content-type": "application/json", **headers},
        content=_json.dumps(data),
    )


class Recorder:
    """A MockTransport that records every request and answers through ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return _json.loads(self.requests[index].content)


class RecordingPacer:
    """A pacer that records the slots it handed out (and never waits)."""

    def __init__(self) -> None:
        self.slots: list[tuple[str, bool]] = []
        self.throttled: list[tuple[str, float | None]] = []

    @contextlib.contextmanager
    def slot(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        self.slots.append((realm_id, batch))
        yield

    def note_throttled(self, realm_id: str, retry_after: float | None) -> None:
        self.throttled.append((realm_id, retry_after))


def free_pacer() -> RealmPacer:
    """A real RealmPacer with every limit off, so tests never wait."""
    return RealmPacer(
        per_minute=None, batch_per_minute=None, per_second=None, max_in_flight=None,
        throttle_pause=0.0,
    )


def no_sleep_retry(**kwargs: Any) -> RetryPolicy:
    sleeps: list[float] = []
    return RetryPolicy(sleep=sleeps.append, **kwargs)


class Blocking:
    """An async object seen through sync eyes: each coroutine runs to completion on ``loop``.

    Awaitables are awaited, async iterators become iterators, and async pages,
    services and clients come back wrapped, so a test written against
    :class:`QBOClient` drives an :class:`AsyncQBOClient` unchanged. Every
    coroutine runs in one shared :mod:`contextvars` context, as the awaits of
    one task would (so ``last_response`` behaves as in a single task).
    """

    def __init__(
        self, target: Any, loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None = None,
    ) -> None:
        self._target = target
        self._loop = loop
        self._context = context if context is not None else contextvars.copy_context()

    def _await(self, awaitable: Any) -> Any:
        async def step() -> tuple[Any, contextvars.Context]:
            value = await awaitable
            return value, contextvars.copy_context()

        task = self._context.run(self._loop.create_task, step())
        value, after = self._loop.run_until_complete(task)
        for var, var_value in after.items():
            self._context.run(var.set, var_value)
        return value

    def _wrap(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            return self._wrap(self._await(value))
        if isinstance(value, AsyncIterator):
            return self._iterate(value)
        if isinstance(value, AsyncPage | AsyncEntityService | AsyncQBOClient):
            return Blocking(value, self._loop, self._context)
        return value

    def _iterate(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self._await(iterator.__anext__())
            except StopAsyncIteration:
                return

    def __getattr__(self, name: str) -> Any:
        value = self._context.run(getattr, self._target, name)
        if callable(value) and not isinstance(value, type):
            return lambda *args, **kwargs: self._wrap(self._context.run(value, *args, **kwargs))
        return self._wrap(value)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __repr__(self) -> str:
        return repr(self._target)

    def close(self) -> None:
        """``QBOClient.close`` for the async client: ``aclose``."""
        self._await(self._target.aclose())


def async_retry(retry: RetryPolicy) -> RetryPolicy:
    """The same policy for the async client, its waits going to the policy's own ``sleep``."""
    sleep = retry.sleep

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    return attrs.evolve(retry, async_sleep=async_sleep)


FLAVOURS = ["sync", "async"]
#: Tests about QBOClient itself, not about behaviour both clients share.
SYNC_ONLY = {
    # Asserts the sync class's repr; test_async_client checks AsyncQBOClient's.
    "test_repr_never_shows_the_token",
}


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    """Which client a test runs against: ``"sync"`` or ``"async"``."""
    if request.param == "async" and request.function.__name__ in SYNC_ONLY:
        pytest.skip("a test of QBOClient itself")
    return str(request.param)


@pytest.fixture
def event_loop_for_test() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop the Blocking proxies run coroutines on."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


def build_client(
    flavour: str, loop: asyncio.AbstractEventLoop, *, sync_transport: httpx.BaseTransport,
    async_transport: httpx.AsyncBaseTransport, **kwargs: Any,
) -> Any:
    """A QBOClient, or a Blocking AsyncQBOClient, from the same arguments."""
    if flavour == "sync":
        return QBOClient(transport=sync_transport, **kwargs)
    if "retry" in kwargs:
        kwargs["retry"] = async_retry(kwargs["retry"])
    return Blocking(AsyncQBOClient(transport=async_transport, **kwargs), loop)


@pytest.fixture
def make_client(
    flavour: str, event_loop_for_test: asyncio.AbstractEventLoop
) -> Iterator[Callable[..., tuple[Any, Recorder]]]:
    """Build a client on a Recorder around ``handler`` (no waiting, no network)."""
    clients: list[Any] = []

    def factory(handler: Handler, **kwargs: Any) -> tuple[Any, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("environment", "sandbox")
        if "token_provider" not in kwargs:
            kwargs.setdefault("access_token", "tok-secret-123")
        kwargs.setdefault("retry", no_sleep_retry())
        kwargs.setdefault("pacer", free_pacer())
        transport = recorder.transport()  # MockTransport serves both clients
        client = build_client(
            flavour, event_loop_for_test, sync_transport=transport, async_transport=transport,
            realm_id=REALM, **kwargs,
        )
        clients.append(client)
        return client, recorder

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def reply() -> Callable[..., httpx.Response]:
    """``reply(data, status=200, tid=...)``: a QBO-like JSON response."""
    return qbo_json


@pytest.fixture
def recording_pacer() -> RecordingPacer:
    """A pacer that records slots and throttle notes."""
    return RecordingPacer()
