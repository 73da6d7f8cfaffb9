"""Batch operations: building ``BatchItemRequest`` bodies and reading the answers.

QBO runs up to 30 operations per ``POST batch`` (10 advised for invoice and
payment imports), independently and in no set order. A 200 answer can hold a
``Fault`` per item, so item failures are results, never exceptions; only a
failure of the whole request raises. Each item gets a short ``bId``
(``b0``, ``b1`` ...: at most 10 characters when a ``requestid`` is used) that
the answer echoes, which is how a result finds its way back to the caller's key.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from qbo_sync.client import _codec
from qbo_sync.client._paging import parse_query_response
from qbo_sync.client._query import Query
from qbo_sync.client._types import Deletion, is_deleted
from qbo_sync.errors import PayloadError, QBOError, ValidationError
from qbo_sync.http import error_from_fault

__all__ = [
    "BATCH_MAX",
    "BatchItemResult",
    "BatchOperation",
    "BatchResult",
    "build_batch_body",
    "chunked",
    "parse_batch_response",
]

#: QBO's documented maximum of operations per batch request.
BATCH_MAX = 30
_BID = re.compile(r"[A-Za-z0-9_-]{1,10}")

Kind = Literal["create", "update", "sparse_update", "delete", "void", "query"]


@attrs.frozen
class BatchOperation:
    """One operation of a batch; build it with the class methods.

    Attributes:
        kind: ``create``, ``update``, ``sparse_update``, ``delete``, ``void`` or ``query``.
        entity: The model entity (or wire dict) to send; ``None`` for queries.
        entity_name: QBO's name for the entity (read from the model if omitted).
        original: For ``sparse_update``: the entity as read, to diff against.
        query: For ``query``: the statement.
        key: The caller's key for this operation's result (default: its index).
        bid: The ``bId`` to send (default: ``b<index>``); at most 10 characters.
    """

    kind: Kind
    entity: object = None
    entity_name: str | None = None
    original: object = None
    query: str | None = None
    key: Hashable = None
    bid: str | None = None

    @classmethod
    def create(
        cls, entity: object, *, key: Hashable = None, entity_name: str | None = None,
        bid: str | None = None,
    ) -> BatchOperation:
        """Create ``entity``."""
        return cls("create", entity, _codec.entity_name_of(entity, entity_name), key=key, bid=bid)

    @classmethod
    def update(
        cls, entity: object, *, key: Hashable = None, entity_name: str | None = None,
        bid: str | None = None,
    ) -> BatchOperation:
        """Full update of ``entity`` (writable fields left out become empty)."""
        return cls("update", entity, _codec.entity_name_of(entity, entity_name), key=key, bid=bid)

    @classmethod
    def sparse_update(
        cls,
        entity: object,
        *,
        original: object = None,
        key: Hashable = None,
        entity_name: str | None = None,
        bid: str | None = None,
    ) -> BatchOperation:
        """Sparse update: only the fields set or changed (against ``original``)."""
        name = _codec.entity_name_of(entity, entity_name)
        return cls("sparse_update", entity, name, original=original, key=key, bid=bid)

    @classmethod
    def delete(
        cls, entity: object, *, key: Hashable = None, entity_name: str | None = None,
        bid: str | None = None,
    ) -> BatchOperation:
        """Delete a transaction (needs its ``Id`` and ``SyncToken``)."""
        return cls("delete", entity, _codec.entity_name_of(entity, entity_name), key=key, bid=bid)

    @classmethod
    def void(
        cls, entity: object, *, key: Hashable = None, entity_name: str | None = None,
        bid: str | None = None,
    ) -> BatchOperation:
        """Void a transaction (``operation: update`` with ``optionsData: void``)."""
        return cls("void", entity, _codec.entity_name_of(entity, entity_name), key=key, bid=bid)

    @classmethod
    def select(
        cls, query: Query | str, *, key: Hashable = None, bid: str | None = None
    ) -> BatchOperation:
        """Run a query inside the batch (one page; use ``Query.to_sql`` paging)."""
        text: object = query.to_sql() if isinstance(query, Query) else query
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("a batch query needs a non-empty statement")
        name = query.entity if isinstance(query, Query) else None
        return cls("query", None, name, query=text.strip(), key=key, bid=bid)

    def to_item(self, bid: str) -> dict[str, Any]:
        """The ``BatchItemRequest`` element for this operation."""
        if self.kind == "query":
            return {"bId": bid, "Query": self.query}
        name = self.entity_name
        assert name is not None
        if self.kind == "create":
            return {"bId": bid, "operation": "create", name: _codec.encode(self.entity)}
        if self.kind == "update":
            body = _codec.update_body(self.entity, entity_name=name)
            return {"bId": bid, "operation": "update", name: body}
        if self.kind == "sparse_update":
            body = _codec.sparse_update_body(self.entity, self.original, entity_name=name)
            return {"bId": bid, "operation": "update", name: body}
        if self.kind == "delete":
            body = _codec.key_body(self.entity, entity_name=name, operation="delete")
            return {"bId": bid, "operation": "delete", name: body}
        body = _codec.key_body(self.entity, entity_name=name, operation="void", sparse=True)
        return {"bId": bid, "operation": "update", "optionsData": "void", name: body}


@attrs.frozen
class BatchItemResult:
    """The outcome of one batch operation.

    Exactly one of ``entity``, ``items`` (for a query) or ``error`` is meaningful;
    a deleted object comes back as a :class:`Deletion` in ``entity``.

    Attributes:
        key: The caller's key (the operation's ``key``, else its input index).
        bid: The ``bId`` it was sent under.
        operation: The operation kind.
        entity: The entity QBO returned (model), or a ``Deletion``.
        items: For a query: the entities on the page.
        error: The mapped QBO error for a failed item.
        intuit_tid: The ``intuit_tid`` of the batch response that carried it.
    """

    key: Hashable
    bid: str
    operation: str
    entity: Any = None
    items: tuple[Any, ...] | None = None
    error: QBOError | None = None
    intuit_tid: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded."""
        return self.error is None

    def unwrap(self) -> Any:
        """The entity (or query items), raising the item's error if it failed."""
        if self.error is not None:
            raise self.error
        return self.items if self.operation == "query" else self.entity


class BatchResult(Mapping[Hashable, BatchItemResult]):
    """Every operation's result, in input order, also addressable by key.

    Attributes:
        results: The item results, in the order the operations were given.
        intuit_tids: One ``intuit_tid`` per batch request sent.
        request_ids: The ``requestid`` of each batch request sent.
    """

    def __init__(
        self,
        results: Sequence[BatchItemResult],
        *,
        intuit_tids: Sequence[str | None] = (),
        request_ids: Sequence[str] = (),
    ) -> None:
        self.results: tuple[BatchItemResult, ...] = tuple(results)
        self.intuit_tids: tuple[str | None, ...] = tuple(intuit_tids)
        self.request_ids: tuple[str, ...] = tuple(request_ids)
        self._by_key = {r.key: r for r in self.results}

    def __getitem__(self, key: Hashable) -> BatchItemResult:
        return self._by_key[key]

    def __iter__(self) -> Iterator[Hashable]:
        return (r.key for r in self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def failed(self) -> list[BatchItemResult]:
        """The results whose operation failed."""
        return [r for r in self.results if r.error is not None]

    @property
    def succeeded(self) -> list[BatchItemResult]:
        """The results whose operation succeeded."""
        return [r for r in self.results if r.error is None]

    def __repr__(self) -> str:
        return (
            f"BatchResult({len(self.results)} operations, {len(self.failed)} failed, "
            f"{len(self.intuit_tids)} request(s))"
        )


def resolve_keys(operations: Sequence[BatchOperation]) -> list[Hashable]:
    """Each operation's result key (its ``key`` or its index), checked unique.

    Raises:
        ValidationError: When two operations share a key.
    """
    keys: list[Hashable] = []
    seen: set[Hashable] = set()
    for index, op in enumerate(operations):
        key = index if op.key is None else op.key
        if key in seen:
            raise ValidationError(f"batch key {key!r} is used by more than one operation")
        seen.add(key)
        keys.append(key)
    return keys


def resolve_bids(operations: Sequence[BatchOperation]) -> list[str]:
    """Each operation's ``bId`` (its ``bid`` or ``b<index>``), checked unique and short.

    Raises:
        ValidationError: For a duplicate, empty or over-10-character ``bId``.
    """
    bids: list[str] = []
    seen: set[str] = set()
    for index, op in enumerate(operations):
        bid = f"b{index}" if op.bid is None else op.bid
        if not _BID.fullmatch(bid):
            raise ValidationError(
                f"bId {bid!r} must be 1-10 letters, digits, '-' or '_' "
                "(QBO's limit when a requestid is sent)"
            )
        if bid in seen:
            raise ValidationError(f"bId {bid!r} is used by more than one operation")
        seen.add(bid)
        bids.append(bid)
    return bids


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Split ``items`` into consecutive runs of at most ``size``."""
    if size < 1:
        raise ValidationError(f"batch size must be >= 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_batch_body(operations: Sequence[BatchOperation], bids: Sequence[str]) -> dict[str, Any]:
    """The ``{"BatchItemRequest": [...]}`` body for one chunk."""
    return {"BatchItemRequest": [op.to_item(bid) for op, bid in zip(operations, bids, strict=True)]}


def _item_result(
    op: BatchOperation, key: Hashable, bid: str, item: Mapping[str, Any], tid: str | None
) -> BatchItemResult:
    fault = _codec.wire_get(item, "Fault")
    if isinstance(fault, Mapping):
        error = error_from_fault(fault, status=200, intuit_tid=tid)
        return BatchItemResult(key, bid, op.kind, error=error, intuit_tid=tid)
    query = _codec.wire_get(item, "QueryResponse")
    if query is not None:
        payload = parse_query_response(query)
        name = payload.entity
        rows = tuple(_codec.decode(name, r) for r in payload.rows) if name else ()
        return BatchItemResult(key, bid, op.kind, items=rows, intuit_tid=tid)
    for name, value in item.items():
        if name == "bId" or not isinstance(value, Mapping):
            continue
        if is_deleted(value):
            entity: Any = Deletion.from_wire(name, value, intuit_tid=tid)
        else:
            entity = _codec.decode(name, value)
        return BatchItemResult(key, bid, op.kind, entity=entity, intuit_tid=tid)
    raise PayloadError(f"BatchItemResponse {bid}: no entity, QueryResponse or Fault", path=bid)


def parse_batch_response(
    data: object,
    operations: Sequence[BatchOperation],
    keys: Sequence[Hashable],
    bids: Sequence[str],
    *,
    intuit_tid: str | None,
) -> list[BatchItemResult]:
    """Match a chunk's ``BatchItemResponse`` items back to its operations.

    An item that cannot be read, or an operation QBO did not answer, becomes a
    failed result with a :class:`~qbo_sync.errors.PayloadError`; it never
    fails its neighbours.

    Raises:
        PayloadError: When the body is not a batch response at all.
    """
    items = _codec.wire_get(data, "BatchItemResponse") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        raise PayloadError("batch response has no BatchItemResponse list", path="BatchItemResponse")
    by_bid: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("bId"), str):
            by_bid[item["bId"]] = item
    results: list[BatchItemResult] = []
    for op, key, bid in zip(operations, keys, bids, strict=True):
        item = by_bid.get(bid)
        if item is None:
            error: QBOError = PayloadError(
                f"batch response has no item for bId {bid}", path=bid, intuit_tid=intuit_tid
            )
            results.append(BatchItemResult(key, bid, op.kind, error=error, intuit_tid=intuit_tid))
            continue
        try:
            results.append(_item_result(op, key, bid, item, intuit_tid))
        except PayloadError as exc:
            if exc.intuit_tid is None:
                exc.intuit_tid = intuit_tid
            results.append(BatchItemResult(key, bid, op.kind, error=exc, intuit_tid=intuit_tid))
    return results
