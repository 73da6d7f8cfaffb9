"""The two ways a FakeQBO is reached: an httpx transport in-process, and ASGI over HTTP.

Both turn a request into :class:`FakeRequest`, call ``FakeQBO.dispatch`` and
act out the outcome, including the faults a network adds (a timeout, a
connection dropped after the server committed the write).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import httpx

from qbo_sync.testing._fake._app import FakeRequest, Outcome, parse_query
from qbo_sync.testing._fake._clock import FakeClock

if TYPE_CHECKING:
    from qbo_sync.testing._fake._app import FakeQBO

__all__ = ["AsgiApp", "AsyncFakeTransport", "FakeTransport"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class FakeTransport(httpx.BaseTransport):
    """Serves every request from a FakeQBO, whatever the host. Thread-safe.

    Args:
        fake: The fake to answer from.
    """

    def __init__(self, fake: FakeQBO) -> None:
        self._fake = fake

    def __repr__(self) -> str:
        return f"FakeTransport({self._fake!r})"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request``, or raise the transport error a fault calls for.

        Raises:
            httpx.ReadTimeout: For an injected timeout.
            httpx.RemoteProtocolError: For a connection dropped after commit.
        """
        return self.answer(request, request.read())

    def answer(self, request: httpx.Request, body: bytes) -> httpx.Response:
        """Dispatch ``request`` (whose body was read as ``body``) and act out the outcome."""
        outcome = self._fake.dispatch(
            FakeRequest(
                method=request.method.upper(),
                path=request.url.path,
                query=parse_query(request.url.query.decode("ascii", "replace")),
                headers=_header_dict(request.headers.raw),
                body=body,
            )
        )
        fault = outcome.fault
        if fault is not None and fault.kind == "timeout":
            # The client waited its whole timeout; on virtual time that wait is free.
            if isinstance(self._fake.clock, FakeClock):
                self._fake.clock.advance(fault.seconds)
            raise httpx.ReadTimeout("FakeQBO: injected read timeout", request=request)
        if fault is not None and fault.kind == "drop":
            raise httpx.RemoteProtocolError(
                "FakeQBO: server disconnected without sending a response (injected)",
                request=request,
            )
        reply = outcome.reply
        return httpx.Response(
            reply.status, headers=list(reply.headers), content=reply.body, request=request
        )


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """The in-process transport for :class:`~qbo_sync.AsyncQBOClient`.

    Answers on the event loop's thread (the fake is in memory and quick) and
    acts out injected faults exactly as :class:`FakeTransport` does: a
    timeout raises ``httpx.ReadTimeout`` (advancing a virtual clock instead of
    sleeping) and a drop after commit raises ``httpx.RemoteProtocolError``.
    Served over ASGI instead, those faults cannot be acted out in-process.

    Args:
        fake: The fake to answer from.
    """

    def __init__(self, fake: FakeQBO) -> None:
        self._sync = FakeTransport(fake)

    def __repr__(self) -> str:
        return f"AsyncFakeTransport({self._sync._fake!r})"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request``, or raise the transport error a fault calls for."""
        return self._sync.answer(request, await request.aread())


class AsgiApp:
    """An ASGI 3 app (written by hand, no framework) serving a FakeQBO.

    Requests run in a thread pool (the ledger is synchronous), so concurrent
    clients really overlap and the in-flight limit means something.

    Args:
        fake: The fake to serve.
        max_workers: Threads answering requests at once.
    """

    def __init__(self, fake: FakeQBO, *, max_workers: int = 32) -> None:
        self.fake = fake
        self._max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix="fakeqbo"
            )
        return self._pool

    def __repr__(self) -> str:
        return f"AsgiApp({self.fake!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers = _header_dict(scope["headers"])
        request = FakeRequest(
            method=str(scope["method"]).upper(),
            path=str(scope["path"]),
            query=parse_query(bytes(scope.get("query_string", b"")).decode("latin-1")),
            headers=headers,
            body=b"".join(chunks),
            base_url=_base_url(scope, headers),
        )
        loop = asyncio.get_running_loop()
        outcome: Outcome = await loop.run_in_executor(self._executor(), self.fake.dispatch, request)
        fault = outcome.fault
        if fault is not None and fault.kind == "timeout":
            # Hold the answer past the client's timeout; over a socket only real time works.
            await asyncio.sleep(fault.seconds)
        reply = outcome.reply
        dropped = fault is not None and fault.kind == "drop"
        # A dropped connection promises more body than is sent, then stops: the
        # server closes the connection mid-response and the client sees a protocol error.
        length = len(reply.body) + (100 if dropped else 0)
        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in reply.headers
            if k.lower() != "content-length"
        ]
        raw_headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        if dropped:
            await send({"type": "http.response.body", "body": reply.body[:1], "more_body": True})
            return
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                self.fake.webhooks.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Raw header pairs as a dict with lower-case names (the last value wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = str(scope.get("scheme", "http"))
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"
