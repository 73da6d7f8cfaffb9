"""Per-entity services: ``client.customers``, ``client.invoices`` ...

Each service offers only the operations QBO supports for its entity, so a
mistake (deleting a customer, voiding a credit memo) is an attribute error
at type-check time rather than a fault at run time:

- every service: ``get``, ``query``, ``query_page``, ``count``, ``select``;
- name lists (customers, vendors, employees, items, accounts, terms, classes,
  departments, payment methods): ``create``,
  ``update``, ``sparse_update``, ``inactivate`` (QBO never deletes them);
- transactions: ``create``, ``update``, ``sparse_update``, ``delete``;
- invoices: ``void`` (``operation=void``); payments and sales receipts:
  ``void`` (a sparse update with ``include=void``);
- invoices, payments, credit memos, sales receipts, estimates: ``pdf``, ``send``;
- tax codes and tax rates: reads only.

Every write takes ``request_id=``; without it a UUID is made once for the
call and reused by every retry.

Each method only drives a flow of :mod:`qbo_sync.client._entity_ops`; the
async services (:mod:`qbo_sync.client._async_services`) drive the same flows,
and :mod:`qbo_sync.client._service_table` declares which client attribute
gets which service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from qbo_sync.client import _entity_ops as ops
from qbo_sync.client._paging import Page
from qbo_sync.client._query import Query
from qbo_sync.client._types import Deletion

if TYPE_CHECKING:
    from qbo_sync.client._client import QBOClient

__all__ = [
    "EntityService",
    "InvoiceService",
    "NameListService",
    "PaymentService",
    "ReadOnlyService",
    "SalesDocumentService",
    "SalesReceiptService",
    "TransactionService",
]

T = TypeVar("T")


class EntityService(Generic[T]):
    """Reads for one entity; the base of every service.

    Attributes:
        entity_name: The entity as QBO spells it (``"Customer"``).
    """

    def __init__(self, client: QBOClient, entity_name: str) -> None:
        self._client = client
        self.entity_name = entity_name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.entity_name} realm={self._client.realm_id}>"

    def get(self, entity_id: str | int) -> T:
        """Read one object by ``Id``.

        Raises:
            NotFoundError: When it does not exist.
        """
        return cast("T", self._client._run(ops.get(self.entity_name, entity_id)))

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
    ) -> Iterator[T]:
        """Iterate matching objects, one page in memory at a time.

        ``client.customers.query(Active=True)`` or
        ``client.customers.query(client.customers.select().where_gt(...))``.
        """
        q = ops.service_query(self.entity_name, query, equals)
        return cast("Iterator[T]", self._client.query(q, page_size=page_size, limit=limit))

    def query_page(
        self,
        query: Query | None = None,
        /,
        *,
        start_position: int = 1,
        page_size: int | None = None,
        **equals: object,
    ) -> Page[T]:
        """Fetch one page (see :meth:`QBOClient.query_page`)."""
        q = ops.service_query(self.entity_name, query, equals)
        return self._client.query_page(q, start_position=start_position, page_size=page_size)

    def first(self, query: Query | None = None, /, **equals: object) -> T | None:
        """The first matching object, or ``None``."""
        q = ops.service_query(self.entity_name, query, equals)
        return cast("T | None", next(self._client.query(q, limit=1), None))

    def count(self, query: Query | None = None, /, **equals: object) -> int:
        """How many objects match (``SELECT COUNT(*)``)."""
        return self._client.count(ops.service_query(self.entity_name, query, equals))


class ReadOnlyService(EntityService[T]):
    """An entity the API only reads here (tax codes, tax rates)."""


class _Writable(EntityService[T]):
    def create(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Create an object; returns it as QBO stored it (with ``Id`` and ``SyncToken``).

        Args:
            entity: A model (or a wire dict in QBO's spelling).
            request_id: Idempotency key (default: a UUID fixed for all retries).
        """
        return cast("T", self._client._run(ops.create(self.entity_name, entity, request_id)))

    def update(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Full update: writable fields you leave out are cleared by QBO.

        Prefer :meth:`sparse_update` unless you mean to replace the object.
        """
        return cast("T", self._client._run(ops.update(self.entity_name, entity, request_id)))

    def sparse_update(
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
        return cast("T", self._client._run(flow))


class NameListService(_Writable[T]):
    """Customers, vendors, employees, items, accounts, terms: no delete, inactivate."""

    def inactivate(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Make the object inactive (QBO's "delete" for name lists): sparse ``Active=false``."""
        return cast("T", self._client._run(ops.inactivate(self.entity_name, entity, request_id)))


class TransactionService(_Writable[T]):
    """Transactions: create, update, sparse update, delete."""

    def delete(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> Deletion:
        """Delete: ``POST {entity}?operation=delete`` with ``Id`` and ``SyncToken``.

        Returns:
            The deletion QBO confirmed.
        """
        return self._client._run(ops.delete(self.entity_name, entity, request_id))


class SalesDocumentService(TransactionService[T]):
    """Transactions QBO renders as PDF and e-mails (credit memos, estimates)."""

    def pdf(self, entity_id: str | int) -> bytes:
        """Download the PDF (``GET {entity}/{id}/pdf``, ``Accept: application/pdf``)."""
        return self._client._run(ops.pdf(self.entity_name, entity_id))

    def send(
        self, entity_id: str | int, *, to: str | None = None, request_id: str | None = None
    ) -> T:
        """E-mail the document (``POST {entity}/{id}/send[?sendTo=...]``).

        Args:
            entity_id: The object's ``Id``.
            to: Address to send to (default: the one on the document).
            request_id: Idempotency key (a retried send never mails twice).
        """
        flow = ops.send(self.entity_name, entity_id, to, request_id)
        return cast("T", self._client._run(flow))


class InvoiceService(SalesDocumentService[T]):
    """Invoices: void with ``operation=void``."""

    def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void: amounts become zero, the invoice stays (``POST invoice?operation=void``)."""
        return cast("T", self._client._run(ops.void(self.entity_name, entity, request_id)))


class _VoidByUpdate(SalesDocumentService[T]):
    def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void with a sparse update and ``include=void`` (QBO's rule for this entity)."""
        flow = ops.void_by_update(self.entity_name, entity, request_id)
        return cast("T", self._client._run(flow))


class PaymentService(_VoidByUpdate[T]):
    """Payments: void is ``operation=update&include=void`` (not ``operation=void``)."""


class SalesReceiptService(_VoidByUpdate[T]):
    """Sales receipts: void is ``operation=update&include=void``."""
