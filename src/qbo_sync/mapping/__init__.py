"""Pure translation between a product's records and QBO entities (no I/O).

- canonical local records (:class:`LocalCustomer`, :class:`LocalItem`,
  :class:`LocalInvoice` with :class:`LocalLine`, :class:`LocalPayment`,
  :class:`LocalCreditMemo`) for products happy to use them;
- the :class:`Mapper` protocol, with :class:`BaseMapper` for a product's own
  mapper over its own classes;
- the bundled mappers and :func:`default_mappers`.

See ``docs/sync-mapping.md``.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping._codec import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict
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
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
)
from qbo_sync.mapping._sales import CreditMemoMapper, InvoiceMapper, PaymentMapper, is_voided

__all__ = [
    "LOCAL_RECORD_TYPES",
    "BaseMapper",
    "CreditMemoMapper",
    "CustomerMapper",
    "Dependency",
    "FieldGroup",
    "InvoiceMapper",
    "ItemMapper",
    "LocalAddress",
    "LocalCreditMemo",
    "LocalCustomer",
    "LocalInvoice",
    "LocalItem",
    "LocalLine",
    "LocalPayment",
    "LocalPaymentApplication",
    "MapContext",
    "Mapper",
    "PaymentMapper",
    "PullContext",
    "RecordState",
    "default_mappers",
    "fingerprint_of",
    "is_voided",
    "normalise_name",
    "record_from_dict",
    "record_to_dict",
]


def default_mappers() -> list[Mapper[Any, Any]]:
    """The bundled mappers, in push order: items, customers, invoices, credit memos, payments."""
    return [
        ItemMapper(),
        CustomerMapper(),
        InvoiceMapper(),
        CreditMemoMapper(),
        PaymentMapper(),
    ]
