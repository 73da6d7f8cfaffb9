"""``QBOClient``: the API client for one QBO company (realm)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from qbo_sync import models
from qbo_sync._environment import Environment
from qbo_sync._version import __version__
from qbo_sync.client import _codec
from qbo_sync.client._batch import (
    BATCH_MAX,
    BatchOperation,
    BatchResult,
    build_batch_body,
    chunked,
    parse_batch_response,
    resolve_bids,
    resolve_keys,
)
from qbo_sync.client._cdc import (
    CDC_CAP,
    CdcAccumulator,
    CdcResult,
    cdc_params,
    check_cdc_request,
    parse_cdc_response,
    split_point,
)
from qbo_sync.client._config import check_config
from qbo_sync.client._paging import Page, QueryPayload, parse_query_response
from qbo_sync.client._query import Query
from qbo_sync.client._request import (
    BATCH_REQUEST_ID_MAX,
    ApiRequest,
    new_request_id,
    query_request,
    read_request,
    resource_path,
    validate_request_id,
    write_request,
)
from qbo_sync.client._services import (
    InvoiceService,
    NameListService,
    PaymentService,
    ReadOnlyService,
    SalesDocumentService,
    SalesReceiptService,
    TransactionService,
)
from qbo_sync.client._transport import ApiResponse, Sender
from qbo_sync.client._types import RequestStats, ResponseInfo, parse_qbo_datetime
from qbo_sync.errors import PayloadError, QueryError, ValidationError
from qbo_sync.http import Pacer, RealmPacer, RetryPolicy, StaticTokenProvider, TokenProvider

__all__ = ["QBOClient"]

_PAGED = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)
_PAGED_VALUES = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\s+(\d+)", re.IGNORECASE)


class _Default(enum.Enum):
    CLIENT = "client"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _query_payload(response: ApiResponse) -> QueryPayload:
    # An exhausted query answers "QueryResponse": {} (or leaves it out).
    data = response.json()
    return parse_query_response(
        data.get("QueryResponse", {}) if isinstance(data, Mapping) else None
    )


class QBOClient:
    """The QuickBooks Online Accounting API client for one realm.

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
            user_agent=f"qbo-sync/{__version__} (+python httpx/{httpx.__version__})",
        )
        self.customers = NameListService[models.Customer](self, "Customer")
        self.vendors = NameListService[models.Vendor](self, "Vendor")
        self.employees = NameListService[models.Employee](self, "Employee")
        self.items = NameListService[models.Item](self, "Item")
        self.accounts = NameListService[models.Account](self, "Account")
        self.terms = NameListService[models.Term](self, "Term")
        self.tax_codes = ReadOnlyService[models.TaxCode](self, "TaxCode")
        self.tax_rates = ReadOnlyService[models.TaxRate](self, "TaxRate")
        self.invoices = InvoiceService[models.Invoice](self, "Invoice")
        self.payments = PaymentService[models.Payment](self, "Payment")
        self.sales_receipts = SalesReceiptService[models.SalesReceipt](self, "SalesReceipt")
        self.credit_memos = SalesDocumentService[models.CreditMemo](self, "CreditMemo")
        self.estimates = SalesDocumentService[models.Estimate](self, "Estimate")
        self.purchases = TransactionService[models.Purchase](self, "Purchase")
        self.bills = TransactionService[models.Bill](self, "Bill")
        self.deposits = TransactionService[models.Deposit](self, "Deposit")

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

    def _entity_from(self, entity_name: str, response: ApiResponse) -> Any:
        data = response.json()
        body = _codec.wire_get(data, entity_name) if isinstance(data, Mapping) else None
        if not isinstance(body, Mapping):
            raise PayloadError(
                f"expected a {entity_name} object in the response",
                entity=entity_name,
                path=entity_name,
                intuit_tid=response.intuit_tid,
            )
        return body

    def read_entity(self, entity_name: str, path: str, *, decode: bool = True) -> Any:
        """GET ``path`` and return the ``entity_name`` object in the answer."""
        response = self.send(read_request(path))
        body = self._entity_from(entity_name, response)
        return _codec.decode(entity_name, body) if decode else body

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
        request = write_request(
            path or resource_path(entity_name), body, request_id=request_id, params=params
        )
        response = self.send(request)
        raw = self._entity_from(entity_name, response)
        return _codec.decode(entity_name, raw) if decode else raw

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

    def _page_statement(self, query: Query | str, start: int, size: int) -> str:
        if isinstance(query, Query):
            return query.to_sql(start_position=start, max_results=size)
        text: object = query
        if not isinstance(text, str) or not text.strip():
            raise QueryError(f"query must be a Query or a SELECT statement, got {query!r}")
        return f"{text.strip()} STARTPOSITION {start} MAXRESULTS {size}"

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
        if not 1 <= size <= 1000:
            raise QueryError(f"page_size must be 1..1000, got {size}")
        if isinstance(query, str) and _PAGED.search(query):
            raise QueryError(
                "the statement already pages; give it without STARTPOSITION/MAXRESULTS"
            )
        statement = self._page_statement(query, start_position, size)
        response = self.send(query_request(statement))

        def fetch(start: int) -> Page[Any]:
            return self.query_page(query, start_position=start, page_size=size, raw=raw)

        return self._page_from(response, raw=raw, start=start_position, size=size, fetch=fetch)

    def execute(self, statement: str, *, raw: bool = False) -> Page[Any]:
        """Send one SELECT statement exactly as written (no paging added).

        For statements the builder cannot express; the returned page does not
        fetch further pages (``next_page()`` returns ``None``).

        Args:
            statement: The full query text, paging clauses included if wanted.
            raw: Return wire dicts instead of model entities.
        """
        text: object = statement
        if not isinstance(text, str) or not text.strip():
            raise QueryError(f"execute needs a SELECT statement, got {statement!r}")
        found = _PAGED_VALUES.findall(text)
        sizes = [int(n) for word, n in found if word.upper() == "MAXRESULTS"]
        starts = [int(n) for word, n in found if word.upper() == "STARTPOSITION"]
        response = self.send(query_request(text.strip()))
        return self._page_from(
            response, raw=raw, start=starts[0] if starts else 1,
            # QBO's page size when MAXRESULTS is left out is 100.
            size=sizes[0] if sizes else 100, fetch=None,
        )

    def _page_from(
        self,
        response: ApiResponse,
        *,
        raw: bool,
        start: int,
        size: int,
        fetch: Callable[[int], Page[Any]] | None,
    ) -> Page[Any]:
        payload = _query_payload(response)
        entity = payload.entity
        items: list[Any] = list(payload.rows)
        if not raw and entity is not None:
            items = [_codec.decode(entity, row) for row in payload.rows]
        return Page(
            items=tuple(items),
            start_position=start,
            page_size=size,
            intuit_tid=response.intuit_tid,
            total_count=payload.total_count,
            fetch=fetch,
        )

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
        size = self.page_size if page_size is None else page_size
        if limit is not None:
            if limit < 0:
                raise QueryError(f"limit must be >= 0, got {limit}")
            size = max(1, min(size, limit))
        return self._iterate(query, size, limit, raw)

    def _iterate(
        self, query: Query | str, size: int, limit: int | None, raw: bool
    ) -> Iterator[Any]:
        left = limit
        if left == 0:
            return
        page: Page[Any] | None = self.query_page(query, page_size=size, raw=raw)
        while page is not None:
            for item in page.items:
                yield item
                if left is not None:
                    left -= 1
                    if left == 0:
                        return
            page = page.next_page()

    def count(self, query: Query | str) -> int:
        """``SELECT COUNT(*)`` with the query's conditions.

        Args:
            query: A :class:`Query`, or an entity name (``"Customer"``).
        """
        q = Query(query) if isinstance(query, str) else query
        response = self.send(query_request(q.count_sql()))
        payload = _query_payload(response)
        if payload.total_count is None:
            raise PayloadError(
                "COUNT(*) answer has no totalCount", path="QueryResponse.totalCount",
                intuit_tid=response.intuit_tid,
            )
        return payload.total_count

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
        ops = list(operations)
        size = self.batch_size if batch_size is None else batch_size
        if not 1 <= size <= BATCH_MAX:
            raise ValidationError(f"batch_size must be 1..{BATCH_MAX}, got {size}")
        for op in ops:
            if not isinstance(op, BatchOperation):
                raise ValidationError(f"batch takes BatchOperation items, got {type(op).__name__}")
        keys = resolve_keys(ops)
        all_bids = resolve_bids(ops)
        chunks = list(chunked(range(len(ops)), size))
        if request_id is not None:
            validate_request_id(request_id, limit=BATCH_REQUEST_ID_MAX)
            if len(chunks) > 1:
                validate_request_id(f"{request_id}-{len(chunks)}", limit=BATCH_REQUEST_ID_MAX)
        results = []
        tids: list[str | None] = []
        rids: list[str] = []
        for n, index_chunk in enumerate(chunks, start=1):
            chunk_ops = [ops[i] for i in index_chunk]
            chunk_keys: list[Hashable] = [keys[i] for i in index_chunk]
            bids = [all_bids[i] for i in index_chunk]
            body = build_batch_body(chunk_ops, bids)
            if request_id is None:
                rid = new_request_id()
            else:
                rid = request_id if len(chunks) == 1 else f"{request_id}-{n}"
            response = self.send(write_request("batch", body, request_id=rid, batch=True))
            results.extend(
                parse_batch_response(
                    response.json(), chunk_ops, chunk_keys, bids, intuit_tid=response.intuit_tid
                )
            )
            tids.append(response.intuit_tid)
            rids.append(rid)
        return BatchResult(results, intuit_tids=tids, request_ids=rids)

    # -- change data capture -----------------------------------------------

    def cdc(
        self,
        entities: Iterable[str],
        changed_since: dt.datetime,
        *,
        max_lookback: dt.timedelta | _Default | None = _Default.CLIENT,
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
        lookback = self.cdc_max_lookback if isinstance(max_lookback, _Default) else max_lookback
        names = check_cdc_request(entities, changed_since, now=self._clock(), max_lookback=lookback)
        acc = CdcAccumulator(names)
        tids: list[str | None] = []
        capped: set[str] = set()
        first_time: dt.datetime | None = None
        pending: list[tuple[tuple[str, ...], dt.datetime]] = [(names, changed_since)]
        while pending:
            wanted, since = pending.pop(0)
            response = self.send(read_request("cdc", cdc_params(wanted, since)))
            data = response.json()
            tids.append(response.intuit_tid)
            if first_time is None and isinstance(data, Mapping):
                first_time = parse_qbo_datetime(data.get("time"), where="CDC time")
            by_lower = {k.lower(): v for k, v in parse_cdc_response(data).items()}
            for name in wanted:
                rows = by_lower.get(name.lower(), [])
                acc.add(name, rows, response.intuit_tid)
                if not follow_capped:
                    if len(rows) >= cap:
                        capped.add(name)
                    continue
                nxt = split_point(name, since, rows, cap=cap)
                if nxt is not None:
                    capped.add(name)
                    pending.append(((name,), nxt))

        def decode(entity: str, row: Mapping[str, Any]) -> Any:
            return dict(row) if raw else _codec.decode(entity, row)

        return acc.result(decode, next_changed_since=first_time, capped=capped, intuit_tids=tids)
