"""Per-entity services: ``client.customers``, ``client.invoices`` ...

Each service offers only the operations QBO supports for its entity, so a
mistake (deleting a customer, voiding a credit memo) is an attribute error
at type-check time rather than a fault at run time:

- every service: ``get``, ``query``, ``query_page``, ``count``, ``select``;
- name lists (customers, vendors, employees, items, accounts, terms): ``create``,
  ``update``, ``sparse_update``, ``inactivate`` (QBO never deletes them);
- transactions: ``create``, ``update``, ``sparse_update``, ``delete``;
- invoices: ``void`` (``operation=void``); payments and sales receipts:
  ``void`` (a sparse update with ``include=void``);
- invoices, payments, credit memos, sales receipts, estimates: ``pdf``, ``send``;
- tax codes and tax rates: reads only.

Every write takes ``request_id=``; without it a UUID is made once for the
call and reused by every retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from qbo_sync.client import _codec
from qbo_sync.client._paging import Page
from qbo_sync.client._query import Query
from qbo_sync.client._request import read_request, resource_path
from qbo_sync.client._types import Deletion, is_deleted
from qbo_sync.errors import ValidationError

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


def _check_id(entity_id: object, what: str) -> str:
    if isinstance(entity_id, int) and not isinstance(entity_id, bool):
        entity_id = str(entity_id)
    if not isinstance(entity_id, str) or not entity_id.isalnum():
        raise ValidationError(f"{what}: {entity_id!r} is not a QBO Id")
    return entity_id


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

    @property
    def _path(self) -> str:
        return resource_path(self.entity_name)

    def get(self, entity_id: str | int) -> T:
        """Read one object by ``Id``.

        Raises:
            NotFoundError: When it does not exist.
        """
        rid = _check_id(entity_id, f"{self.entity_name}.get")
        return cast("T", self._client.read_entity(self.entity_name, f"{self._path}/{rid}"))

    def select(self) -> Query:
        """A :class:`Query` on this entity, to refine (``.where(...)``)."""
        return Query(self.entity_name)

    def _query(self, query: Query | None, equals: dict[str, object]) -> Query:
        base = self.select() if query is None else query
        if base.entity != self.entity_name:
            raise ValidationError(
                f"{self.entity_name} service got a query on {base.entity}"
            )
        return base.where(**equals) if equals else base

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
        q = self._query(query, equals)
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
        q = self._query(query, equals)
        return self._client.query_page(q, start_position=start_position, page_size=page_size)

    def first(self, query: Query | None = None, /, **equals: object) -> T | None:
        """The first matching object, or ``None``."""
        q = self._query(query, equals)
        return cast("T | None", next(self._client.query(q, limit=1), None))

    def count(self, query: Query | None = None, /, **equals: object) -> int:
        """How many objects match (``SELECT COUNT(*)``)."""
        return self._client.count(self._query(query, equals))


class ReadOnlyService(EntityService[T]):
    """An entity the API only reads here (tax codes, tax rates)."""


class _Writable(EntityService[T]):
    def create(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Create an object; returns it as QBO stored it (with ``Id`` and ``SyncToken``).

        Args:
            entity: A model (or a wire dict in QBO's spelling).
            request_id: Idempotency key (default: a UUID fixed for all retries).
        """
        _codec.entity_name_of(entity, self.entity_name)
        body = _codec.encode(entity)
        return cast("T", self._client.write_entity(self.entity_name, body, request_id=request_id))

    def update(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Full update: writable fields you leave out are cleared by QBO.

        Prefer :meth:`sparse_update` unless you mean to replace the object.
        """
        _codec.entity_name_of(entity, self.entity_name)
        body = _codec.update_body(entity, entity_name=self.entity_name)
        return cast("T", self._client.write_entity(self.entity_name, body, request_id=request_id))

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
        _codec.entity_name_of(entity, self.entity_name)
        body = _codec.sparse_update_body(entity, original, entity_name=self.entity_name)
        return cast("T", self._client.write_entity(self.entity_name, body, request_id=request_id))


class NameListService(_Writable[T]):
    """Customers, vendors, employees, items, accounts, terms: no delete, inactivate."""

    def inactivate(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Make the object inactive (QBO's "delete" for name lists): sparse ``Active=false``."""
        body = _codec.key_body(
            entity, entity_name=self.entity_name, operation="inactivate", sparse=True
        )
        body["Active"] = False
        if self.entity_name == "Account":
            # QBO validates Account.Name on every update, sparse included.
            name = entity.get("Name") if isinstance(entity, dict) else getattr(entity, "name", None)
            if name:
                body["Name"] = name
        return cast("T", self._client.write_entity(self.entity_name, body, request_id=request_id))


class TransactionService(_Writable[T]):
    """Transactions: create, update, sparse update, delete."""

    def delete(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> Deletion:
        """Delete: ``POST {entity}?operation=delete`` with ``Id`` and ``SyncToken``.

        Returns:
            The deletion QBO confirmed.
        """
        body = _codec.key_body(entity, entity_name=self.entity_name, operation="delete")
        raw = self._client.write_entity(
            self.entity_name,
            body,
            request_id=request_id,
            params=[("operation", "delete")],
            decode=False,
        )
        tid = self._client.last_intuit_tid
        if is_deleted(raw):
            return Deletion.from_wire(self.entity_name, raw, intuit_tid=tid)
        return Deletion(entity=self.entity_name, id=str(raw.get("Id", body["Id"])), intuit_tid=tid)


class SalesDocumentService(TransactionService[T]):
    """Transactions QBO renders as PDF and e-mails (credit memos, estimates)."""

    def pdf(self, entity_id: str | int) -> bytes:
        """Download the PDF (``GET {entity}/{id}/pdf``, ``Accept: application/pdf``)."""
        rid = _check_id(entity_id, f"{self.entity_name}.pdf")
        request = read_request(f"{self._path}/{rid}/pdf", accept="application/pdf")
        response = self._client.send(request)
        return response.content

    def send(
        self, entity_id: str | int, *, to: str | None = None, request_id: str | None = None
    ) -> T:
        """E-mail the document (``POST {entity}/{id}/send[?sendTo=...]``).

        Args:
            entity_id: The object's ``Id``.
            to: Address to send to (default: the one on the document).
            request_id: Idempotency key (a retried send never mails twice).
        """
        rid = _check_id(entity_id, f"{self.entity_name}.send")
        if to is not None and ("@" not in to or any(c.isspace() for c in to)):
            raise ValidationError(f"{self.entity_name}.send: {to!r} is not an e-mail address")
        params = [("sendTo", to)] if to is not None else []
        return cast("T", self._client.write_entity(
            self.entity_name, None, request_id=request_id, path=f"{self._path}/{rid}/send",
            params=params,
        ))


class InvoiceService(SalesDocumentService[T]):
    """Invoices: void with ``operation=void``."""

    def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void: amounts become zero, the invoice stays (``POST invoice?operation=void``)."""
        body = _codec.key_body(entity, entity_name=self.entity_name, operation="void")
        return cast("T", self._client.write_entity(
            self.entity_name, body, request_id=request_id, params=[("operation", "void")],
        ))


class _VoidByUpdate(SalesDocumentService[T]):
    def void(self, entity: T | dict[str, Any], *, request_id: str | None = None) -> T:
        """Void with a sparse update and ``include=void`` (QBO's rule for this entity)."""
        body = _codec.key_body(entity, entity_name=self.entity_name, operation="void", sparse=True)
        return cast("T", self._client.write_entity(
            self.entity_name, body, request_id=request_id,
            params=[("operation", "update"), ("include", "void")],
        ))


class PaymentService(_VoidByUpdate[T]):
    """Payments: void is ``operation=update&include=void`` (not ``operation=void``)."""


class SalesReceiptService(_VoidByUpdate[T]):
    """Sales receipts: void is ``operation=update&include=void``."""
