"""``AsyncQBOClient``: the asyncio twin of :class:`~qbo_sync.QBOClient`.

It drives the very flows the sync client drives (:mod:`qbo_sync.client._calls`,
:mod:`qbo_sync.client._entity_ops`) over :class:`AsyncSender`, which performs
the steps :mod:`qbo_sync.client._core` decides, on ``httpx.AsyncClient``.
Request building, fault mapping, retry decisions, paging, batch chunking and
CDC splitting are therefore the sync client's, line for line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, TypeVar

import httpx

from qbo_sync import models
from qbo_sync._environment import Environment
from qbo_sync.client import _calls
from qbo_sync.client._async_transport import AsyncSender
from qbo_sync.client._batch import BATCH_MAX, BatchOperation, BatchResult
from qbo_sync.client._calls import Default, Flow, PageCursor
from qbo_sync.client._cdc import CDC_CAP, CdcResult
from qbo_sync.client._client import user_agent
from qbo_sync.client._config import check_config
from qbo_sync.client._core import ApiResponse
from qbo_sync.client._paging import AsyncPage
from qbo_sync.client._query import Query
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._service_table import ServiceTable
from qbo_sync.client._types import RequestStats, ResponseInfo
from qbo_sync.http import Pacer, RealmPacer, RetryPolicy, StaticTokenProvider, TokenProvider

__all__ = ["AsyncQBOClient"]

R = TypeVar("R")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AsyncQBOClient(ServiceTable):
    """The QuickBooks Online Accounting API client for one realm, for asyncio.

    Same arguments, services, errors and behaviour as :class:`~qbo_sync.QBOClient`;
    every call that talks to QBO is awaited (``await client.customers.get("1")``,
    ``async for c in client.customers.query()``). Use it as ``async with`` or
    call :meth:`aclose`.

    Nothing blocks the event loop: pacing waits with :func:`asyncio.sleep`
    (see :func:`qbo_sync.http.async_slot`; a Redis pacer is asked from a
    worker thread), and the token provider, a blocking interface whose OAuth
    refresh does storage and network I/O, is called through
    :func:`asyncio.to_thread` (a fixed ``access_token`` is used inline).

    Args:
        realm_id: The QBO company id.
        environment: ``Environment.SANDBOX`` / ``PRODUCTION`` or ``"sandbox"`` /
            ``"production"``; required unless ``base_url`` is given.
        base_url: The API host (``https://...``), overriding ``environment``'s.
        token_provider: Where bearer tokens come from (the OAuth manager).
        access_token: A fixed token instead (wrapped in ``StaticTokenProvider``).
        transport: The ``httpx.AsyncBaseTransport`` to send through (default:
            httpx's; ``httpx.ASGITransport(app=fake.asgi_app)`` for the fake QBO).
        minor_version: Sent as ``minorversion`` on every request.
        timeout: Seconds for connect, read, write and pool waits, every request.
        retry: The retry policy (default ``RetryPolicy()``); its ``async_sleep``
            does the waiting.
        pacer: The per-realm pacer; default: a ``RealmPacer`` of this client's
            own. Share one between clients of the same realm, sync or async.
        page_size: ``MAXRESULTS`` for automatic paging (1..1000).
        batch_size: Operations per batch request (1..30).
        cdc_max_lookback: Oldest ``changed_since`` accepted by :meth:`cdc`
            (QBO: 30 days); ``None`` disables the check.
        clock: Returns the current aware datetime (for the CDC look-back check).

    Raises:
        ConfigurationError: Listing every problem with the arguments.
    """

    _ASYNC: ClassVar[bool] = True

    def __init__(
        self,
        *,
        realm_id: str,
        environment: Environment | str | None = None,
        base_url: str | None = None,
        token_provider: TokenProvider | None = None,
        access_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        minor_version: int = 75,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        page_size: int = 1000,
        batch_size: int = BATCH_MAX,
        cdc_max_lookback: dt.timedelta | None = dt.timedelta(days=30),
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        url, env = check_config(
            realm_id=realm_id,
            environment=environment,
            base_url=base_url,
            token_provider=token_provider,
            access_token=access_token,
            transport=transport,
            minor_version=minor_version,
            timeout=timeout,
            page_size=page_size,
            batch_size=batch_size,
            transport_type=httpx.AsyncBaseTransport,
            who="AsyncQBOClient",
        )
        tokens: TokenProvider = (
            token_provider if token_provider is not None
            else StaticTokenProvider(access_token)  # type: ignore[arg-type]
        )
        self.realm_id = realm_id
        self.environment = env
        self.base_url = url
        self.minor_version = minor_version
        self.page_size = page_size
        self.batch_size = batch_size
        self.cdc_max_lookback = cdc_max_lookback
        self._clock = clock or _utcnow
        self._http = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(float(timeout))
        )
        self._sender = AsyncSender(
            realm_id=realm_id,
            base_url=url,
            http=self._http,
            tokens=tokens,
            retry=retry if retry is not None else RetryPolicy(),
            pacer=pacer if pacer is not None else RealmPacer(),
            minor_version=minor_version,
            user_agent=user_agent(),
        )

    # -- plumbing -----------------------------------------------------------

    def __repr__(self) -> str:
        where = self.environment.value if self.environment else self.base_url
        return f"AsyncQBOClient(realm_id={self.realm_id!r}, {where})"

    async def __aenter__(self) -> AsyncQBOClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def last_response(self) -> ResponseInfo | None:
        """Facts (``intuit_tid``, status, ``requestid``) about this task's last response.

        Kept in a :mod:`contextvars` variable: each asyncio task sees its own
        (a task started with ``asyncio.create_task`` or ``gather`` starts
        from its parent's value and does not change the parent's).
        """
        return self._sender.last_response

    @property
    def stats(self) -> RequestStats:
        """Counters of what this client sent (every attempt, across tasks)."""
        return self._sender.stats()

    @property
    def last_intuit_tid(self) -> str | None:
        """``intuit_tid`` of this task's last successful response."""
        info = self._sender.last_response
        return info.intuit_tid if info else None

    async def send(self, request: ApiRequest) -> ApiResponse:
        """Send a prepared request (the low-level door; services use it).

        Raises:
            QBOError: As mapped by :func:`qbo_sync.http.error_from_response`.
        """
        return await self._sender.send(request)

    async def _run(self, flow: Flow[R]) -> R:
        return await _calls.arun_flow(flow, self.send)

    async def read_entity(self, entity_name: str, path: str, *, decode: bool = True) -> Any:
        """GET ``path`` and return the ``entity_name`` object in the answer."""
        return await self._run(_calls.read_entity(entity_name, path, decode=decode))

    async def write_entity(
        self,
        entity_name: str,
        body: Mapping[str, Any] | None,
        *,
        request_id: str | None,
        path: str | None = None,
        params: Sequence[tuple[str, str]] = (),
        decode: bool = True,
    ) -> Any:
        """POST a write with a ``requestid`` and return the entity QBO answered."""
        return await self._run(_calls.write_entity(
            entity_name, body, request_id=request_id, path=path, params=params, decode=decode
        ))

    # -- reads -------------------------------------------------------------

    async def company_info(self) -> models.CompanyInfo:
        """Read the company's ``CompanyInfo`` (``companyinfo/{realmId}``)."""
        info: models.CompanyInfo = await self.read_entity(
            "CompanyInfo", f"companyinfo/{self.realm_id}"
        )
        return info

    async def preferences(self) -> models.Preferences:
        """Read the company's ``Preferences`` (multicurrency, tax, custom numbers)."""
        prefs: models.Preferences = await self.read_entity("Preferences", "preferences")
        return prefs

    # -- queries -----------------------------------------------------------

    async def query_page(
        self,
        query: Query | str,
        *,
        start_position: int = 1,
        page_size: int | None = None,
        raw: bool = False,
    ) -> AsyncPage[Any]:
        """Fetch one page; ``await page.next_page()`` fetches the following one.

        Args:
            query: A :class:`Query` or a SELECT statement without paging clauses.
            start_position: 1-based position of the first row.
            page_size: ``MAXRESULTS`` (default: the client's ``page_size``).
            raw: Return wire dicts instead of model entities.

        Raises:
            QueryError: For a bad query (locally or from QBO).
        """
        size = self.page_size if page_size is None else page_size
        page = await self._run(
            _calls.query_page(query, start_position=start_position, size=size, raw=raw)
        )

        async def fetch(start: int) -> AsyncPage[Any]:
            return await self.query_page(query, start_position=start, page_size=size, raw=raw)

        return AsyncPage.of(page, fetch)

    async def execute(self, statement: str, *, raw: bool = False) -> AsyncPage[Any]:
        """Send one SELECT statement exactly as written (no paging added).

        Args:
            statement: The full query text, paging clauses included if wanted.
            raw: Return wire dicts instead of model entities.
        """
        return AsyncPage.of(await self._run(_calls.execute(statement, raw=raw)), None)

    def query(
        self,
        query: Query | str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        raw: bool = False,
    ) -> AsyncIterator[Any]:
        """Iterate every matching entity (``async for``), fetching pages as needed.

        Only one page is held at a time; paging stops after a short or empty page.

        Args:
            query: A :class:`Query` or a SELECT statement without paging clauses.
            page_size: ``MAXRESULTS`` per request (default: the client's).
            limit: Stop after this many entities.
            raw: Yield wire dicts instead of model entities.

        Raises:
            QueryError: For a negative ``limit`` (at once, before iterating).
        """
        size = _calls.iteration_size(self.page_size if page_size is None else page_size, limit)
        return self._iterate(query, size, limit, raw)

    async def _iterate(
        self, query: Query | str, size: int, limit: int | None, raw: bool
    ) -> AsyncIterator[Any]:
        cursor = PageCursor(limit)
        if cursor.done:
            return
        page: AsyncPage[Any] | None = await self.query_page(query, page_size=size, raw=raw)
        while page is not None:
            items, more = cursor.take(page)
            for item in items:
                yield item
            page = await page.next_page() if more else None

    async def count(self, query: Query | str) -> int:
        """``SELECT COUNT(*)`` with the query's conditions.

        Args:
            query: A :class:`Query`, or an entity name (``"Customer"``).
        """
        return await self._run(_calls.count(query))

    # -- batch -------------------------------------------------------------

    async def batch(
        self,
        operations: Iterable[BatchOperation],
        *,
        batch_size: int | None = None,
        request_id: str | None = None,
    ) -> BatchResult:
        """Run operations through ``POST batch``, chunked, one result per operation.

        Item failures are results, not exceptions. Chunks are sent one after
        another, as by :meth:`QBOClient.batch <qbo_sync.QBOClient.batch>`.

        Args:
            operations: The operations; results are keyed by each one's
                ``key`` (default: its position).
            batch_size: Operations per request (default: the client's, max 30).
            request_id: A stable idempotency prefix (``{request_id}-{n}`` per
                chunk when there are several); default: a UUID per chunk.

        Raises:
            ValidationError: For bad arguments (before anything is sent).
            QBOError: When a whole batch request fails; earlier chunks stay done.
        """
        size = self.batch_size if batch_size is None else batch_size
        return await self._run(_calls.batch(operations, size=size, request_id=request_id))

    # -- change data capture -----------------------------------------------

    async def cdc(
        self,
        entities: Iterable[str],
        changed_since: dt.datetime,
        *,
        max_lookback: dt.timedelta | Default | None = Default.CLIENT,
        cap: int = CDC_CAP,
        follow_capped: bool = True,
        raw: bool = False,
    ) -> CdcResult:
        """Everything changed (and deleted) since ``changed_since``, per entity.

        See :meth:`QBOClient.cdc <qbo_sync.QBOClient.cdc>`: the same requests,
        splitting and merging.

        Args:
            entities: Entity names as QBO spells them (``["Customer", "Invoice"]``).
            changed_since: An aware datetime, at most ``max_lookback`` ago.
            max_lookback: Overrides the client's ``cdc_max_lookback`` for this call.
            cap: QBO's per-entity cap (tests lower it).
            follow_capped: ``False`` sends one request only; capped entities
                are listed in ``capped``.
            raw: Return wire dicts instead of model entities.

        Raises:
            ValidationError: For unsupported entities, a naive or too-old
                ``changed_since`` (before anything is sent).
        """
        lookback = self.cdc_max_lookback if isinstance(max_lookback, Default) else max_lookback
        return await self._run(_calls.cdc(
            entities, changed_since, now=self._clock(), max_lookback=lookback, cap=cap,
            follow_capped=follow_capped, raw=raw,
        ))
