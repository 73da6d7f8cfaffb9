"""Fixtures for the client tests: a recording MockTransport and a client factory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from qbo_sync import _json
from qbo_sync.client import QBOClient
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


@pytest.fixture
def make_client() -> Iterator[Callable[..., tuple[QBOClient, Recorder]]]:
    """Build a client on a Recorder around ``handler`` (no waiting, no network)."""
    clients: list[QBOClient] = []

    def factory(handler: Handler, **kwargs: Any) -> tuple[QBOClient, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("environment", "sandbox")
        if "token_provider" not in kwargs:
            kwargs.setdefault("access_token", "tok-secret-123")
        kwargs.setdefault("retry", no_sleep_retry())
        kwargs.setdefault("pacer", free_pacer())
        client = QBOClient(realm_id=REALM, transport=recorder.transport(), **kwargs)
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
