"""Sending one :class:`ApiRequest`: auth, pacing, retries, fault mapping.

The order of things per logical call, and why:

1. The ``requestid`` is already fixed in the request (built before this
   module sees it), so every retry below replays the same id and QBO answers
   a repeated write with the original response instead of a duplicate.
2. :class:`~qbo_sync.http.RetryPolicy` drives attempts; each attempt waits for
   a pacer slot first, so pacing happens before retrying.
3. A 401 makes the client ask the token provider once per call for a fresh
   token (``token_rejected``) and resend once; a second 401, or no fresh
   token, surfaces as :class:`~qbo_sync.errors.AuthError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from qbo_sync import _json
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._types import RequestStats, ResponseInfo
from qbo_sync.errors import PayloadError, ThrottledError, TransportError
from qbo_sync.http import (
    Pacer,
    RetryPolicy,
    TokenProvider,
    error_from_response,
    intuit_tid_from,
    redact,
)

__all__ = ["ApiResponse", "Sender"]

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


class Sender:
    """Sends requests for one realm (the I/O half of the client)."""

    def __init__(
        self,
        *,
        realm_id: str,
        base_url: str,
        http: httpx.Client,
        tokens: TokenProvider,
        retry: RetryPolicy,
        pacer: Pacer,
        minor_version: int,
        user_agent: str,
    ) -> None:
        self.realm_id = realm_id
        self.company_url = f"{base_url}/v3/company/{realm_id}"
        self.http = http
        self.tokens = tokens
        self.retry = retry
        self.pacer = pacer
        self.minor_version = minor_version
        self.user_agent = user_agent
        self._local = threading.local()
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

    def _count(self, *, batch: bool = False, throttled: bool = False) -> None:
        with self._counts_lock:
            self._requests += int(not throttled)
            self._batches += int(batch)
            self._throttled += int(throttled)

    @property
    def last_response(self) -> ResponseInfo | None:
        """The last response received by the calling thread."""
        info: ResponseInfo | None = getattr(self._local, "info", None)
        return info

    def _build(self, req: ApiRequest, token: str) -> httpx.Request:
        headers = {
            "Accept": req.accept,
            "Authorization": f"Bearer {token}",
            "User-Agent": self.user_agent,
        }
        if req.content_type is not None:
            headers["Content-Type"] = req.content_type
        return self.http.build_request(
            req.method,
            f"{self.company_url}/{req.path}",
            params=req.query_params(minor_version=self.minor_version),
            content=req.body,
            headers=headers,
        )

    def _exchange(self, req: ApiRequest, token: str) -> httpx.Response:
        with self.pacer.slot(self.realm_id, batch=req.batch):
            try:
                # Counted before sending: an attempt that gets no answer still spent budget.
                self._count(batch=req.batch)
                response = self.http.send(self._build(req, token))
                response.read()
            except httpx.TimeoutException as exc:
                raise TransportError(
                    f"{req.method} {req.path} timed out ({type(exc).__name__})"
                ) from None
            except httpx.RequestError as exc:
                raise TransportError(
                    f"{req.method} {req.path} failed: {type(exc).__name__}: {redact(str(exc))}"
                ) from None
            return response

    def send(self, req: ApiRequest) -> ApiResponse:
        """Send ``req`` with pacing, retries and one token refresh on 401.

        Raises:
            QBOError: The mapped error of the final attempt.
        """
        state = {"attempts": 0, "refreshed": False}

        def attempt() -> httpx.Response:
            state["attempts"] += 1
            token = self.tokens.get_token(self.realm_id)
            response = self._exchange(req, token)
            if response.status_code == 401 and not state["refreshed"]:
                state["refreshed"] = True
                fresh = self.tokens.token_rejected(self.realm_id, token)
                if fresh:
                    _log.info("QBO said 401 to %s %s; retrying once with a fresh token",
                              req.method, req.path)
                    response = self._exchange(req, fresh)
            error = error_from_response(response.status_code, response.headers, response.content)
            if error is not None:
                if isinstance(error, ThrottledError):
                    self._count(throttled=True)
                    self.pacer.note_throttled(self.realm_id, error.retry_after)
                _log.debug("%s %s -> %s intuit_tid=%s", req.method, req.path,
                           response.status_code, error.intuit_tid)
                raise error
            return response

        response = self.retry.call(attempt)
        tid = intuit_tid_from(response.headers)
        info = ResponseInfo(
            intuit_tid=tid,
            status=response.status_code,
            method=req.method,
            path=req.path,
            request_id=req.request_id,
            attempts=int(state["attempts"]),
        )
        self._local.info = info
        _log.debug("%s %s -> %s intuit_tid=%s", req.method, req.path, response.status_code, tid)
        return ApiResponse(
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            intuit_tid=tid,
            info=info,
        )
