"""Company-level entities: company info and preferences."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

import attrs

from qbo_sync.models._base import Model, to_decimal, wire
from qbo_sync.models._entity import Entity
from qbo_sync.models._types import (
    Address,
    EmailAddress,
    NameValue,
    PhoneNumber,
    Ref,
    WebSiteAddress,
)

__all__ = [
    "AccountingInfoPrefs",
    "CompanyInfo",
    "CurrencyPrefs",
    "Preferences",
    "SalesFormsPrefs",
    "TaxPrefs",
]


@attrs.define(kw_only=True, repr=False)
class CompanyInfo(Entity):
    """The company's own details; ``name_value`` carries feature flags."""

    QBO_NAME: ClassVar[str] = "CompanyInfo"

    company_name: str | None = None
    legal_name: str | None = None
    company_addr: Address | None = None
    customer_communication_addr: Address | None = None
    legal_addr: Address | None = None
    company_email_addr: EmailAddress | None = None
    customer_communication_email_addr: EmailAddress | None = None
    company_url: WebSiteAddress | None = attrs.field(default=None, metadata=wire("CompanyURL"))
    primary_phone: PhoneNumber | None = None
    company_file_name: str | None = None
    flavor_stratum: str | None = None
    sample_file: bool | None = None
    company_user_id: str | None = None
    company_user_admin_email: str | None = None
    company_start_date: date | None = None
    employer_id: str | None = None
    fiscal_year_start_month: str | None = None
    tax_year_start_month: str | None = None
    qb_version: str | None = attrs.field(default=None, metadata=wire("QBVersion"))
    country: str | None = None
    ship_addr: Address | None = None
    other_addr: list[Address] | None = None
    mobile: PhoneNumber | None = None
    fax: PhoneNumber | None = None
    email: EmailAddress | None = None
    web_addr: WebSiteAddress | None = None
    last_imported_time: datetime | None = None
    last_sync_time: datetime | None = None
    supported_languages: str | None = None
    default_time_zone: str | None = None
    multi_byte_chars_supported: bool | None = None
    name_value: list[NameValue] | None = None
    fifo_calculation_status: str | None = None


@attrs.define(kw_only=True, repr=False)
class CurrencyPrefs(Model):
    """Currency preferences: multicurrency and the home currency."""

    multi_currency_enabled: bool | None = None
    home_currency: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class SalesFormsPrefs(Model):
    """Sales form preferences, including ``custom_txn_numbers``."""

    using_progress_invoicing: bool | None = None
    custom_txn_numbers: bool | None = None
    delayed_charges: bool | None = None
    sales_email_cc: EmailAddress | None = None
    sales_email_bcc: EmailAddress | None = None
    email_copy_to_company: bool | None = None
    allow_deposit: bool | None = None
    allow_discount: bool | None = None
    default_discount_account: str | None = None
    allow_estimates: bool | None = None
    estimate_message: str | None = None
    e_transaction_enabled_status: str | None = None
    e_transaction_attach_pdf: bool | None = attrs.field(
        default=None, metadata=wire("ETransactionAttachPDF")
    )
    e_transaction_payment_enabled: bool | None = None
    ipn_support_enabled: bool | None = attrs.field(default=None, metadata=wire("IPNSupportEnabled"))
    invoice_message: str | None = None
    allow_service_date: bool | None = None
    allow_shipping: bool | None = None
    default_shipping_account: str | None = None
    default_item: Ref | None = None
    default_terms: Ref | None = None
    default_delivery_method: str | None = None
    auto_apply_credit: bool | None = None
    auto_apply_payments: bool | None = None
    print_item_with_zero_amount: bool | None = None
    default_ship_method_ref: Ref | None = None
    default_markup: Decimal | None = attrs.field(default=None, converter=to_decimal)
    track_reimbursable_expenses_as_income: bool | None = None
    using_sales_orders: bool | None = None
    using_price_levels: bool | None = None
    default_fob: str | None = attrs.field(default=None, metadata=wire("DefaultFOB"))
    default_customer_message: str | None = None


@attrs.define(kw_only=True, repr=False)
class TaxPrefs(Model):
    """Sales tax preferences."""

    using_sales_tax: bool | None = None
    partner_tax_enabled: bool | None = None
    hide_tax_management: bool | None = None
    tax_group_code_ref: Ref | None = None
    tax_rate_ref: Ref | None = None
    pay_sales_tax: str | None = None
    non_taxable_sales_tax_code_ref: Ref | None = None
    taxable_sales_tax_code_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class AccountingInfoPrefs(Model):
    """Accounting preferences (XSD ``CompanyAccountingPrefs``): class and location tracking.

    ``track_departments`` turns on departments (``department_terminology``
    says what the company calls them, usually ``"Location"``);
    ``class_tracking_per_txn`` / ``class_tracking_per_txn_line`` say whether a
    class goes on the whole transaction or on each line.
    """

    use_account_numbers: bool | None = None
    default_ar_account: Ref | None = attrs.field(default=None, metadata=wire("DefaultARAccount"))
    default_ap_account: Ref | None = attrs.field(default=None, metadata=wire("DefaultAPAccount"))
    requires_accounts: bool | None = None
    track_departments: bool | None = None
    department_terminology: str | None = None
    class_tracking_per_txn: bool | None = None
    class_tracking_per_txn_line: bool | None = None
    auto_journal_entry_number: bool | None = None
    first_month_of_fiscal_year: str | None = None
    tax_year_month: str | None = None
    tax_form: str | None = None
    book_close_date: date | None = None
    customer_terminology: str | None = None


@attrs.define(kw_only=True, repr=False)
class Preferences(Entity):
    """Company preferences; sections not modelled here are kept in ``extra``."""

    QBO_NAME: ClassVar[str] = "Preferences"

    accounting_info_prefs: AccountingInfoPrefs | None = None
    sales_forms_prefs: SalesFormsPrefs | None = None
    tax_prefs: TaxPrefs | None = None
    currency_prefs: CurrencyPrefs | None = None
