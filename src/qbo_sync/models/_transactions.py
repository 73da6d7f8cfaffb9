"""Transaction entities: sales forms, payments, deposits, purchases, bills."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

import attrs

from qbo_sync.models._base import Model, to_decimal, wire
from qbo_sync.models._entity import Entity
from qbo_sync.models._lines import Line, PaymentLine, TxnTaxDetail
from qbo_sync.models._types import (
    Address,
    EmailAddress,
    LinkedTxn,
    MemoRef,
    Ref,
)

__all__ = [
    "Bill",
    "BillPayment",
    "BillPaymentCheck",
    "BillPaymentCreditCard",
    "CreditMemo",
    "Deposit",
    "Estimate",
    "Invoice",
    "Payment",
    "Purchase",
    "SalesReceipt",
    "SalesTransaction",
    "Transaction",
]


@attrs.define(kw_only=True, repr=False)
class Transaction(Entity):
    """Fields every transaction shares (XSD ``Transaction``)."""

    doc_number: str | None = None
    txn_date: date | None = None
    txn_sub_type: str | None = None
    department_ref: Ref | None = None
    currency_ref: Ref | None = None
    exchange_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    private_note: str | None = None
    txn_status: str | None = None
    linked_txn: list[LinkedTxn] | None = None
    txn_tax_detail: TxnTaxDetail | None = None
    txn_source: str | None = None
    tax_form_type: str | None = None
    tax_form_num: str | None = None
    transaction_location_type: str | None = None
    recur_data_ref: Ref | None = None
    project_ref: Ref | None = None
    total_cost_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_total_cost_amount: Decimal | None = attrs.field(default=None, converter=to_decimal)


@attrs.define(kw_only=True, repr=False)
class SalesTransaction(Transaction):
    """Fields sales forms share (XSD ``SalesTransaction``)."""

    auto_doc_number: bool | None = None
    customer_ref: Ref | None = None
    customer_memo: MemoRef | None = None
    bill_addr: Address | None = None
    ship_addr: Address | None = None
    free_form_address: bool | None = None
    ship_from_addr: Address | None = None
    remit_to_ref: Ref | None = None
    class_ref: Ref | None = None
    sales_term_ref: Ref | None = None
    due_date: date | None = None
    sales_rep_ref: Ref | None = None
    po_number: str | None = attrs.field(default=None, metadata=wire("PONumber"))
    fob: str | None = attrs.field(default=None, metadata=wire("FOB"))
    ship_method_ref: Ref | None = None
    ship_date: date | None = None
    tracking_num: str | None = None
    global_tax_calculation: str | None = None
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    apply_tax_after_discount: bool | None = None
    shipping_tax_included_in_total_tax: bool | None = None
    template_ref: Ref | None = None
    print_status: str | None = None
    email_status: str | None = None
    bill_email: EmailAddress | None = None
    bill_email_cc: EmailAddress | None = None
    bill_email_bcc: EmailAddress | None = None
    ar_account_ref: Ref | None = attrs.field(default=None, metadata=wire("ARAccountRef"))
    balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    finance_charge: bool | None = None
    payment_method_ref: Ref | None = None
    payment_ref_num: str | None = None
    payment_type: str | None = None
    deposit_to_account_ref: Ref | None = None
    discount_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    discount_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    govt_txn_ref_identifier: str | None = None
    tax_exemption_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class Invoice(SalesTransaction):
    """An invoice."""

    QBO_NAME: ClassVar[str] = "Invoice"

    deposit: Decimal | None = attrs.field(default=None, converter=to_decimal)
    allow_ipn_payment: bool | None = attrs.field(default=None, metadata=wire("AllowIPNPayment"))
    allow_online_payment: bool | None = None
    allow_online_credit_card_payment: bool | None = None
    allow_online_ach_payment: bool | None = attrs.field(
        default=None, metadata=wire("AllowOnlineACHPayment")
    )
    allow_online_pay_pal_payment: bool | None = None
    allow_online_affirm_payment: bool | None = None
    e_invoice_status: str | None = None
    e_cloud_status_time_stamp: datetime | None = None
    cfdi_use: int | None = None
    exportation: str | None = None
    invoice_status: str | None = attrs.field(default=None, metadata=wire("invoiceStatus"))
    call_to_action: str | None = attrs.field(default=None, metadata=wire("callToAction"))
    less_cis: Decimal | None = attrs.field(
        default=None, converter=to_decimal, metadata=wire("LessCIS")
    )
    invoice_link: str | None = None
    payment_details_message: str | None = None
    invoice_link_security_code: str | None = None
    invoice_link_expiry_date: date | None = None
    auto_pay_eligible: bool | None = None
    schedule_pay_eligible: bool | None = None
    scheduled_payment_id: str | None = None
    gratuity_enabled: bool | None = None
    financing_product_type: str | None = None
    subscription_payments_setting: str | None = None
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class CreditMemo(SalesTransaction):
    """A credit memo; apply it to invoices through a :class:`Payment` line."""

    QBO_NAME: ClassVar[str] = "CreditMemo"

    remaining_credit: Decimal | None = attrs.field(default=None, converter=to_decimal)
    invoice_ref: Ref | None = None
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class SalesReceipt(SalesTransaction):
    """A sales receipt."""

    QBO_NAME: ClassVar[str] = "SalesReceipt"

    less_cis: Decimal | None = attrs.field(
        default=None, converter=to_decimal, metadata=wire("LessCIS")
    )
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class Estimate(SalesTransaction):
    """An estimate (quote)."""

    QBO_NAME: ClassVar[str] = "Estimate"

    expiration_date: date | None = None
    accepted_by: str | None = None
    accepted_date: date | None = None
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class Deposit(Transaction):
    """A bank deposit."""

    QBO_NAME: ClassVar[str] = "Deposit"

    deposit_to_account_ref: Ref | None = None
    global_tax_calculation: str | None = None
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class Purchase(Transaction):
    """An expense: cash, check or credit card purchase (``payment_type``)."""

    QBO_NAME: ClassVar[str] = "Purchase"

    account_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    payment_ref_num: str | None = None
    payment_type: str | None = None
    entity_ref: Ref | None = None
    credit: bool | None = None
    remit_to_addr: Address | None = None
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    memo: str | None = None
    print_status: str | None = None
    global_tax_calculation: str | None = None
    less_cis: Decimal | None = attrs.field(
        default=None, converter=to_decimal, metadata=wire("LessCIS")
    )
    include_in_annual_tpar: bool | None = attrs.field(
        default=None, metadata=wire("IncludeInAnnualTPAR")
    )
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class Payment(Transaction):
    """A customer payment; each line links the invoices or credit memos it applies to."""

    QBO_NAME: ClassVar[str] = "Payment"

    customer_ref: Ref | None = None
    remit_to_ref: Ref | None = None
    ar_account_ref: Ref | None = attrs.field(default=None, metadata=wire("ARAccountRef"))
    deposit_to_account_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    payment_ref_num: str | None = None
    payment_type: str | None = None
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    unapplied_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    process_payment: bool | None = None
    payment_extended_type: str | None = None
    line: list[PaymentLine] | None = None


@attrs.define(kw_only=True, repr=False)
class _PurchaseByVendor(Transaction):
    """Fields vendor purchases share."""

    vendor_ref: Ref | None = None
    ap_account_ref: Ref | None = attrs.field(default=None, metadata=wire("APAccountRef"))
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    bill_email: EmailAddress | None = None
    reply_email: EmailAddress | None = None
    memo: str | None = None
    global_tax_calculation: str | None = None


@attrs.define(kw_only=True, repr=False)
class Bill(_PurchaseByVendor):
    """A vendor bill."""

    QBO_NAME: ClassVar[str] = "Bill"

    payer_ref: Ref | None = None
    sales_term_ref: Ref | None = None
    due_date: date | None = None
    remit_to_addr: Address | None = None
    ship_addr: Address | None = None
    vendor_addr: Address | None = None
    balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    home_balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    less_cis: Decimal | None = attrs.field(
        default=None, converter=to_decimal, metadata=wire("LessCIS")
    )
    include_in_annual_tpar: bool | None = attrs.field(
        default=None, metadata=wire("IncludeInAnnualTPAR")
    )
    line: list[Line] | None = None


@attrs.define(kw_only=True, repr=False)
class BillPaymentCheck(Model):
    """How a bill payment by check is paid (XSD ``BillPaymentCheck``)."""

    bank_account_ref: Ref | None = None
    print_status: str | None = None
    payee_addr: Address | None = None


@attrs.define(kw_only=True, repr=False)
class BillPaymentCreditCard(Model):
    """How a bill payment by credit card is paid (XSD ``BillPaymentCreditCard``)."""

    cc_account_ref: Ref | None = attrs.field(default=None, metadata=wire("CCAccountRef"))


@attrs.define(kw_only=True, repr=False)
class BillPayment(Transaction):
    """A payment to a vendor; each line links the bills (or vendor credits) it pays.

    ``pay_type`` is ``"Check"`` (then ``check_payment.bank_account_ref``) or
    ``"CreditCard"`` (then ``credit_card_payment.cc_account_ref``).
    """

    QBO_NAME: ClassVar[str] = "BillPayment"

    vendor_ref: Ref | None = None
    vendor_addr: Address | None = None
    ap_account_ref: Ref | None = attrs.field(default=None, metadata=wire("APAccountRef"))
    pay_type: str | None = None
    check_payment: BillPaymentCheck | None = None
    credit_card_payment: BillPaymentCreditCard | None = None
    total_amt: Decimal | None = attrs.field(default=None, converter=to_decimal)
    line: list[PaymentLine] | None = None
