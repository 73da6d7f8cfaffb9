"""Expense-side entities (issue 12): bill payments, bills, classes, departments, payment methods.

The only recorded BillPayment bodies in the real samples are XML (a
quickbooks-ruby CDC fixture); they are read here into the JSON shape QBO
sends for the same objects and round-tripped. No real Class, Department,
PaymentMethod, Purchase, TaxCode or TaxRate body exists in the samples, so
those tests build bodies from Intuit's XSD (Finance.xsd) and say so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

from tests.conftest import REAL_SAMPLES

from qbo_sync import _json
from qbo_sync.models import (
    AccountBasedExpenseLine,
    Bill,
    BillPayment,
    Class,
    Department,
    ItemBasedExpenseLine,
    PaymentMethod,
    Preferences,
    Purchase,
    SalesItemLine,
    TaxCode,
    TaxRate,
    from_qbo,
    to_qbo,
)

_NS = "{http://schema.intuit.com/finance/v3}"
_NUMBERS = {"Amount", "TotalAmt", "Balance", "UnitPrice", "Qty"}
_LISTS = {"Line", "LinkedTxn"}


def _wire(element: ET.Element) -> Any:
    """One XML element as the JSON value QBO sends for it (refs as value/name objects)."""
    tag = element.tag.removeprefix(_NS)
    children = list(element)
    if not children:
        text = element.text or ""
        if tag.endswith("Ref"):
            ref = {"value": text}
            if "name" in element.attrib:
                ref["name"] = element.attrib["name"]
            return ref
        return Decimal(text) if tag in _NUMBERS else text
    out: dict[str, Any] = {}
    for key in ("domain", "sparse"):
        if key in element.attrib:
            out[key] = element.attrib[key] == "true" if key == "sparse" else element.attrib[key]
    for child in children:
        key = child.tag.removeprefix(_NS)
        value = _wire(child)
        if key in _LISTS:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def _cdc_entities(name: str) -> list[dict[str, Any]]:
    root = ET.parse(REAL_SAMPLES / "quickbooks-ruby/change_data_capture_response.xml").getroot()
    return [_wire(e) for e in root.iter(f"{_NS}{name}")]


def test_recorded_bill_payments_round_trip() -> None:
    """The recorded BillPayments parse into typed fields and write back unchanged."""
    bodies = _cdc_entities("BillPayment")
    assert len(bodies) == 2
    for body in bodies:
        payment = from_qbo(BillPayment, body)
        assert to_qbo(payment) == body
        assert payment.extra == {}
    first = from_qbo(BillPayment, bodies[0])
    assert first.vendor_ref is not None
    assert first.vendor_ref.value == "46"
    assert first.pay_type == "CreditCard"
    assert first.credit_card_payment is not None
    assert first.credit_card_payment.cc_account_ref is not None
    assert first.credit_card_payment.cc_account_ref.name == "Mastercard"
    assert first.total_amt == Decimal("205.00")
    assert first.private_note == "32980256"
    assert first.line is not None
    assert first.line[0].amount == Decimal("205.00")
    assert first.line[0].linked_txn is not None
    link = first.line[0].linked_txn[0]
    assert (link.txn_id, link.txn_type) == ("126", "Bill")


def test_recorded_bills_round_trip_with_balance_and_expense_lines() -> None:
    """The recorded Bills (one part-paid) keep Balance, APAccountRef and typed expense lines."""
    bodies = _cdc_entities("Bill")
    assert len(bodies) == 2
    bills = [from_qbo(Bill, body) for body in bodies]
    for bill, body in zip(bills, bodies, strict=True):
        assert to_qbo(bill) == body
        assert bill.extra == {}
    part_paid = bills[1]
    assert part_paid.balance == Decimal("100.00")
    assert part_paid.total_amt == Decimal("241.23")
    assert part_paid.sales_term_ref is not None
    assert part_paid.sales_term_ref.value == "5"
    assert part_paid.ap_account_ref is not None
    assert part_paid.ap_account_ref.value == "33"
    assert str(part_paid.due_date) == "2016-02-27"
    line = part_paid.line[0] if part_paid.line else None
    assert isinstance(line, AccountBasedExpenseLine)
    detail = line.account_based_expense_line_detail
    assert detail is not None
    assert detail.billable_status == "NotBillable"
    assert detail.tax_code_ref is not None
    assert detail.tax_code_ref.value == "NON"
    item_line = bills[0].line[0] if bills[0].line else None
    assert isinstance(item_line, ItemBasedExpenseLine)
    assert item_line.item_based_expense_line_detail is not None
    assert item_line.item_based_expense_line_detail.qty == Decimal("8")
    # A bill paid by a bill payment links it with TxnType BillPaymentCheck (as recorded,
    # even though that payment's PayType is CreditCard).
    assert bills[0].linked_txn is not None
    assert bills[0].linked_txn[0].txn_type == "BillPaymentCheck"


def test_check_bill_payment_from_xsd() -> None:
    """A check bill payment (built from the XSD: no recorded one) round-trips its check details."""
    body = _json.loads(
        b'{"VendorRef":{"value":"56","name":"Bob\'s Burger Joint"},"PayType":"Check",'
        b'"CheckPayment":{"BankAccountRef":{"value":"35","name":"Checking"},'
        b'"PrintStatus":"NeedToPrint"},"TotalAmt":200.00,"DocNumber":"1004",'
        b'"DepartmentRef":{"value":"1"},"APAccountRef":{"value":"33"},'
        b'"Line":[{"Amount":200.00,"LinkedTxn":[{"TxnId":"234","TxnType":"Bill"}]}]}'
    )
    payment = from_qbo(BillPayment, body)
    assert payment.check_payment is not None
    assert payment.check_payment.bank_account_ref is not None
    assert payment.check_payment.bank_account_ref.value == "35"
    assert payment.check_payment.print_status == "NeedToPrint"
    assert payment.department_ref is not None
    assert payment.department_ref.value == "1"
    assert payment.ap_account_ref is not None
    assert to_qbo(payment) == body


def test_class_department_payment_method_from_xsd() -> None:
    """Class, Department and PaymentMethod (no recorded bodies; XSD fields) round-trip."""
    cls_body = _json.loads(
        b'{"Name":"East","SubClass":true,"ParentRef":{"value":"5000000000000001"},'
        b'"FullyQualifiedName":"Region:East","Active":true,"domain":"QBO","sparse":false,'
        b'"Id":"5000000000000002","SyncToken":"0"}'
    )
    klass = from_qbo(Class, cls_body)
    assert (klass.name, klass.sub_class) == ("East", True)
    assert klass.fully_qualified_name == "Region:East"
    assert klass.parent_ref is not None
    assert klass.parent_ref.value == "5000000000000001"
    assert to_qbo(klass) == cls_body

    dept_body = _json.loads(
        b'{"Name":"Downtown","SubDepartment":false,"FullyQualifiedName":"Downtown",'
        b'"Active":true,"Address":{"City":"Oakland"},"Id":"1","SyncToken":"0"}'
    )
    dept = from_qbo(Department, dept_body)
    assert dept.sub_department is False
    assert dept.address is not None
    assert dept.address.city == "Oakland"
    assert to_qbo(dept) == dept_body

    pm_body = _json.loads(
        b'{"Name":"Visa","Active":true,"Type":"CREDIT_CARD","Id":"4","SyncToken":"0"}'
    )
    method = from_qbo(PaymentMethod, pm_body)
    assert (method.name, method.type, method.active) == ("Visa", "CREDIT_CARD", True)
    assert to_qbo(method) == pm_body


def test_purchase_with_tax_classes_and_departments_from_xsd() -> None:
    """A VAT purchase (XSD-built) keeps payment, tax, class and department fields typed."""
    body = _json.loads(
        b'{"PaymentType":"CreditCard","AccountRef":{"value":"41"},'
        b'"EntityRef":{"value":"46","type":"Vendor"},"Credit":false,'
        b'"DepartmentRef":{"value":"2"},"GlobalTaxCalculation":"TaxExcluded",'
        b'"PaymentMethodRef":{"value":"4"},"TotalAmt":120.00,'
        b'"TxnTaxDetail":{"TotalTax":20.00,"TaxLine":[{"Amount":20.00,'
        b'"DetailType":"TaxLineDetail","TaxLineDetail":{"TaxRateRef":{"value":"3"},'
        b'"PercentBased":true,"TaxPercent":20,"NetAmountTaxable":100.00}}]},'
        b'"Line":[{"Amount":100.00,"DetailType":"AccountBasedExpenseLineDetail",'
        b'"AccountBasedExpenseLineDetail":{"AccountRef":{"value":"7"},'
        b'"ClassRef":{"value":"5000000000000002"},"TaxCodeRef":{"value":"2"},'
        b'"BillableStatus":"Billable","CustomerRef":{"value":"58"}}}]}'
    )
    purchase = from_qbo(Purchase, body)
    assert purchase.payment_type == "CreditCard"
    assert purchase.entity_ref is not None
    assert purchase.entity_ref.type == "Vendor"
    assert purchase.global_tax_calculation == "TaxExcluded"
    assert purchase.department_ref is not None
    assert purchase.department_ref.value == "2"
    assert purchase.payment_method_ref is not None
    tax = purchase.txn_tax_detail
    assert tax is not None
    assert tax.total_tax == Decimal("20.00")
    assert tax.tax_line is not None
    tax_line = tax.tax_line[0]
    assert tax_line.tax_line_detail is not None  # type: ignore[union-attr]
    assert tax_line.tax_line_detail.net_amount_taxable == Decimal("100.00")  # type: ignore[union-attr]
    line = purchase.line[0] if purchase.line else None
    assert isinstance(line, AccountBasedExpenseLine)
    detail = line.account_based_expense_line_detail
    assert detail is not None
    assert detail.class_ref is not None
    assert detail.customer_ref is not None
    assert detail.billable_status == "Billable"
    assert to_qbo(purchase) == body


def test_sales_line_class_and_tax_code_with_rate_lists() -> None:
    """A sales line's ClassRef is typed; a TaxCode's rate lists and a TaxRate (XSD-built) too."""
    line_body = _json.loads(
        b'{"Line":[{"Amount":10,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":'
        b'{"ItemRef":{"value":"1"},"ClassRef":{"value":"7"},"TaxCodeRef":{"value":"TAX"}}}],'
        b'"CustomerRef":{"value":"1"}}'
    )
    invoice = from_qbo("Invoice", line_body)
    line = invoice.line[0]  # type: ignore[attr-defined]
    assert isinstance(line, SalesItemLine)
    assert line.sales_item_line_detail is not None
    assert line.sales_item_line_detail.class_ref is not None
    assert line.sales_item_line_detail.class_ref.value == "7"

    code_body = _json.loads(
        b'{"Name":"20.0% S","Description":"Standard rate","Active":true,"Taxable":true,'
        b'"TaxGroup":true,"SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":'
        b'{"value":"3","name":"20.0% S"},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}]},'
        b'"PurchaseTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"4"},'
        b'"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}]},"Id":"2","SyncToken":"0"}'
    )
    code = from_qbo(TaxCode, code_body)
    assert code.sales_tax_rate_list is not None
    assert code.sales_tax_rate_list.tax_rate_detail is not None
    detail = code.sales_tax_rate_list.tax_rate_detail[0]
    assert detail.tax_rate_ref is not None
    assert detail.tax_rate_ref.value == "3"
    assert (detail.tax_type_applicable, detail.tax_order) == ("TaxOnAmount", 0)
    assert code.extra == {}
    assert to_qbo(code) == code_body

    rate_body = _json.loads(b'{"Name":"20.0% S","RateValue":20,"Active":true,"Id":"3"}')
    rate = from_qbo(TaxRate, rate_body)
    assert rate.rate_value == Decimal("20")
    assert to_qbo(rate) == rate_body


def test_accounting_prefs_are_typed() -> None:
    """Preferences.AccountingInfoPrefs carries class and department tracking switches."""
    body = _json.loads(
        b'{"AccountingInfoPrefs":{"TrackDepartments":true,"DepartmentTerminology":"Location",'
        b'"ClassTrackingPerTxn":false,"ClassTrackingPerTxnLine":true,'
        b'"CustomerTerminology":"Customers","DefaultARAccount":{"value":"84"}},'
        b'"TaxPrefs":{"UsingSalesTax":true,"PartnerTaxEnabled":true},"Id":"1"}'
    )
    prefs = from_qbo(Preferences, body)
    info = prefs.accounting_info_prefs
    assert info is not None
    assert info.track_departments is True
    assert info.department_terminology == "Location"
    assert info.class_tracking_per_txn_line is True
    assert info.default_ar_account is not None
    assert info.default_ar_account.value == "84"
    assert prefs.tax_prefs is not None
    assert prefs.tax_prefs.partner_tax_enabled is True
    assert to_qbo(prefs) == body
