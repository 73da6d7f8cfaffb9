"""Canonical local records: what a product keeps, in plain frozen attrs classes.

A product whose own classes differ writes a :class:`~qbo_sync.mapping.Mapper`
over them instead; these records exist so the demo and simple apps need no
mapping code at all.

Decisions:

- ``id`` is the product's id, as text; it is the link key and never sent to QBO.
- Money is :class:`~decimal.Decimal`; a float is refused (``TypeError``) because
  ``0.1 + 0.2`` on an invoice is a support ticket.
- ``voided`` and ``deleted`` are flags on the record, so "void this invoice" is
  an ordinary push of the record with ``voided=True``.
- Fields QBO computes (``balance``, ``total``) are filled by a pull and never
  pushed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
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
]


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be non-empty text, got {value!r}"
        )


def _money(value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"money must be a Decimal, int or str, not {type(value).__name__} {value!r}"
        )
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"money must be a Decimal, int or str, not {type(value).__name__}")


def _required_money(value: object) -> Decimal:
    result = _money(value)
    if result is None:
        raise TypeError("money is required here")
    return result


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class LocalAddress:
    """A postal address."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@attrs.frozen(kw_only=True)
class LocalCustomer:
    """A customer (client) of the product.

    Attributes:
        id: The product's id.
        display_name: The name shown everywhere; unique in QBO across
            customers, vendors and employees.
        company_name: The company, when the customer is one.
        given_name: First name of the contact.
        family_name: Last name of the contact.
        email: Primary e-mail (also the first match key).
        phone: Primary phone, free form.
        billing_address: Where invoices go.
        shipping_address: Where work is delivered.
        notes: Free text.
        deleted: Deleted in the product: made inactive in QBO.
    """

    id: str = attrs.field(validator=_non_empty)
    display_name: str = attrs.field(validator=_non_empty)
    company_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: LocalAddress | None = None
    shipping_address: LocalAddress | None = None
    notes: str | None = None
    deleted: bool = False


@attrs.frozen(kw_only=True)
class LocalItem:
    """A product or service the product sells.

    Attributes:
        id: The product's id.
        name: Unique item name in QBO (the match key).
        description: Sales description.
        unit_price: Default price.
        type: ``"Service"`` or ``"NonInventory"`` (inventory items need
            quantities this library does not track).
        sku: Stock-keeping unit.
        taxable: Whether sales of it are taxable (US companies).
        income_account_id: The QBO income account; default: the ``income``
            account of the realm's account mapping.
        deleted: Deleted in the product: made inactive in QBO.
    """

    id: str = attrs.field(validator=_non_empty)
    name: str = attrs.field(validator=_non_empty)
    description: str | None = None
    unit_price: Decimal | None = attrs.field(default=None, converter=_money)
    type: str = attrs.field(default="Service", validator=attrs.validators.in_(
        ("Service", "NonInventory")))
    sku: str | None = None
    taxable: bool | None = None
    income_account_id: str | None = None
    deleted: bool = False


@attrs.frozen(kw_only=True)
class LocalLine:
    """One line of an invoice or credit memo.

    ``amount`` defaults to ``quantity * unit_price`` (rounded to cents) when
    both are given; a line needs one or the other.

    Attributes:
        item_id: The product's item id; ``None`` uses the item mapping or the
            default service item.
        description: Line text.
        quantity: How many.
        unit_price: Price of one.
        amount: Line total.
        tax_code: The product's tax code, mapped through the realm's
            ``tax_code_mapping`` (a missing mapping fails the record).
        service_date: When the work was done.
        class_id: The product's class, mapped with ``engine.map_classes()``;
            sent only when the company tracks classes.
    """

    item_id: str | None = None
    description: str | None = None
    quantity: Decimal | None = attrs.field(default=None, converter=_money)
    unit_price: Decimal | None = attrs.field(default=None, converter=_money)
    amount: Decimal = attrs.field(converter=_required_money)
    tax_code: str | None = None
    service_date: dt.date | None = None
    class_id: str | None = None

    @amount.default
    def _amount(self) -> Decimal:
        if self.quantity is None or self.unit_price is None:
            raise ValueError("LocalLine needs amount, or quantity and unit_price")
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


@attrs.frozen(kw_only=True)
class LocalInvoice:
    """An invoice.

    Attributes:
        id: The product's id.
        customer_id: The product's customer id.
        lines: At least one line.
        number: The invoice number (QBO ``DocNumber``, the match key).
        date: Invoice date.
        due_date: When payment is due.
        memo: Message shown to the customer.
        private_note: Note kept in QBO only.
        email: Where QBO would send it.
        voided: Voided in the product: voided in QBO.
        deleted: Deleted in the product: deleted in QBO.
        total: Filled by a pull: QBO's total.
        balance: Filled by a pull: what is still owed.
        department_id: The product's location (QBO department), mapped with
            ``engine.map_departments()``; sent only when the company tracks
            locations.
    """

    id: str = attrs.field(validator=_non_empty)
    customer_id: str = attrs.field(validator=_non_empty)
    lines: tuple[LocalLine, ...] = attrs.field(converter=_tuple)
    number: str | None = None
    date: dt.date | None = None
    due_date: dt.date | None = None
    memo: str | None = None
    private_note: str | None = None
    email: str | None = None
    voided: bool = False
    deleted: bool = False
    total: Decimal | None = attrs.field(default=None, converter=_money)
    balance: Decimal | None = attrs.field(default=None, converter=_money)
    department_id: str | None = None

    @property
    def paid(self) -> bool:
        """Whether a pull saw the balance reach zero on a non-empty invoice."""
        return self.balance is not None and self.balance == 0 and bool(self.total)


@attrs.frozen(kw_only=True)
class LocalCreditMemo:
    """A credit memo (credit note) for a customer.

    Attributes:
        id: The product's id.
        customer_id: The product's customer id.
        lines: At least one line.
        number: The credit memo number (QBO ``DocNumber``, the match key).
        date: Its date.
        memo: Message shown to the customer.
        deleted: Deleted in the product: deleted in QBO (QBO has no void
            for credit memos).
        total: Filled by a pull.
        remaining_credit: Filled by a pull: credit not yet applied.
        department_id: The product's location (QBO department), mapped with
            ``engine.map_departments()``; sent only when the company tracks
            locations.
    """

    id: str = attrs.field(validator=_non_empty)
    customer_id: str = attrs.field(validator=_non_empty)
    lines: tuple[LocalLine, ...] = attrs.field(converter=_tuple)
    number: str | None = None
    date: dt.date | None = None
    memo: str | None = None
    deleted: bool = False
    total: Decimal | None = attrs.field(default=None, converter=_money)
    remaining_credit: Decimal | None = attrs.field(default=None, converter=_money)
    department_id: str | None = None


@attrs.frozen(kw_only=True)
class LocalPaymentApplication:
    """The part of a payment applied to one invoice (by the product's invoice id)."""

    invoice_id: str = attrs.field(validator=_non_empty)
    amount: Decimal = attrs.field(converter=_required_money)


@attrs.frozen(kw_only=True)
class LocalPayment:
    """A customer payment, applied to invoices by their local ids.

    Attributes:
        id: The product's id.
        customer_id: The product's customer id.
        amount: The amount received (at least the applied sum; the rest is
            left unapplied in QBO).
        date: When it was received.
        applied_to: Invoices it pays, by local id.
        reference: Cheque or transaction number (QBO ``PaymentRefNum``).
        memo: Note kept in QBO.
        voided: Voided in the product: voided in QBO.
        deleted: Deleted in the product: deleted in QBO.
    """

    id: str = attrs.field(validator=_non_empty)
    customer_id: str = attrs.field(validator=_non_empty)
    amount: Decimal = attrs.field(converter=_required_money)
    date: dt.date | None = None
    applied_to: tuple[LocalPaymentApplication, ...] = attrs.field(default=(), converter=_tuple)
    reference: str | None = None
    memo: str | None = None
    voided: bool = False
    deleted: bool = False


@attrs.frozen(kw_only=True)
class LocalVendor:
    """A supplier the product pays (QBO ``Vendor``).

    Attributes:
        id: The product's id.
        display_name: The name shown everywhere (the match key); unique in
            QBO across customers, vendors and employees.
        company_name: The company, when the vendor is one.
        given_name: First name of the contact.
        family_name: Last name of the contact.
        email: Primary e-mail.
        phone: Primary phone, free form.
        address: Where bills come from (QBO ``BillAddr``).
        account_number: The product's account number at the vendor (``AcctNum``).
        notes: Free text.
        deleted: Deleted in the product: made inactive in QBO.
    """

    id: str = attrs.field(validator=_non_empty)
    display_name: str = attrs.field(validator=_non_empty)
    company_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: LocalAddress | None = None
    account_number: str | None = None
    notes: str | None = None
    deleted: bool = False


#: How a :class:`LocalExpense` pushed as a ``Purchase`` was paid (QBO ``PaymentType``).
PAYMENT_TYPES = ("Cash", "Check", "CreditCard")


@attrs.frozen(kw_only=True)
class LocalExpenseLine:
    """One line of an expense: an amount booked to an expense account.

    Attributes:
        amount: Line total (net of tax unless the realm's transactions are
            tax-inclusive; see ``docs/sync-mapping.md``).
        description: Line text.
        account_role: The role in the realm's account mapping whose account
            the cost is booked to (``"expense"``; a product may map one role
            per expense category, e.g. ``map_accounts(travel="88")``).
        account_id: A QBO Account id, which wins over ``account_role``.
        tax_code: The product's tax code, mapped through the realm's
            ``tax_code_mapping`` (a missing mapping fails the record).
        customer_id: The product's customer the cost was spent for (a job
            cost); QBO can bill it on to the customer.
        billable: With ``customer_id``: mark it billable (else not billable).
        class_id: The product's class, mapped with ``engine.map_classes()``;
            sent only when the company tracks classes.
    """

    amount: Decimal = attrs.field(converter=_required_money)
    description: str | None = None
    account_role: str = "expense"
    account_id: str | None = None
    tax_code: str | None = None
    customer_id: str | None = None
    billable: bool = True
    class_id: str | None = None


@attrs.frozen(kw_only=True)
class LocalExpense:
    """A cost the product logged: pushed as a QBO ``Purchase`` or ``Bill``.

    Which of the two is chosen once, when the expense is first pushed:
    ``entity`` if the record says, else the engine's ``expense_entity``. A
    linked expense stays what it was linked as, so changing the setting later
    never creates a second copy.

    Attributes:
        id: The product's id.
        lines: At least one line.
        vendor_id: The product's vendor id (required for a bill; optional for
            a purchase).
        date: When it was spent (QBO ``TxnDate``).
        number: Reference number (QBO ``DocNumber``, the match key).
        entity: ``"Purchase"`` (paid already) or ``"Bill"`` (to pay later);
            ``None``: the engine's ``expense_entity``.
        payment_type: For a purchase: ``"Cash"``, ``"Check"`` or ``"CreditCard"``.
        payment_account_role: For a purchase: the account-mapping role of the
            account it was paid from; default ``"credit_card"`` for credit
            card purchases and ``"bank"`` otherwise.
        payment_account_id: For a purchase: a QBO Account id, which wins over
            ``payment_account_role`` (a pull fills it).
        due_date: For a bill: when it is due.
        memo: Note kept in QBO (``PrivateNote``).
        department_id: The product's location (QBO department), mapped with
            ``engine.map_departments()``; sent only when the company tracks
            locations.
        deleted: Deleted in the product: deleted in QBO (expenses are deleted,
            never voided).
        total: Filled by a pull: QBO's total.
        balance: Filled by a pull, for a bill: what is still owed.
    """

    id: str = attrs.field(validator=_non_empty)
    lines: tuple[LocalExpenseLine, ...] = attrs.field(converter=_tuple)
    vendor_id: str | None = None
    date: dt.date | None = None
    number: str | None = None
    entity: str | None = attrs.field(
        default=None, validator=attrs.validators.in_((None, "Purchase", "Bill")))
    payment_type: str = attrs.field(default="Cash", validator=attrs.validators.in_(PAYMENT_TYPES))
    payment_account_role: str | None = None
    payment_account_id: str | None = None
    due_date: dt.date | None = None
    memo: str | None = None
    department_id: str | None = None
    deleted: bool = False
    total: Decimal | None = attrs.field(default=None, converter=_money)
    balance: Decimal | None = attrs.field(default=None, converter=_money)
