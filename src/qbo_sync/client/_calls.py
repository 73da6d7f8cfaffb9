"""Every client call as a sans-I/O flow, shared by :class:`QBOClient` and :class:`AsyncQBOClient`.

A flow is a generator that yields the :class:`~qbo_sync.client.ApiRequest`
to send next, receives its :class:`~qbo_sync.client.ApiResponse`, and returns
the call's result. Argument checks, request building, response parsing and
the multi-request decisions (batch chunks and their ``requestid`` values, CDC
windows that reached the cap, where the next page starts) all live in the
flows; a client only drives them: :func:`run_flow` blocking, :func:`arun_flow`
awaiting. Nothing is sent for a call whose arguments are wrong, because the
checks run before the first ``yield``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Awaitable, Callable, Generator, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

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
from qbo_sync.client._core import ApiResponse
from qbo_sync.client._paging import Page, PageBase, parse_query_response
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
from qbo_sync.client._types import parse_qbo_datetime
from qbo_sync.errors import PayloadError, QueryError, ValidationError

__all__ = [
    "Default",
    "Flow",
    "PageCursor",
    "arun_flow",
    "batch",
    "cdc",
    "count",
    "execute",
    "iteration_size",
    "query_page",
    "read_entity",
    "run_flow",
    "write_entity",
]

R = TypeVar("R")
#: Yields requests, receives their responses, returns the result.
Flow = Generator[ApiRequest, ApiResponse, R]

_PAGED = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)
_PAGED_VALUES = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\s+(\d+)", re.IGNORECASE)


class Default(enum.Enum):
    """Sentinel: "use the client's setting"."""

    CLIENT = "client"


def run_flow(flow: Flow[R], send: Callable[[ApiRequest], ApiResponse]) -> R:
    """Drive ``flow`` to its result, sending each request with blocking ``send``."""
    try:
        request = next(flow)
        while True:
            request = flow.send(send(request))
    except StopIteration as done:
        result: R = done.value
        return result


async def arun_flow(flow: Flow[R], send: Callable[[ApiRequest], Awaitable[ApiResponse]]) -> R:
    """Drive ``flow`` to its result, awaiting ``send`` for each request."""
    try:
        request = next(flow)
        while True:
            request = flow.send(await send(request))
    except StopIteration as done:
        result: R = done.value
        return result


# -- single entities ---------------------------------------------------------------


def entity_from(entity_name: str, response: ApiResponse) -> Any:
    """The raw ``entity_name`` object of a read or write answer.

    Raises:
        PayloadError: When the answer has none.
    """
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


def read_entity(entity_name: str, path: str, *, decode: bool = True) -> Flow[Any]:
    """GET ``path``; the ``entity_name`` object in the answer (a model unless ``decode=False``)."""
    response = yield read_request(path)
    body = entity_from(entity_name, response)
    return _codec.decode(entity_name, body) if decode else body


def write_entity(
    entity_name: str,
    body: Mapping[str, Any] | None,
    *,
    request_id: str | None,
    path: str | None = None,
    params: Sequence[tuple[str, str]] = (),
    decode: bool = True,
) -> Flow[Any]:
    """POST a write with a ``requestid``; the entity QBO answered."""
    request = write_request(
        path or resource_path(entity_name), body, request_id=request_id, params=params
    )
    response = yield request
    raw = entity_from(entity_name, response)
    return _codec.decode(entity_name, raw) if decode else raw


# -- queries -------------------------------------------------------------------------


def _page_statement(query: Query | str, start: int, size: int) -> str:
    if isinstance(query, Query):
        return query.to_sql(start_position=start, max_results=size)
    text: object = query
    if not isinstance(text, str) or not text.strip():
        raise QueryError(f"query must be a Query or a SELECT statement, got {query!r}")
    return f"{text.strip()} STARTPOSITION {start} MAXRESULTS {size}"


def _page(response: ApiResponse, *, raw: bool, start: int, size: int) -> Page[Any]:
    # An exhausted query answers "QueryResponse": {} (or leaves it out).
    data = response.json()
    payload = parse_query_response(
        data.get("QueryResponse", {}) if isinstance(data, Mapping) else None
    )
    items: list[Any] = list(payload.rows)
    if not raw and payload.entity is not None:
        items = [_codec.decode(payload.entity, row) for row in payload.rows]
    return Page(
        items=tuple(items),
        start_position=start,
        page_size=size,
        intuit_tid=response.intuit_tid,
        total_count=payload.total_count,
    )


def query_page(query: Query | str, *, start_position: int, size: int, raw: bool) -> Flow[Page[Any]]:
    """One page of ``query`` (the returned page cannot fetch; the client adds that).

    Raises:
        QueryError: For a bad page size or a statement that pages itself.
    """
    if not 1 <= size <= 1000:
        raise QueryError(f"page_size must be 1..1000, got {size}")
    if isinstance(query, str) and _PAGED.search(query):
        raise QueryError("the statement already pages; give it without STARTPOSITION/MAXRESULTS")
    response = yield query_request(_page_statement(query, start_position, size))
    return _page(response, raw=raw, start=start_position, size=size)


def execute(statement: str, *, raw: bool) -> Flow[Page[Any]]:
    """One statement exactly as written; the page's size is its ``MAXRESULTS`` (QBO: 100)."""
    text: object = statement
    if not isinstance(text, str) or not text.strip():
        raise QueryError(f"execute needs a SELECT statement, got {statement!r}")
    found = _PAGED_VALUES.findall(text)
    sizes = [int(n) for word, n in found if word.upper() == "MAXRESULTS"]
    starts = [int(n) for word, n in found if word.upper() == "STARTPOSITION"]
    response = yield query_request(text.strip())
    # QBO's page size when MAXRESULTS is left out is 100.
    return _page(response, raw=raw, start=starts[0] if starts else 1,
                 size=sizes[0] if sizes else 100)


def iteration_size(page_size: int, limit: int | None) -> int:
    """The ``MAXRESULTS`` for iterating with ``limit`` (never more rows than wanted).

    Raises:
        QueryError: For a negative limit.
    """
    if limit is None:
        return page_size
    if limit < 0:
        raise QueryError(f"limit must be >= 0, got {limit}")
    return max(1, min(page_size, limit))


class PageCursor:
    """Decides, page after page, what an iteration yields and whether it goes on."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    @property
    def done(self) -> bool:
        """Whether the limit is reached (a limit of 0 is reached before any request)."""
        return self.left == 0

    def take(self, page: PageBase[Any]) -> tuple[Sequence[Any], bool]:
        """The items of ``page`` to yield, and whether to fetch the next page."""
        items: Sequence[Any] = page.items
        if self.left is not None:
            items = items[: self.left]
            self.left -= len(items)
            if self.left == 0:
                return items, False
        return items, page.has_more


def count(query: Query | str) -> Flow[int]:
    """``SELECT COUNT(*)`` with the query's conditions (a name counts the whole entity)."""
    q = Query(query) if isinstance(query, str) else query
    response = yield query_request(q.count_sql())
    data = response.json()
    payload = parse_query_response(
        data.get("QueryResponse", {}) if isinstance(data, Mapping) else None
    )
    if payload.total_count is None:
        raise PayloadError(
            "COUNT(*) answer has no totalCount", path="QueryResponse.totalCount",
            intuit_tid=response.intuit_tid,
        )
    return payload.total_count


# -- batch ---------------------------------------------------------------------------


def batch(
    operations: Iterable[BatchOperation], *, size: int, request_id: str | None
) -> Flow[BatchResult]:
    """Chunk ``operations`` into ``POST batch`` requests and assemble one result per operation.

    Chunk ``n`` (from 1) is sent as ``{request_id}-{n}`` when there are several
    chunks, else as ``request_id``; a UUID per chunk without one.

    Raises:
        ValidationError: For bad arguments (before anything is sent).
    """
    ops = list(operations)
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
        response = yield write_request("batch", body, request_id=rid, batch=True)
        results.extend(
            parse_batch_response(
                response.json(), chunk_ops, chunk_keys, bids, intuit_tid=response.intuit_tid
            )
        )
        tids.append(response.intuit_tid)
        rids.append(rid)
    return BatchResult(results, intuit_tids=tids, request_ids=rids)


# -- change data capture -------------------------------------------------------------


def cdc(
    entities: Iterable[str],
    changed_since: dt.datetime,
    *,
    now: dt.datetime,
    max_lookback: dt.timedelta | None,
    cap: int = CDC_CAP,
    follow_capped: bool = True,
    raw: bool = False,
) -> Flow[CdcResult]:
    """Every change since ``changed_since``, re-asking capped entities alone (see ``_cdc``).

    Raises:
        ValidationError: For unsupported entities, a naive or too-old
            ``changed_since`` (before anything is sent).
    """
    names = check_cdc_request(entities, changed_since, now=now, max_lookback=max_lookback)
    acc = CdcAccumulator(names)
    tids: list[str | None] = []
    capped: set[str] = set()
    first_time: dt.datetime | None = None
    pending: list[tuple[tuple[str, ...], dt.datetime]] = [(names, changed_since)]
    while pending:
        wanted, since = pending.pop(0)
        response = yield read_request("cdc", cdc_params(wanted, since))
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
