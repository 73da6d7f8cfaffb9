"""Transaction lines, polymorphic on ``DetailType``.

Each line kind is its own class whose ``detail_type`` is fixed; the detail
object sits in the field named after its wire key (``SalesItemLine`` has
``sales_item_line_detail``). A line whose ``DetailType`` is missing or not
modelled here becomes an :class:`UnknownLine`, which keeps the detail object
in ``extra`` and writes it back unchanged.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import attrs

from qbo_sync.models._base import Model, to_decimal, wire
from qbo_sync.models._types import CustomField, LinkedTxn, MarkupInfo, Ref

__all__ = [
    "LINE_CLASSES",
    "AccountBasedExpenseLine",
    "AccountBasedExpenseLineDetail",
    "DepositLine",
    "DepositLineDetail",
    "DescriptionLineDetail",
    "DescriptionOnlyLine",
    "DiscountLine",
    "DiscountLineDetail",
    "GroupLine",
    "GroupLineDetail",
    "ItemBasedExpenseLine",
    "ItemBasedExpenseLineDetail",
    "Line",
    "PaymentLine",
    "SalesItemLine",
    "SalesItemLineDetail",
    "SubTotalLine",
    "SubTotalLineDetail",
    "TaxLine",
    "TaxLineDetail",
    "TxnTaxDetail",
    "UnknownLine",
]


@attrs.define(kw_only=True, repr=False)
class SalesItemLineDetail(Model):
    """Detail of a sales item line: item, quantity, unit price, tax code."""

    service_date: date | None = None
    tax_inclusive_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    discount_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    discount_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    deferred_revenue: bool | None = None
    retainage_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    item_ref: Ref | None = None
    class_ref: Ref | None = None
    unit_price: Decimal | None = attrs.field(default=None, converter=to_decimal)
    unit_cost_price: Decimal | None = attrs.field(default=None, converter=to_decimal)
    rate_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    price_level_ref: Ref | None = None
    markup_info: MarkupInfo | None = None
    qty: Decimal | None = attrs.field(default=None, converter=to_decimal)
    item_account_ref: Ref | None = None
    inventory_site_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    tax_classification_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class GroupLineDetail(Model):
    """Detail of a group (bundle) line; ``line`` holds the bundle's component lines."""

    group_item_ref: Ref | None = None
    quantity: Decimal | None = attrs.field(default=None, converter=to_decimal)
    service_date: date | None = None
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class DescriptionLineDetail(Model):
    """Detail of a description-only line."""

    service_date: date | None = None
    tax_code_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class DiscountLineDetail(Model):
    """Detail of a discount line; ``discount_percent`` is a percent number (10 = 10 %)."""

    service_date: date | None = None
    class_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    discount_ref: Ref | None = None
    percent_based: bool | None = None
    discount_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    discount_account_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class SubTotalLineDetail(Model):
    """Detail of a subtotal line (QBO sends ``{}``)."""

    item_ref: Ref | None = None
    service_date: date | None = None


@attrs.define(kw_only=True, repr=False)
class TaxLineDetail(Model):
    """Detail of a tax line inside ``TxnTaxDetail.TaxLine``."""

    tax_rate_ref: Ref | None = None
    percent_based: bool | None = None
    tax_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    net_amount_taxable: Decimal | None = attrs.field(default=None, converter=to_decimal)
    tax_inclusive_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    override_delta_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    service_date: date | None = None


@attrs.define(kw_only=True, repr=False)
class AccountBasedExpenseLineDetail(Model):
    """Detail of an expense line booked to an account."""

    customer_ref: Ref | None = None
    class_ref: Ref | None = None
    account_ref: Ref | None = None
    billable_status: str | None = None
    markup_info: MarkupInfo | None = None
    tax_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    tax_code_ref: Ref | None = None
    tax_inclusive_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)


@attrs.define(kw_only=True, repr=False)
class ItemBasedExpenseLineDetail(Model):
    """Detail of an expense line for an item."""

    customer_ref: Ref | None = None
    billable_status: str | None = None
    tax_inclusive_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    item_ref: Ref | None = None
    class_ref: Ref | None = None
    unit_price: Decimal | None = attrs.field(default=None, converter=to_decimal)
    unit_cost_price: Decimal | None = attrs.field(default=None, converter=to_decimal)
    rate_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    price_level_ref: Ref | None = None
    markup_info: MarkupInfo | None = None
    qty: Decimal | None = attrs.field(default=None, converter=to_decimal)
    item_account_ref: Ref | None = None
    inventory_site_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    tax_classification_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class DepositLineDetail(Model):
    """Detail of a deposit line."""

    entity: Ref | None = None
    class_ref: Ref | None = None
    account_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    check_num: str | None = None
    txn_type: str | None = None
    tax_code_ref: Ref | None = None
    tax_applicable_on: str | None = None


@attrs.define(kw_only=True, repr=False)
class _LineBase(Model):
    """Fields every line kind shares (XSD ``Line``)."""

    id: str | None = None
    line_num: int | None = None
    description: str | None = None
    amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    received: Decimal | None = attrs.field(default=None, converter=to_decimal)
    linked_txn: list[LinkedTxn] | None = None
    custom_field: list[CustomField] | None = None
    project_ref: Ref | None = None
    cost_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_cost_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)


@attrs.define(kw_only=True, repr=False)
class SalesItemLine(_LineBase):
    """A line selling an item (``DetailType`` ``SalesItemLineDetail``)."""

    DETAIL_TYPE: ClassVar[str] = "SalesItemLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    sales_item_line_detail: SalesItemLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class GroupLine(_LineBase):
    """A group (bundle) line (``DetailType`` ``GroupLineDetail``)."""

    DETAIL_TYPE: ClassVar[str] = "GroupLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    group_line_detail: GroupLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class DescriptionOnlyLine(_LineBase):
    """A description-only line; ``description='Subtotal:'`` on create makes an inline subtotal."""

    DETAIL_TYPE: ClassVar[str] = "DescriptionOnly"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    description_line_detail: DescriptionLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class DiscountLine(_LineBase):
    """A discount line (``DetailType`` ``DiscountLineDetail``)."""

    DETAIL_TYPE: ClassVar[str] = "DiscountLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    discount_line_detail: DiscountLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class SubTotalLine(_LineBase):
    """A subtotal line, which QBO adds to sales transactions."""

    DETAIL_TYPE: ClassVar[str] = "SubTotalLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    sub_total_line_detail: SubTotalLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class TaxLine(_LineBase):
    """A tax line inside ``TxnTaxDetail.tax_line``."""

    DETAIL_TYPE: ClassVar[str] = "TaxLineDetail"

    detail_type: str = attrs.field(default=DETAIL_TYPE, init=False, metadata=wire("DetailType"))
    tax_line_detail: TaxLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class AccountBasedExpenseLine(_LineBase):
    """An expense line booked to an account (purchases, bills)."""

    DETAIL_TYPE: ClassVar[str] = "AccountBasedExpenseLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    account_based_expense_line_detail: AccountBasedExpenseLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class ItemBasedExpenseLine(_LineBase):
    """An expense line for an item (purchases, bills)."""

    DETAIL_TYPE: ClassVar[str] = "ItemBasedExpenseLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    item_based_expense_line_detail: ItemBasedExpenseLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class DepositLine(_LineBase):
    """A deposit line (``DetailType`` ``DepositLineDetail``)."""

    DETAIL_TYPE: ClassVar[str] = "DepositLineDetail"

    detail_type: str = attrs.field(
        default=DETAIL_TYPE, init=False, metadata=wire("DetailType")
    )
    deposit_line_detail: DepositLineDetail | None = None


@attrs.define(kw_only=True, repr=False)
class UnknownLine(_LineBase):
    """A line whose ``DetailType`` is missing or not modelled; its detail stays in ``extra``."""

    DETAIL_TYPE: ClassVar[str] = ""

    detail_type: str | None = attrs.field(default=None, metadata=wire("DetailType"))


@attrs.define(kw_only=True, repr=False)
class PaymentLine(Model):
    """A payment line: the amount applied to the linked invoices or credit memos."""

    amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    linked_txn: list[LinkedTxn] | None = None


@attrs.define(kw_only=True, repr=False)
class TxnTaxDetail(Model):
    """Tax summary of a transaction; ``tax_line`` holds :class:`TaxLine` items."""

    default_tax_code_ref: Ref | None = None
    txn_tax_code_ref: Ref | None = None
    total_tax: Decimal | None = attrs.field(default=None, converter=to_decimal)
    tax_review_status: str | None = None
    tax_line: list[Line] | None = None
    use_automated_sales_tax: bool | None = None


#: Any transaction line. Dispatch is on the wire ``DetailType``.
Line = (
    SalesItemLine
    | GroupLine
    | DescriptionOnlyLine
    | DiscountLine
    | SubTotalLine
    | TaxLine
    | AccountBasedExpenseLine
    | ItemBasedExpenseLine
    | DepositLine
    | UnknownLine
)

#: Line classes by wire ``DetailType``.
LINE_CLASSES: dict[str, type[_LineBase]] = {
    cls.DETAIL_TYPE: cls
    for cls in (
        SalesItemLine,
        GroupLine,
        DescriptionOnlyLine,
        DiscountLine,
        SubTotalLine,
        TaxLine,
        AccountBasedExpenseLine,
        ItemBasedExpenseLine,
        DepositLine,
    )
}
