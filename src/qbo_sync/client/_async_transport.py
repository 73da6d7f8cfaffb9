"""Sending one :class:`ApiRequest` on ``httpx.AsyncClient``: the asyncio twin of ``Sender``.

Same steps, same rules (:mod:`qbo_sync.client._core` decides them all), but
nothing here blocks the event loop:

- pacing goes through :func:`qbo_sync.http.async_slot` (``try_acquire`` and
  :func:`asyncio.sleep`; a pacer doing network I/O, such as
  :class:`~qbo_sync.http.RedisPacer`, is asked from a worker thread);
- the token provider is a blocking interface (the OAuth manager reads
  storage and may refresh over HTTP), so ``get_token`` and ``token_rejected``
  run in a worker thread via :func:`asyncio.to_thread`, except for a
  :class:`~qbo_sync.http.StaticTokenProvider`, which is only memory;
- retries wait with :meth:`RetryPolicy.acall`'s ``async_sleep``.
"""

from __future__ import annotations

import asyncio
import contextvars
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
from qbo_sync.http import Pacer, RetryPolicy, StaticTokenProvider, TokenProvider, async_slot

__all__ = ["AsyncSender"]


class AsyncSender:
    """Sends requests for one realm (the asyncio I/O half of :class:`AsyncQBOClient`)."""

    def __init__(
        self,
        *,
        realm_id: str,
        base_url: str,
        http: httpx.AsyncClient,
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
        self._blocking_tokens = not isinstance(tokens, StaticTokenProvider)
        self._last: contextvars.ContextVar[ResponseInfo | None] = contextvars.ContextVar(
            f"qbo_sync_last_response_{id(self)}", default=None
        )

    def stats(self) -> RequestStats:
        """A snapshot of the request counters."""
        return self.core.stats()

    @property
    def last_response(self) -> ResponseInfo | None:
        """The last response received in the calling asyncio task (or context)."""
        return self._last.get()

    async def _exchange(self, req: ApiRequest, token: str) -> httpx.Response:
        async with async_slot(self.pacer, self.realm_id, batch=req.batch):
            self.core.count_attempt(req)
            try:
                request = self.http.build_request(**self.core.request_args(req, token))
                response = await self.http.send(request)
                await response.aread()
            except httpx.RequestError as exc:
                raise self.core.transport_error(req, exc) from None
            return response

    async def _tokens(self, method: Any, *args: str) -> Any:
        if self._blocking_tokens:
            return await asyncio.to_thread(method, self.realm_id, *args)
        return method(self.realm_id, *args)

    async def _perform(self, step: Step, req: ApiRequest) -> Any:
        if isinstance(step, GetToken):
            return await self._tokens(self.tokens.get_token)
        if isinstance(step, Exchange):
            return await self._exchange(req, step.token)
        if isinstance(step, RejectToken):
            return await self._tokens(self.tokens.token_rejected, step.token)
        assert isinstance(step, NoteThrottled)
        if getattr(self.pacer, "blocking_io", True):
            await asyncio.to_thread(self.pacer.note_throttled, self.realm_id, step.retry_after)
        else:
            self.pacer.note_throttled(self.realm_id, step.retry_after)
        return None

    async def _attempt(self, req: ApiRequest, state: CallState) -> httpx.Response:
        flow: AttemptFlow = self.core.attempt_flow(req, state)
        result: Any = None
        try:
            while True:
                result = await self._perform(flow.send(result), req)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response

    async def send(self, req: ApiRequest) -> ApiResponse:
        """Send ``req`` with pacing, retries and one token refresh on 401.

        Raises:
            QBOError: The mapped error of the final attempt.
        """
        state = CallState()
        response = await self.retry.acall(lambda: self._attempt(req, state))
        answer = self.core.finish(req, response, state)
        self._last.set(answer.info)
        return answer
