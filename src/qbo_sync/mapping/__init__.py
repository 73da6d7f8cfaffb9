"""Pure translation between a product's records and QBO entities (no I/O).

- canonical local records (:class:`LocalCustomer`, :class:`LocalItem`,
  :class:`LocalInvoice` with :class:`LocalLine`, :class:`LocalPayment`,
  :class:`LocalCreditMemo`, :class:`LocalVendor`, :class:`LocalExpense` with
  :class:`LocalExpenseLine`) for products happy to use them;
- the :class:`Mapper` protocol, with :class:`BaseMapper` for a product's own
  mapper over its own classes;
- the bundled mappers and :func:`default_mappers`.

See ``docs/sync-mapping.md``.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping._codec import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict
from qbo_sync.mapping._company import TAX_CALCULATIONS, US_PSEUDO_CODES, CompanySetup
from qbo_sync.mapping._expenses import BillMapper, PurchaseMapper, VendorMapper
from qbo_sync.mapping._names import CustomerMapper, ItemMapper
from qbo_sync.mapping._protocol import (
    BaseMapper,
    Dependency,
    FieldGroup,
    MapContext,
    Mapper,
    PullContext,
    RecordState,
    fingerprint_of,
    normalise_name,
)
from qbo_sync.mapping._records import (
    LocalAddress,
    LocalCreditMemo,
    LocalCustomer,
    LocalExpense,
    LocalExpenseLine,
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
    LocalVendor,
)
from qbo_sync.mapping._sales import CreditMemoMapper, InvoiceMapper, PaymentMapper, is_voided

__all__ = [
    "LOCAL_RECORD_TYPES",
    "TAX_CALCULATIONS",
    "US_PSEUDO_CODES",
    "BaseMapper",
    "BillMapper",
    "CompanySetup",
    "CreditMemoMapper",
    "CustomerMapper",
    "Dependency",
    "FieldGroup",
    "InvoiceMapper",
    "ItemMapper",
    "LocalAddress",
    "LocalCreditMemo",
    "LocalCustomer",
    "LocalExpense",
    "LocalExpenseLine",
    "LocalInvoice",
    "LocalItem",
    "LocalLine",
    "LocalPayment",
    "LocalPaymentApplication",
    "LocalVendor",
    "MapContext",
    "Mapper",
    "PaymentMapper",
    "PullContext",
    "PurchaseMapper",
    "RecordState",
    "VendorMapper",
    "default_mappers",
    "fingerprint_of",
    "is_voided",
    "normalise_name",
    "record_from_dict",
    "record_to_dict",
]


def default_mappers() -> list[Mapper[Any, Any]]:
    """The bundled mappers, in push order.

    Items, customers, vendors, invoices, credit memos, payments, then
    expenses as purchases and as bills (both take :class:`LocalExpense`; the
    engine routes each expense to one of them).
    """
    return [
        ItemMapper(),
        CustomerMapper(),
        VendorMapper(),
        InvoiceMapper(),
        CreditMemoMapper(),
        PaymentMapper(),
        PurchaseMapper(),
        BillMapper(),
    ]
