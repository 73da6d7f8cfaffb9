"""Which client attribute serves which entity: one table for both clients.

:class:`ServiceTable` is a base of :class:`~qbo_sync.QBOClient` and
:class:`~qbo_sync.AsyncQBOClient`. Each line declares one service by kind and
model, and a :class:`ServiceSlot` descriptor hands each client the service of
its flavour (``NameListService`` or ``AsyncNameListService`` ...), typed for
mypy, built on first use. Adding an entity service is one line here, e.g.::

    bill_payments = transaction(models.BillPayment)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from qbo_sync import models
from qbo_sync.client._async_services import (
    AsyncInvoiceService,
    AsyncNameListService,
    AsyncPaymentService,
    AsyncReadOnlyService,
    AsyncSalesDocumentService,
    AsyncSalesReceiptService,
    AsyncTransactionService,
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

if TYPE_CHECKING:
    from qbo_sync.client._async_client import AsyncQBOClient
    from qbo_sync.client._client import QBOClient

__all__ = [
    "ServiceSlot",
    "ServiceTable",
    "invoice",
    "name_list",
    "payment",
    "read_only",
    "sales_document",
    "sales_receipt",
    "transaction",
]

T = TypeVar("T")
S = TypeVar("S")
A = TypeVar("A")


class ServiceSlot(Generic[S, A]):
    """A client attribute serving one entity: ``S`` on the sync client, ``A`` on the async one.

    Attributes:
        entity_name: The entity as QBO spells it.
        kind: The sync service class's name (``"NameListService"``).
        attribute: The attribute name on the clients.
    """

    def __init__(
        self, sync: Callable[[Any, str], S], async_: Callable[[Any, str], A], entity_name: str
    ) -> None:
        self._sync = sync
        self._async = async_
        self.entity_name = entity_name
        self.kind = getattr(sync, "__name__", str(sync))
        self.attribute = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.attribute = name

    def __repr__(self) -> str:
        return f"ServiceSlot({self.attribute}: {self.kind} of {self.entity_name})"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> ServiceSlot[S, A]: ...
    @overload
    def __get__(self, obj: QBOClient, owner: type[Any]) -> S: ...
    @overload
    def __get__(self, obj: AsyncQBOClient, owner: type[Any]) -> A: ...
    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        is_async = getattr(obj, "_ASYNC", False)
        factory: Callable[[Any, str], Any] = self._async if is_async else self._sync
        service = factory(obj, self.entity_name)
        # Cached on the instance: later reads skip the descriptor.
        obj.__dict__[self.attribute] = service
        return service


def _name(model: type[Any]) -> str:
    name = getattr(model, "QBO_NAME", None)
    if not isinstance(name, str):
        raise TypeError(f"{model!r} is not a qbo_sync model (no QBO_NAME)")
    return name


def read_only(model: type[T]) -> ServiceSlot[ReadOnlyService[T], AsyncReadOnlyService[T]]:
    """A reads-only service (tax codes, tax rates)."""
    return ServiceSlot(ReadOnlyService, AsyncReadOnlyService, _name(model))


def name_list(model: type[T]) -> ServiceSlot[NameListService[T], AsyncNameListService[T]]:
    """A name-list service: create, update, sparse update, inactivate."""
    return ServiceSlot(NameListService, AsyncNameListService, _name(model))


def transaction(model: type[T]) -> ServiceSlot[TransactionService[T], AsyncTransactionService[T]]:
    """A transaction service: create, update, sparse update, delete."""
    return ServiceSlot(TransactionService, AsyncTransactionService, _name(model))


def sales_document(
    model: type[T],
) -> ServiceSlot[SalesDocumentService[T], AsyncSalesDocumentService[T]]:
    """A transaction QBO renders and mails: adds ``pdf`` and ``send``."""
    return ServiceSlot(SalesDocumentService, AsyncSalesDocumentService, _name(model))


def invoice(model: type[T]) -> ServiceSlot[InvoiceService[T], AsyncInvoiceService[T]]:
    """Invoices: a sales document voided with ``operation=void``."""
    return ServiceSlot(InvoiceService, AsyncInvoiceService, _name(model))


def payment(model: type[T]) -> ServiceSlot[PaymentService[T], AsyncPaymentService[T]]:
    """Payments: a sales document voided by a sparse update with ``include=void``."""
    return ServiceSlot(PaymentService, AsyncPaymentService, _name(model))


def sales_receipt(
    model: type[T],
) -> ServiceSlot[SalesReceiptService[T], AsyncSalesReceiptService[T]]:
    """Sales receipts: voided like payments."""
    return ServiceSlot(SalesReceiptService, AsyncSalesReceiptService, _name(model))


class ServiceTable:
    """The per-entity services both clients offer (one line each)."""

    _ASYNC: ClassVar[bool] = False

    customers = name_list(models.Customer)
    vendors = name_list(models.Vendor)
    employees = name_list(models.Employee)
    items = name_list(models.Item)
    accounts = name_list(models.Account)
    terms = name_list(models.Term)
    classes = name_list(models.Class)
    departments = name_list(models.Department)
    payment_methods = name_list(models.PaymentMethod)
    tax_codes = read_only(models.TaxCode)
    tax_rates = read_only(models.TaxRate)
    invoices = invoice(models.Invoice)
    payments = payment(models.Payment)
    sales_receipts = sales_receipt(models.SalesReceipt)
    credit_memos = sales_document(models.CreditMemo)
    estimates = sales_document(models.Estimate)
    purchases = transaction(models.Purchase)
    bills = transaction(models.Bill)
    bill_payments = transaction(models.BillPayment)
    deposits = transaction(models.Deposit)

    @classmethod
    def service_slots(cls) -> dict[str, ServiceSlot[Any, Any]]:
        """Every declared service, by attribute name, in declaration order."""
        return {
            name: value
            for klass in reversed(cls.__mro__)
            for name, value in vars(klass).items()
            if isinstance(value, ServiceSlot)
        }
