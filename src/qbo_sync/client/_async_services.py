"""Per-entity services of :class:`~qbo_sync.AsyncQBOClient`: the async twins of ``_services``.

Same operations per entity kind as the sync services, same flows
(:mod:`qbo_sync.client._entity_ops`), awaited: ``await client.customers.get("1")``,
``async for c in client.customers.query(Active=True)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from qbo_sync.client import _entity_ops as ops
from qbo_sync.client._paging import AsyncPage
from qbo_sync.client._query import Query
from qbo_sync.client._types import Deletion

if TYPE_CHECKING:
    from qbo_sync.client._async_client import AsyncQBOClient

__all__ = [
    "AsyncEntityService",
    "AsyncInvoiceService",
    "AsyncNameListService",
    "AsyncPaymentService",
    "AsyncReadOnlyService",
    "AsyncSalesDocumentService",
    "AsyncSalesReceiptService",
    "AsyncTransactionService",
]

T = TypeVar("T")


class AsyncEntityService(Generic[T]):
    """Reads for one entity; the base of every service.

    Attributes:
        entity_name: The entity as QBO spells it (``"Customer"``).
    """

    def __init__(self, client: AsyncQBOClient, entity_name: str) -> None:
        self._client = client
        self.entity_name = entity_name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.entity_name} realm={self._client.realm_id}>"

    async def get(self, entity_id: str | int) -> T:
        """Read one object by ``Id``.

        Raises:
            NotFoundError: When it does not exist.
        """
        return cast("T", await self._client._run(ops.get(self.entity_name, entity_id)))

    def select(self) -> Query:
        """A :class:`Query` on this entity, to refine (``.where(...)``)."""
        return Query(self.entity_name)

    def query(
        self,
        query: Query | None = None,
        /,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        **equals: object,
    ) -> AsyncIterator[T]:
        """Iterate matching objects, one page in memory at a time.

        ``async for c in client.customers.query(Active=True): ...``
        """
        q = ops.service_query(self.entity_name, query, equals)
        return cast("AsyncIterator[T]", self._client.query(q, page_size=page_size, limit=limit))

    async def query_page(
        self,
        query: Query | None = None,
        /,
        *,
        start_position: int = 1,
        page_size: int | None = None,
        **equals: object,
    ) -> AsyncPage[T]:
        """Fetch one page (see :meth:`AsyncQBOClient.query_page`)."""
        q = ops.service_query(self.entity_name, query, equals)
        page = await self._client.query_page(q, start_position=start_position, page_size=page_size)
        return cast("AsyncPage[T]", page)

    async def first(self, query: Query | None = None, /, **equals: object) -> T | None:
        """The first matching object, or ``None``."""
        q = ops.service_query(self.entity_name, query, equals)
        async for item in self._client.query(q, limit=1):
            return cast("T", item)
        return None

    async def count(self, query: Query | None = None, /, **equals: object) -> int:
        """How many objects match (``SELECT COUNT(*)``)."""
        return await self._client.count(ops.service_query(self.entity_name, query, equals))


class AsyncReadOnlyService(AsyncEntityService[T]):
    """An entity the API only reads here (tax codes, tax rates)."""


class _AsyncWritable(AsyncEntityService[T]):
    async def create(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Create an object; returns it as QBO stored it (with ``Id`` and ``SyncToken``).

        Args:
            entity: A model (or a wire dict in QBO's spelling).
            request_id: Idempotency key (default: a UUID fixed for all retries).
        """
        return cast("T", await self._client._run(ops.create(self.entity_name, entity, request_id)))

    async def update(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Full update: writable fields you leave out are cleared by QBO.

        Prefer :meth:`sparse_update` unless you mean to replace the object.
        """
        return cast("T", await self._client._run(ops.update(self.entity_name, entity, request_id)))

    async def sparse_update(
        self,
        entity: T | dict[str, Any],
        original: T | None = None,
        *,
        request_id: str | None = None,
    ) -> T:
        """Sparse update: sends ``Id``, ``SyncToken`` and only what was set or changed.

        Args:
            entity: The changed object (a model read from QBO and modified, or
                one built with just ``id``, ``sync_token`` and the new values).
            original: The object as read, to diff against (optional).
            request_id: Idempotency key.
        """
        flow = ops.sparse_update(self.entity_name, entity, original, request_id)
        return cast("T", await self._client._run(flow))


class AsyncNameListService(_AsyncWritable[T]):
    """Customers, vendors, employees, items, accounts, terms: no delete, inactivate."""

    async def inactivate(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Make the object inactive (QBO's "delete" for name lists): sparse ``Active=false``."""
        flow = ops.inactivate(self.entity_name, entity, request_id)
        return cast("T", await self._client._run(flow))


class AsyncTransactionService(_AsyncWritable[T]):
    """Transactions: create, update, sparse update, delete."""

    async def delete(
        self, entity: T | dict[str, Any], *, request_id: str | None = None
    ) -> Deletion:
        """Delete: ``POST {entity}?operation=delete`` with ``Id`` and ``SyncToken``.

        Returns:
            The deletion QBO confirmed.
        """
        return await self._client._run(ops.delete(self.entity_name, entity, request_id))


class AsyncSalesDocumentService(AsyncTransactionService[T]):
    """Transactions QBO renders as PDF and e-mails (credit memos, estimates)."""

    async def pdf(self, entity_id: str | int) -> bytes:
        """Download the PDF (``GET {entity}/{id}/pdf``, ``Accept: application/pdf``)."""
        return await self._client._run(ops.pdf(self.entity_name, entity_id))

    async def send(
        self, entity_id: str | int, *, to: str | None = None, request_id: str | None = None
    ) -> T:
        """E-mail the document (``POST {entity}/{id}/send[?sendTo=...]``).

        Args:
            entity_id: The object's ``Id``.
            to: Address to send to (default: the one on the document).
            request_id: Idempotency key (a retried send never mails twice).
        """
        flow = ops.send(self.entity_name, entity_id, to, request_id)
        return cast("T", await self._client._run(flow))


class AsyncInvoiceService(AsyncSalesDocumentService[T]):
    """Invoices: void with ``operation=void``."""

    async def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void: amounts become zero, the invoice stays (``POST invoice?operation=void``)."""
        return cast("T", await self._client._run(ops.void(self.entity_name, entity, request_id)))


class _AsyncVoidByUpdate(AsyncSalesDocumentService[T]):
    async def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void with a sparse update and ``include=void`` (QBO's rule for this entity)."""
        flow = ops.void_by_update(self.entity_name, entity, request_id)
        return cast("T", await self._client._run(flow))


class AsyncPaymentService(_AsyncVoidByUpdate[T]):
    """Payments: void is ``operation=update&include=void`` (not ``operation=void``)."""


class AsyncSalesReceiptService(_AsyncVoidByUpdate[T]):
    """Sales receipts: void is ``operation=update&include=void``."""
