"""Derived balances: invoices, credit memos, payments and customers after payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def _pay(api: Any, customer_id: str, total: str, *links: tuple[str, str, str]) -> dict[str, Any]:
    lines = [
        {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}
        for txn_type, txn_id, amount in links
    ]
    return api.create(
        "Payment",
        {"CustomerRef": {"value": customer_id}, "TotalAmt": Decimal(total), "Line": lines},
    )


def _credit_memo(api: Any, customer_id: str, amount: str) -> dict[str, Any]:
    return api.create(
        "CreditMemo",
        {
            "CustomerRef": {"value": customer_id},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": Decimal(amount),
                    "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}},
                }
            ],
        },
    )


def test_partial_payment_updates_invoice_and_customer(api: Any) -> None:
    """A payment lowers the invoice Balance, links it, bumps its SyncToken and the customer."""
    customer = api.customer("Payer")
    invoice = api.invoice(customer["Id"], "100.00", "50.00")
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("150.00")
    payment = _pay(api, customer["Id"], "60.00", ("Invoice", invoice["Id"], "60.00"))
    assert payment["UnappliedAmt"] == 0
    assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    after = api.get("Invoice", invoice["Id"])
    assert after["Balance"] == Decimal("90.00")
    assert after["TotalAmt"] == Decimal("150.00")
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert after["SyncToken"] == "1"
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("90.00")
    assert [(e.entity, e.operation) for e in api.events[-2:]] == [
        ("Payment", "Create"),
        ("Invoice", "Update"),
    ]


def test_stale_invoice_token_after_payment(api: Any) -> None:
    """A client holding the pre-payment SyncToken gets 5010 when it updates the invoice."""
    customer = api.customer("Stale")
    invoice = api.invoice(customer["Id"], "10.00")
    _pay(api, customer["Id"], "10.00", ("Invoice", invoice["Id"], "10.00"))
    error = api.fault(
        "POST",
        "invoice",
        body={"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"},
    )
    assert error["code"] == "5010"


def test_full_payment_and_unapplied_credit(api: Any) -> None:
    """Overpaying leaves UnappliedAmt, which counts against the customer's balance."""
    customer = api.customer("Over")
    invoice = api.invoice(customer["Id"], "40.00")
    payment = _pay(api, customer["Id"], "55.00", ("Invoice", invoice["Id"], "40.00"))
    assert payment["UnappliedAmt"] == Decimal("15.00")
    assert api.get("Invoice", invoice["Id"])["Balance"] == 0
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("-15.00")


def test_credit_memo_applied_through_payment(api: Any) -> None:
    """A zero payment linking an invoice and a credit memo applies the credit."""
    customer = api.customer("Credit")
    invoice = api.invoice(customer["Id"], "100.00")
    memo = _credit_memo(api, customer["Id"], "30.00")
    assert memo["RemainingCredit"] == Decimal("30.00")
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("70.00")
    payment = _pay(
        api,
        customer["Id"],
        "0",
        ("Invoice", invoice["Id"], "30.00"),
        ("CreditMemo", memo["Id"], "30.00"),
    )
    assert payment["UnappliedAmt"] == 0
    assert api.get("CreditMemo", memo["Id"])["RemainingCredit"] == 0
    assert api.get("Invoice", invoice["Id"])["Balance"] == Decimal("70.00")
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("70.00")


def test_overapplying_an_invoice_is_refused(api: Any) -> None:
    """Applying more than the open balance, or more than the payment total, is a 6000."""
    customer = api.customer("Greedy")
    invoice = api.invoice(customer["Id"], "10.00")
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "TotalAmt": 20,
        "Line": [{"Amount": 15, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    assert api.fault("POST", "payment", body=body)["code"] == "6000"
    body["TotalAmt"] = 5
    body["Line"][0]["Amount"] = 8
    assert api.fault("POST", "payment", body=body)["code"] == "6000"


def test_payment_for_another_customers_invoice_is_refused(api: Any) -> None:
    """A payment can only link its own customer's invoices."""
    alice, bob = api.customer("Alice"), api.customer("Bob")
    invoice = api.invoice(alice["Id"], "10.00")
    body = {
        "CustomerRef": {"value": bob["Id"]},
        "TotalAmt": 10,
        "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    assert api.fault("POST", "payment", body=body)["code"] == "6000"


def test_void_payment_restores_invoice_balance(api: Any) -> None:
    """Voiding a payment (update + include=void) zeroes it and reopens the invoice."""
    customer = api.customer("Voider")
    invoice = api.invoice(customer["Id"], "25.00")
    payment = _pay(api, customer["Id"], "25.00", ("Invoice", invoice["Id"], "25.00"))
    voided = api.ok(
        "POST",
        "payment",
        {"operation": "update", "include": "void"},
        {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
    )["Payment"]
    assert voided["TotalAmt"] == 0
    assert voided["PrivateNote"] == "Voided"
    assert api.get("Invoice", invoice["Id"])["Balance"] == Decimal("25.00")
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("25.00")


def test_delete_payment_reopens_invoice_and_linked_invoice_cannot_be_deleted(api: Any) -> None:
    """An invoice with a payment cannot be deleted; deleting the payment reopens it."""
    customer = api.customer("Deleter")
    invoice = api.invoice(customer["Id"], "25.00")
    payment = _pay(api, customer["Id"], "25.00", ("Invoice", invoice["Id"], "25.00"))
    current = api.get("Invoice", invoice["Id"])
    error = api.fault(
        "POST",
        "invoice",
        {"operation": "delete"},
        {"Id": invoice["Id"], "SyncToken": current["SyncToken"]},
    )
    assert error["code"] == "6000"
    api.ok("POST", "payment", {"operation": "delete"}, {"Id": payment["Id"], "SyncToken": "0"})
    reopened = api.get("Invoice", invoice["Id"])
    assert reopened["Balance"] == Decimal("25.00")
    assert reopened["LinkedTxn"] == []


def test_voiding_paid_invoice_turns_payment_into_credit(api: Any) -> None:
    """Voiding a paid invoice unlinks the payment, whose amount becomes unapplied."""
    customer = api.customer("Unlink")
    invoice = api.invoice(customer["Id"], "30.00")
    payment = _pay(api, customer["Id"], "30.00", ("Invoice", invoice["Id"], "30.00"))
    current = api.get("Invoice", invoice["Id"])
    api.ok(
        "POST",
        "invoice",
        {"operation": "void"},
        {"Id": invoice["Id"], "SyncToken": current["SyncToken"]},
    )
    after = api.get("Payment", payment["Id"])
    assert after["Line"] == []
    assert after["UnappliedAmt"] == Decimal("30.00")
    assert api.get("Customer", customer["Id"])["Balance"] == Decimal("-30.00")


def test_invoice_total_cannot_drop_below_applied(api: Any) -> None:
    """Shrinking a paid invoice below what is applied is refused."""
    customer = api.customer("Shrink")
    invoice = api.invoice(customer["Id"], "30.00")
    _pay(api, customer["Id"], "30.00", ("Invoice", invoice["Id"], "30.00"))
    current = api.get("Invoice", invoice["Id"])
    line = dict(current["Line"][0], Amount=10)
    error = api.fault(
        "POST",
        "invoice",
        body={
            "Id": invoice["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "Line": [line],
        },
    )
    assert error["code"] == "6000"


def test_seed_records_payment_like_an_accountant(api: Any) -> None:
    """Ledger.seed applies the same rules: a seeded payment pays the invoice."""
    customer = api.customer("Seeded Payer")
    invoice = api.invoice(customer["Id"], "12.00")
    api.ledger.seed(
        api.realm,
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 12,
            "Line": [{"Amount": 12, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    assert api.ledger.read(api.realm, "Invoice", invoice["Id"])["Balance"] == 0
    seeded = api.ledger.seed(api.realm, "Customer", {"Id": customer["Id"], "Notes": "vip"})
    assert seeded["Notes"] == "vip"
    assert seeded["DisplayName"] == "Seeded Payer"
