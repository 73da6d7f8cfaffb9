"""Sending one :class:`ApiRequest` on ``httpx.Client``: auth, pacing, retries, fault mapping.

The order of things per logical call, and why:

1. The ``requestid`` is already fixed in the request (built before this
   module sees it), so every retry below replays the same id and QBO answers
   a repeated write with the original response instead of a duplicate.
2. :class:`~qbo_sync.http.RetryPolicy` drives attempts; each attempt waits for
   a pacer slot first, so pacing happens before retrying.
3. A 401 makes the client ask the token provider once per call for a fresh
   token (``token_rejected``) and resend once; a second 401, or no fresh
   token, surfaces as :class:`~qbo_sync.errors.AuthError`.

Each of those rules is decided in :mod:`qbo_sync.client._core`; this module
only performs the steps, blocking. The async twin is
:mod:`qbo_sync.client._async_transport`.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from qbo_sync.client._core import (
    ApiResponse,
    AttemptFlow,
    CallState,
    Exchange,
    GetToken,
    NoteThrottled,
    RejectToken,
    SendCore,
    Step,
)
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._types import RequestStats, ResponseInfo
from qbo_sync.http import Pacer, RetryPolicy, TokenProvider

__all__ = ["ApiResponse", "Sender"]


class Sender:
    """Sends requests for one realm (the blocking I/O half of :class:`QBOClient`)."""

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
        self.core = SendCore(
            realm_id=realm_id, base_url=base_url, minor_version=minor_version,
            user_agent=user_agent,
        )
        self.realm_id = realm_id
        self.http = http
        self.tokens = tokens
        self.retry = retry
        self.pacer = pacer
        self._local = threading.local()

    def stats(self) -> RequestStats:
        """A snapshot of the request counters."""
        return self.core.stats()

    @property
    def last_response(self) -> ResponseInfo | None:
        """The last response received by the calling thread."""
        info: ResponseInfo | None = getattr(self._local, "info", None)
        return info

    def _exchange(self, req: ApiRequest, token: str) -> httpx.Response:
        with self.pacer.slot(self.realm_id, batch=req.batch):
            self.core.count_attempt(req)
            try:
                request = self.http.build_request(**self.core.request_args(req, token))
                response = self.http.send(request)
                response.read()
            except httpx.RequestError as exc:
                raise self.core.transport_error(req, exc) from None
            return response

    def _perform(self, step: Step, req: ApiRequest) -> Any:
        if isinstance(step, GetToken):
            return self.tokens.get_token(self.realm_id)
        if isinstance(step, Exchange):
            return self._exchange(req, step.token)
        if isinstance(step, RejectToken):
            return self.tokens.token_rejected(self.realm_id, step.token)
        assert isinstance(step, NoteThrottled)
        self.pacer.note_throttled(self.realm_id, step.retry_after)
        return None

    def _attempt(self, req: ApiRequest, state: CallState) -> httpx.Response:
        flow: AttemptFlow = self.core.attempt_flow(req, state)
        result: Any = None
        try:
            while True:
                result = self._perform(flow.send(result), req)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response

    def send(self, req: ApiRequest) -> ApiResponse:
        """Send ``req`` with pacing, retries and one token refresh on 401.

        Raises:
            QBOError: The mapped error of the final attempt.
        """
        state = CallState()
        response = self.retry.call(lambda: self._attempt(req, state))
        answer = self.core.finish(req, response, state)
        self._local.info = answer.info
        return answer
