"""What a pull hands the product: typed changes, and the sink that receives them."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = [
    "PAYMENT_CONFIRMED",
    "Change",
    "ChangeKind",
    "ChangeSink",
    "InvoicePayment",
    "RecordSource",
]

#: The text an "invoice paid" change carries for the product's timeline.
PAYMENT_CONFIRMED = "Payment confirmed via QuickBooks"


class ChangeKind(str, enum.Enum):
    """How a QBO object changed."""

    CREATED = "created"
    """New in QBO: the product does not have it (no link)."""
    UPDATED = "updated"
    """A linked record changed in QBO."""
    VOIDED = "voided"
    """A linked transaction was voided in QBO."""
    DELETED = "deleted"
    """A linked record was deleted in QBO."""
    PAID = "paid"
    """A payment in QBO was applied to a linked invoice (see :attr:`Change.payment`)."""


@attrs.frozen(kw_only=True)
class InvoicePayment:
    """A payment applied to an invoice, as the product's timeline wants it.

    Attributes:
        invoice_local_id: The product's invoice id.
        invoice_qbo_id: The QBO invoice id.
        payment_qbo_id: The QBO payment id.
        amount: The amount this payment applied to the invoice.
        date: The payment's date.
        balance: What is still owed on the invoice after it (``None`` if unknown).
        note: ``"Payment confirmed via QuickBooks"``.
    """

    invoice_local_id: str
    invoice_qbo_id: str
    payment_qbo_id: str
    amount: Decimal
    date: dt.date | None
    balance: Decimal | None
    note: str = PAYMENT_CONFIRMED

    @property
    def paid_in_full(self) -> bool:
        """Whether nothing is owed any more."""
        return self.balance is not None and self.balance <= 0


@attrs.frozen(kw_only=True)
class Change:
    """One change in QBO, for the product to apply.

    Attributes:
        entity: The QBO entity name.
        kind: What happened.
        qbo_id: The QBO ``Id``.
        local_id: The product's id when the object is linked, else ``None``.
        record: The object as a product record (from the mapper); ``None`` for
            deletions and payments to invoices.
        fields: The record's fields the product should take: all of them for
            a created record; for a linked one only the fields QBO owns
            (:class:`~qbo_sync.sync.FieldPolicy`) and those QBO computes.
        sync_token: The QBO ``SyncToken`` of this version.
        payment: For ``PAID``: the payment applied to the invoice.
    """

    entity: str
    kind: ChangeKind
    qbo_id: str
    local_id: str | None
    record: Any = None
    fields: frozenset[str] = frozenset()
    sync_token: str | None = None
    payment: InvoicePayment | None = None

    def apply_to(self, current: Any) -> Any:
        """The product's attrs record with this change applied (a new record).

        ``UPDATED``/``VOIDED``: the :attr:`fields` taken from :attr:`record`
        (so field ownership is respected); ``PAID``: ``balance`` set from the
        payment when the record has one; ``DELETED`` and ``CREATED`` leave
        ``current`` as it is (the product decides what deleting means, and a
        created record is :attr:`record` itself, with the product's own id).
        """
        if self.kind is ChangeKind.PAID:
            if self.payment is not None and hasattr(current, "balance"):
                return attrs.evolve(current, balance=self.payment.balance)
            return current
        if self.kind not in (ChangeKind.UPDATED, ChangeKind.VOIDED) or self.record is None:
            return current
        values = {name: getattr(self.record, name) for name in self.fields
                  if name != "id" and hasattr(current, name)}
        return attrs.evolve(current, **values)


@runtime_checkable
class ChangeSink(Protocol):
    """What the product implements to receive pulled changes."""

    def apply(self, changes: Sequence[Change]) -> Mapping[str, str] | None:
        """Store a chunk of changes, in one transaction of the product's own.

        Raise to refuse the chunk: nothing of it is acknowledged, the cursor
        does not move, and the next pull delivers it again.

        Returns:
            For ``CREATED`` changes the product stored and wants linked, the
            product's new id by QBO id (``{qbo_id: local_id}``); ``None`` or
            ``{}`` links nothing (the change comes again on the next full read).
        """
        ...


@runtime_checkable
class RecordSource(Protocol):
    """Where the engine reads the product's records when it is not handed them."""

    def records(self, entity: str) -> Iterable[Any]:
        """Every record of ``entity`` (a QBO entity name) to keep in sync.

        Expenses: the engine asks for ``"Purchase"`` and ``"Bill"`` and takes
        each expense once, so answer every expense to both, or split them;
        the engine decides, per expense, which of the two it is written as.
        """
        ...

    def get(self, entity: str, local_ids: Sequence[str]) -> Iterable[Any]:
        """The records of ``entity`` with these ids (missing ids are left out).

        ``"Purchase"`` and ``"Bill"`` both name the product's expenses.
        """
        ...
