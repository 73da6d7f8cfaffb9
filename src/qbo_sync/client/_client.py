"""``QBOClient``: the API client for one QBO company (realm).

Every call is a flow of :mod:`qbo_sync.client._calls` (or
:mod:`qbo_sync.client._entity_ops` for the services) driven by
:func:`~qbo_sync.client._calls.run_flow` over :class:`Sender`; the async twin,
:class:`~qbo_sync.AsyncQBOClient`, drives the same flows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from qbo_sync import models
from qbo_sync._environment import Environment
from qbo_sync._version import __version__
from qbo_sync.client import _calls
from qbo_sync.client._batch import BATCH_MAX, BatchOperation, BatchResult
from qbo_sync.client._calls import Default, Flow, PageCursor
from qbo_sync.client._cdc import CDC_CAP, CdcResult
from qbo_sync.client._config import check_config
from qbo_sync.client._paging import Page
from qbo_sync.client._query import Query
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._service_table import ServiceTable
from qbo_sync.client._transport import ApiResponse, Sender
from qbo_sync.client._types import RequestStats, ResponseInfo
from qbo_sync.http import Pacer, RealmPacer, RetryPolicy, StaticTokenProvider, TokenProvider

__all__ = ["QBOClient"]

R = TypeVar("R")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def user_agent() -> str:
    """The ``User-Agent`` both clients send."""
    return f"qbo-sync/{__version__} (+python httpx/{httpx.__version__})"


class QBOClient(ServiceTable):
    """The QuickBooks Online Accounting API client for one realm.

    The per-entity services (``customers``, ``invoices`` ...) are declared
    once for both clients in :class:`~qbo_sync.client._service_table.ServiceTable`.

    Args:
        realm_id: The QBO company id.
        environment: ``Environment.SANDBOX`` / ``PRODUCTION`` or ``"sandbox"`` /
            ``"production"``; required unless ``base_url`` is given.
        base_url: The API host (``https://...``), overriding ``environment``'s
            (for the fake QBO or a proxy).
        token_provider: Where bearer tokens come from (the OAuth manager).
        access_token: A fixed token instead (wrapped in ``StaticTokenProvider``).
        transport: The ``httpx.BaseTransport`` to send through (default: httpx's).
        minor_version: Sent as ``minorversion`` on every request.
        timeout: Seconds for connect, read, write and pool waits, every request.
        retry: The retry policy (default ``RetryPolicy()``).
        pacer: The per-realm pacer; default: a ``RealmPacer`` of this client's
            own. Share one pacer between clients of the same realm.
        page_size: ``MAXRESULTS`` for automatic paging (1..1000).
        batch_size: Operations per batch request (1..30).
        cdc_max_lookback: Oldest ``changed_since`` accepted by :meth:`cdc`
            (QBO: 30 days); ``None`` disables the check.
        clock: Returns the current aware datetime (for the CDC look-back check).

    Raises:
        ConfigurationError: Listing every problem with the arguments.
    """

    def __init__(
        self,
        *,
        realm_id: str,
        environment: Environment | str | None = None,
        base_url: str | None = None,
        token_provider: TokenProvider | None = None,
        access_token: str | None = None,
        transport: httpx.BaseTransport | None = None,
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
        self._http = httpx.Client(transport=transport, timeout=httpx.Timeout(float(timeout)))
        self._sender = Sender(
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
        return f"QBOClient(realm_id={self.realm_id!r}, {where})"

    def __enter__(self) -> QBOClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def last_response(self) -> ResponseInfo | None:
        """Facts (``intuit_tid``, status, ``requestid``) about this thread's last response."""
        return self._sender.last_response

    @property
    def stats(self) -> RequestStats:
        """Counters of what this client sent (every attempt, across threads)."""
        return self._sender.stats()

    @property
    def last_intuit_tid(self) -> str | None:
        """``intuit_tid`` of this thread's last successful response."""
        info = self._sender.last_response
        return info.intuit_tid if info else None

    def send(self, request: ApiRequest) -> ApiResponse:
        """Send a prepared request (the low-level door; services use it).

        Raises:
            QBOError: As mapped by :func:`qbo_sync.http.error_from_response`.
        """
        return self._sender.send(request)

    def _run(self, flow: Flow[R]) -> R:
        return _calls.run_flow(flow, self.send)

    def read_entity(self, entity_name: str, path: str, *, decode: bool = True) -> Any:
        """GET ``path`` and return the ``entity_name`` object in the answer."""
        return self._run(_calls.read_entity(entity_name, path, decode=decode))

    def write_entity(
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
        return self._run(_calls.write_entity(
            entity_name, body, request_id=request_id, path=path, params=params, decode=decode
        ))

    # -- reads -------------------------------------------------------------

    def company_info(self) -> models.CompanyInfo:
        """Read the company's ``CompanyInfo`` (``companyinfo/{realmId}``)."""
        info: models.CompanyInfo = self.read_entity("CompanyInfo", f"companyinfo/{self.realm_id}")
        return info

    def preferences(self) -> models.Preferences:
        """Read the company's ``Preferences`` (multicurrency, tax, custom numbers)."""
        prefs: models.Preferences = self.read_entity("Preferences", "preferences")
        return prefs

    # -- queries -----------------------------------------------------------

    def query_page(
        self,
        query: Query | str,
        *,
        start_position: int = 1,
        page_size: int | None = None,
        raw: bool = False,
    ) -> Page[Any]:
        """Fetch one page; ``page.next_page()`` fetches the following one.

        Args:
            query: A :class:`Query` or a SELECT statement without paging clauses.
            start_position: 1-based position of the first row.
            page_size: ``MAXRESULTS`` (default: the client's ``page_size``).
            raw: Return wire dicts instead of model entities.

        Raises:
            QueryError: For a bad query (locally or from QBO).
        """
        size = self.page_size if page_size is None else page_size
        page = self._run(
            _calls.query_page(query, start_position=start_position, size=size, raw=raw)
        )

        def fetch(start: int) -> Page[Any]:
            return self.query_page(query, start_position=start, page_size=size, raw=raw)

        return page.with_fetch(fetch)

    def execute(self, statement: str, *, raw: bool = False) -> Page[Any]:
        """Send one SELECT statement exactly as written (no paging added).

        For statements the builder cannot express; the returned page does not
        fetch further pages (``next_page()`` returns ``None``).

        Args:
            statement: The full query text, paging clauses included if wanted.
            raw: Return wire dicts instead of model entities.
        """
        return self._run(_calls.execute(statement, raw=raw))

    def query(
        self,
        query: Query | str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        raw: bool = False,
    ) -> Iterator[Any]:
        """Iterate every matching entity, fetching pages as iteration needs them.

        Only one page is held at a time; paging stops after a short or empty page.

        Args:
            query: A :class:`Query` or a SELECT statement without paging clauses.
            page_size: ``MAXRESULTS`` per request (default: the client's).
            limit: Stop after this many entities.
            raw: Yield wire dicts instead of model entities.
        """
        size = _calls.iteration_size(self.page_size if page_size is None else page_size, limit)
        return self._iterate(query, size, limit, raw)

    def _iterate(
        self, query: Query | str, size: int, limit: int | None, raw: bool
    ) -> Iterator[Any]:
        cursor = PageCursor(limit)
        if cursor.done:
            return
        page: Page[Any] | None = self.query_page(query, page_size=size, raw=raw)
        while page is not None:
            items, more = cursor.take(page)
            yield from items
            page = page.next_page() if more else None

    def count(self, query: Query | str) -> int:
        """``SELECT COUNT(*)`` with the query's conditions.

        Args:
            query: A :class:`Query`, or an entity name (``"Customer"``).
        """
        return self._run(_calls.count(query))

    # -- batch -------------------------------------------------------------

    def batch(
        self,
        operations: Iterable[BatchOperation],
        *,
        batch_size: int | None = None,
        request_id: str | None = None,
    ) -> BatchResult:
        """Run operations through ``POST batch``, chunked, one result per operation.

        Item failures (a fault on one operation) are results, not exceptions.

        Args:
            operations: The operations; results are keyed by each one's
                ``key`` (default: its position).
            batch_size: Operations per request (default: the client's, max 30;
                10 is advised for invoice and payment imports).
            request_id: A stable idempotency prefix: chunk ``n`` (from 1) is sent
                as ``{request_id}-{n}`` when there are several chunks, else as
                ``request_id`` itself (at most 36 characters in all). Reuse it only
                for the same operations in the same order. Default: a UUID per chunk.

        Raises:
            ValidationError: For bad arguments (before anything is sent).
            QBOError: When a whole batch request fails; earlier chunks stay done.
        """
        size = self.batch_size if batch_size is None else batch_size
        return self._run(_calls.batch(operations, size=size, request_id=request_id))

    # -- change data capture -----------------------------------------------

    def cdc(
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

        One request covers all entities; an entity whose answer reaches QBO's
        1,000-object cap is asked again, alone, from where that answer stopped,
        until nothing is left (see :mod:`qbo_sync.client._cdc`).

        Args:
            entities: Entity names as QBO spells them (``["Customer", "Invoice"]``).
            changed_since: An aware datetime, at most ``max_lookback`` ago.
            max_lookback: Overrides the client's ``cdc_max_lookback`` for this call.
            cap: QBO's per-entity cap (tests lower it).
            follow_capped: ``False`` sends one request only: an entity that
                reached the cap is listed in ``capped`` with what came back,
                and the caller reads the rest another way (the sync engine
                falls back to a paged query, which streams).
            raw: Return wire dicts instead of model entities.

        Raises:
            ValidationError: For unsupported entities, a naive or too-old
                ``changed_since`` (before anything is sent).
        """
        lookback = self.cdc_max_lookback if isinstance(max_lookback, Default) else max_lookback
        return self._run(_calls.cdc(
            entities, changed_since, now=self._clock(), max_lookback=lookback, cap=cap,
            follow_capped=follow_capped, raw=raw,
        ))
