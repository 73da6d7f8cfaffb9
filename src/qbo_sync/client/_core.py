"""The sans-I/O half of sending: what each attempt does, decided once for both clients.

One logical call is an :class:`~qbo_sync.client.ApiRequest` whose
``requestid`` is already fixed; :class:`SendCore` holds every rule about
sending it, and the two senders (:class:`~qbo_sync.client._transport.Sender`
on ``httpx.Client``, :class:`~qbo_sync.client._async_transport.AsyncSender`
on ``httpx.AsyncClient``) only perform the steps it asks for, the way httpx's
``Auth.auth_flow`` generator is driven by a sync and an async loop:

- :meth:`SendCore.attempt_flow` yields :class:`GetToken`, :class:`Exchange`
  (pace, count, send), :class:`RejectToken` (one refresh per call on a 401)
  and :class:`NoteThrottled` steps, maps the answer with
  :func:`~qbo_sync.http.error_from_response` and raises the error or returns
  the response;
- the retry decisions are :meth:`qbo_sync.http.RetryPolicy.next_wait`'s;
- :meth:`SendCore.request_args`, :meth:`SendCore.transport_error` and
  :meth:`SendCore.finish` build the HTTP request, map httpx's failures and
  build the :class:`ApiResponse`;
- the request counters live here, behind a lock, for both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Mapping
from typing import Any

import attrs
import httpx

from qbo_sync import _json
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._types import RequestStats, ResponseInfo
from qbo_sync.errors import PayloadError, ThrottledError, TransportError
from qbo_sync.http import error_from_response, intuit_tid_from, redact

__all__ = [
    "ApiResponse",
    "AttemptFlow",
    "CallState",
    "Exchange",
    "GetToken",
    "NoteThrottled",
    "RejectToken",
    "SendCore",
    "Step",
]

_log = logging.getLogger("qbo_sync.client")


@attrs.frozen
class ApiResponse:
    """A successful answer: status, headers, raw body and ``intuit_tid``."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    intuit_tid: str | None
    info: ResponseInfo

    def json(self) -> Any:
        """The body parsed with :func:`qbo_sync._json.loads` (money as ``Decimal``).

        Raises:
            PayloadError: When the body is not JSON.
        """
        try:
            return _json.loads(self.content)
        except ValueError:
            raise PayloadError(
                f"QBO answered HTTP {self.status} with a body that is not JSON",
                status=self.status,
                intuit_tid=self.intuit_tid,
            ) from None


@attrs.frozen
class GetToken:
    """Step: ask the token provider for the realm's token; send back the token."""


@attrs.frozen
class Exchange:
    """Step: wait for a pacer slot, count, send with ``token``; send back the response."""

    token: str = attrs.field(repr=False)


@attrs.frozen
class RejectToken:
    """Step: tell the token provider QBO said 401 to ``token``; send back a fresh one or None."""

    token: str = attrs.field(repr=False)


@attrs.frozen
class NoteThrottled:
    """Step: tell the pacer the realm was throttled; send back ``None``."""

    retry_after: float | None


Step = GetToken | Exchange | RejectToken | NoteThrottled
#: One attempt: yields steps, receives their results, returns the good response.
AttemptFlow = Generator[Step, Any, httpx.Response]


@attrs.define
class CallState:
    """One logical call across its retries.

    Attributes:
        attempts: Attempts started.
        refreshed: Whether the one token refresh per call was spent.
    """

    attempts: int = 0
    refreshed: bool = False


class SendCore:
    """Every sending rule for one realm, free of I/O (shared by both senders)."""

    def __init__(
        self, *, realm_id: str, base_url: str, minor_version: int, user_agent: str
    ) -> None:
        self.realm_id = realm_id
        self.company_url = f"{base_url}/v3/company/{realm_id}"
        self.minor_version = minor_version
        self.user_agent = user_agent
        self._counts_lock = threading.Lock()
        self._requests = 0
        self._batches = 0
        self._throttled = 0

    def stats(self) -> RequestStats:
        """A snapshot of the request counters."""
        with self._counts_lock:
            return RequestStats(
                requests=self._requests, batch_requests=self._batches, throttled=self._throttled
            )

    def count_attempt(self, req: ApiRequest) -> None:
        """Count one attempt, before it is sent: an attempt without an answer spent budget too."""
        with self._counts_lock:
            self._requests += 1
            self._batches += int(req.batch)

    def _count_throttle(self) -> None:
        with self._counts_lock:
            self._throttled += 1

    def request_args(self, req: ApiRequest, token: str) -> dict[str, Any]:
        """Keyword arguments for ``build_request`` of either httpx client."""
        headers = {
            "Accept": req.accept,
            "Authorization": f"Bearer {token}",
            "User-Agent": self.user_agent,
        }
        if req.content_type is not None:
            headers["Content-Type"] = req.content_type
        return {
            "method": req.method,
            "url": f"{self.company_url}/{req.path}",
            "params": req.query_params(minor_version=self.minor_version),
            "content": req.body,
            "headers": headers,
        }

    @staticmethod
    def transport_error(req: ApiRequest, exc: httpx.RequestError) -> TransportError:
        """The :class:`~qbo_sync.errors.TransportError` for a request that got no answer."""
        if isinstance(exc, httpx.TimeoutException):
            return TransportError(f"{req.method} {req.path} timed out ({type(exc).__name__})")
        return TransportError(
            f"{req.method} {req.path} failed: {type(exc).__name__}: {redact(str(exc))}"
        )

    def attempt_flow(self, req: ApiRequest, state: CallState) -> AttemptFlow:
        """One attempt of ``req``, as steps for a sender to perform.

        Raises:
            QBOError: The answer mapped to an error (the retry policy decides
                whether another attempt follows).
        """
        state.attempts += 1
        token = yield GetToken()
        response: httpx.Response = yield Exchange(token)
        if response.status_code == 401 and not state.refreshed:
            state.refreshed = True
            fresh = yield RejectToken(token)
            if fresh:
                _log.info("QBO said 401 to %s %s; retrying once with a fresh token",
                          req.method, req.path)
                response = yield Exchange(fresh)
        error = error_from_response(response.status_code, response.headers, response.content)
        if error is not None:
            if isinstance(error, ThrottledError):
                self._count_throttle()
                yield NoteThrottled(error.retry_after)
            _log.debug("%s %s -> %s intuit_tid=%s", req.method, req.path,
                       response.status_code, error.intuit_tid)
            raise error
        return response

    def finish(self, req: ApiRequest, response: httpx.Response, state: CallState) -> ApiResponse:
        """The :class:`ApiResponse` of the call's good answer."""
        tid = intuit_tid_from(response.headers)
        info = ResponseInfo(
            intuit_tid=tid,
            status=response.status_code,
            method=req.method,
            path=req.path,
            request_id=req.request_id,
            attempts=state.attempts,
        )
        _log.debug("%s %s -> %s intuit_tid=%s", req.method, req.path, response.status_code, tid)
        return ApiResponse(
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            intuit_tid=tid,
            info=info,
        )
