"""List entities: items, accounts, tax codes and rates, terms, attachables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import attrs

from qbo_sync.models._base import Model, to_decimal, wire
from qbo_sync.models._entity import Entity
from qbo_sync.models._types import (
    Address,
    Ref,
)

__all__ = [
    "Account",
    "Attachable",
    "Class",
    "Department",
    "Item",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "TaxRateDetail",
    "TaxRateList",
    "Term",
]


@attrs.define(kw_only=True, repr=False)
class Item(Entity):
    """A product or service."""

    QBO_NAME: ClassVar[str] = "Item"

    name: str | None = None
    sku: str | None = None
    description: str | None = None
    active: bool | None = None
    sub_item: bool | None = None
    parent_ref: Ref | None = None
    level: int | None = None
    fully_qualified_name: str | None = None
    taxable: bool | None = None
    sales_tax_included: bool | None = None
    percent_based: bool | None = None
    unit_price: Decimal | None = attrs.field(default=None, converter=to_decimal)
    rate_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    type: str | None = None
    payment_method_ref: Ref | None = None
    uom_set_ref: Ref | None = attrs.field(default=None, metadata=wire("UOMSetRef"))
    income_account_ref: Ref | None = None
    purchase_desc: str | None = None
    purchase_tax_included: bool | None = None
    purchase_cost: Decimal | None = attrs.field(default=None, converter=to_decimal)
    expense_account_ref: Ref | None = None
    cogs_account_ref: Ref | None = attrs.field(default=None, metadata=wire("COGSAccountRef"))
    asset_account_ref: Ref | None = None
    pref_vendor_ref: Ref | None = None
    avg_cost: Decimal | None = attrs.field(default=None, converter=to_decimal)
    track_qty_on_hand: bool | None = None
    qty_on_hand: Decimal | None = attrs.field(default=None, converter=to_decimal)
    qty_on_purchase_order: Decimal | None = attrs.field(default=None, converter=to_decimal)
    qty_on_sales_order: Decimal | None = attrs.field(default=None, converter=to_decimal)
    reorder_point: Decimal | None = attrs.field(default=None, converter=to_decimal)
    man_part_num: str | None = None
    deposit_to_account_ref: Ref | None = None
    sales_tax_code_ref: Ref | None = None
    purchase_tax_code_ref: Ref | None = None
    inv_start_date: date | None = None
    build_point: Decimal | None = attrs.field(default=None, converter=to_decimal)
    print_grouped_items: bool | None = None
    special_item: bool | None = None
    special_item_type: str | None = None
    abatement_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    reverse_charge_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    service_type: str | None = None
    item_category_type: str | None = None
    tax_classification_ref: Ref | None = None
    uqc_display_text: str | None = attrs.field(default=None, metadata=wire("UQCDisplayText"))
    uqc_id: str | None = attrs.field(default=None, metadata=wire("UQCId"))
    class_ref: Ref | None = None
    source: str | None = None
    deferred_revenue: bool | None = None


@attrs.define(kw_only=True, repr=False)
class Account(Entity):
    """A ledger account."""

    QBO_NAME: ClassVar[str] = "Account"

    name: str | None = None
    sub_account: bool | None = None
    parent_ref: Ref | None = None
    description: str | None = None
    fully_qualified_name: str | None = None
    account_alias: str | None = None
    txn_location_type: str | None = None
    active: bool | None = None
    classification: str | None = None
    account_type: str | None = None
    account_sub_type: str | None = None
    account_purposes: list[Ref] | None = None
    acct_num: str | None = None
    acct_num_extn: str | None = None
    bank_num: str | None = None
    opening_balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    opening_balance_date: date | None = None
    current_balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    current_balance_with_sub_accounts: Decimal | None = attrs.field(
        default=None, converter=to_decimal
    )
    currency_ref: Ref | None = None
    tax_account: bool | None = None
    tax_code_ref: Ref | None = None
    online_banking_enabled: bool | None = None
    fi_name: str | None = attrs.field(default=None, metadata=wire("FIName"))
    journal_code_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class TaxRateDetail(Model):
    """One tax rate of a tax code's rate list (XSD ``TaxRateDetail``)."""

    tax_rate_ref: Ref | None = None
    tax_type_applicable: str | None = None
    tax_order: int | None = None
    tax_on_tax_order: int | None = None


@attrs.define(kw_only=True, repr=False)
class TaxRateList(Model):
    """The rates a tax code applies to sales, purchases or adjustments."""

    tax_rate_detail: list[TaxRateDetail] | None = None
    originating_group_id: str | None = attrs.field(
        default=None, metadata=wire("originatingGroupId")
    )


@attrs.define(kw_only=True, repr=False)
class TaxCode(Entity):
    """A sales tax code (read-only through the API; created through the tax service).

    ``sales_tax_rate_list`` names the :class:`TaxRate` objects applied to
    sales, ``purchase_tax_rate_list`` those applied to purchases (VAT/GST
    companies). US companies also have the pseudo codes ``TAX`` and ``NON``.
    """

    QBO_NAME: ClassVar[str] = "TaxCode"

    name: str | None = None
    description: str | None = None
    active: bool | None = None
    hidden: bool | None = None
    taxable: bool | None = None
    tax_group: bool | None = None
    sales_tax_rate_list: TaxRateList | None = None
    purchase_tax_rate_list: TaxRateList | None = None
    adjustment_tax_rate_list: TaxRateList | None = None
    tax_code_config_type: str | None = None


@attrs.define(kw_only=True, repr=False)
class TaxRate(Entity):
    """A sales tax rate (read-only)."""

    QBO_NAME: ClassVar[str] = "TaxRate"

    name: str | None = None
    description: str | None = None
    active: bool | None = None
    rate_value: Decimal | None = attrs.field(default=None, converter=to_decimal)
    agency_ref: Ref | None = None
    tax_return_line_ref: Ref | None = None
    special_tax_type: str | None = None
    display_type: str | None = None
    original_tax_rate: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class Class(Entity):
    """A class: a user-defined tag on transactions or lines (class tracking).

    Sub-classes name their parent in ``parent_ref``; ``fully_qualified_name``
    is ``Parent:Child``. Classes cannot be deleted; make them inactive.
    """

    QBO_NAME: ClassVar[str] = "Class"

    name: str | None = None
    sub_class: bool | None = None
    parent_ref: Ref | None = None
    fully_qualified_name: str | None = None
    active: bool | None = None


@attrs.define(kw_only=True, repr=False)
class Department(Entity):
    """A department, shown as "Location" in most companies (location tracking).

    Sub-departments name their parent in ``parent_ref``; ``fully_qualified_name``
    is ``Parent:Child``. Departments cannot be deleted; make them inactive.
    """

    QBO_NAME: ClassVar[str] = "Department"

    name: str | None = None
    sub_department: bool | None = None
    parent_ref: Ref | None = None
    fully_qualified_name: str | None = None
    active: bool | None = None
    address: Address | None = None


@attrs.define(kw_only=True, repr=False)
class PaymentMethod(Entity):
    """A payment method (``type`` ``CREDIT_CARD`` or ``NON_CREDIT_CARD``)."""

    QBO_NAME: ClassVar[str] = "PaymentMethod"

    name: str | None = None
    active: bool | None = None
    type: str | None = None


@attrs.define(kw_only=True, repr=False)
class Term(Entity):
    """Payment terms."""

    QBO_NAME: ClassVar[str] = "Term"

    name: str | None = None
    active: bool | None = None
    type: str | None = None
    discount_percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    due_days: int | None = None
    discount_days: int | None = None
    day_of_month_due: int | None = None
    due_next_month_days: int | None = None
    discount_day_of_month: int | None = None


@attrs.define(kw_only=True, repr=False)
class Attachable(Entity):
    """A file or note attached to an entity."""

    QBO_NAME: ClassVar[str] = "Attachable"

    file_name: str | None = None
    file_access_uri: str | None = None
    temp_download_uri: str | None = None
    size: int | None = None
    content_type: str | None = None
    category: str | None = None
    lat: str | None = None
    long: str | None = None
    place_name: str | None = None
    note: str | None = None
    tag: str | None = None
    thumbnail_file_access_uri: str | None = None
    thumbnail_temp_download_uri: str | None = None
    document_id: str | None = attrs.field(default=None, metadata=wire("documentId"))
