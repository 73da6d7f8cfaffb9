"""Bill payments and bill balances; classes, departments and payment methods (issue 12)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest


def _account(api: Any, sub_type: str) -> dict[str, Any]:
    found = api.query(f"SELECT * FROM Account WHERE AccountSubType = '{sub_type}'")["Account"]
    return dict(found[0])


def _bill(api: Any, vendor_id: str, *amounts: str, **extra: Any) -> dict[str, Any]:
    expense = _account(api, "OfficeGeneralAdministrativeExpenses")
    lines = [
        {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": Decimal(amount),
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
        }
        for amount in amounts
    ]
    return api.create("Bill", {"VendorRef": {"value": vendor_id}, "Line": lines, **extra})


def _pay_bills(
    api: Any, vendor_id: str, total: str, *bills: tuple[str, str], pay_type: str = "Check"
) -> dict[str, Any]:
    bank = _account(api, "Checking")
    body: dict[str, Any] = {
        "VendorRef": {"value": vendor_id},
        "PayType": pay_type,
        "TotalAmt": Decimal(total),
        "Line": [
            {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}
            for bill_id, amount in bills
        ],
    }
    if pay_type == "Check":
        body["CheckPayment"] = {"BankAccountRef": {"value": bank["Id"]}}
    else:
        body["CreditCardPayment"] = {"CCAccountRef": {"value": bank["Id"]}}
    return api.create("BillPayment", body)


@pytest.fixture
def vendor(api: Any) -> dict[str, Any]:
    return dict(api.create("Vendor", {"DisplayName": "Norton Lumber"}))


def test_bill_payment_lowers_bill_balance_and_delete_restores_it(
    api: Any, vendor: dict[str, Any]
) -> None:
    """Paying part of a bill lowers its (and the vendor's) Balance; deleting restores it."""
    bill = _bill(api, vendor["Id"], "200.00", "41.23")
    assert bill["Balance"] == Decimal("241.23")
    payment = _pay_bills(api, vendor["Id"], "141.23", (bill["Id"], "141.23"))
    assert payment["TotalAmt"] == Decimal("141.23")
    assert payment["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    assert payment["CheckPayment"]["PrintStatus"] == "NotSet"
    paid = api.get("Bill", bill["Id"])
    assert paid["Balance"] == Decimal("100.00")
    # As recorded (quickbooks-ruby CDC fixture): a bill links its payment as BillPaymentCheck.
    assert paid["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"}]
    assert paid["SyncToken"] == "1"
    assert api.get("Vendor", vendor["Id"])["Balance"] == Decimal("100.00")
    api.ok("POST", "billpayment", {"operation": "delete"}, {"Id": payment["Id"], "SyncToken": "0"})
    restored = api.get("Bill", bill["Id"])
    assert restored["Balance"] == Decimal("241.23")
    assert restored["LinkedTxn"] == []
    assert api.get("Vendor", vendor["Id"])["Balance"] == Decimal("241.23")


def test_bill_payment_void_restores_balance(api: Any, vendor: dict[str, Any]) -> None:
    """Voiding a bill payment zeroes it and gives the bill its balance back."""
    bill = _bill(api, vendor["Id"], "80.00")
    payment = _pay_bills(api, vendor["Id"], "80.00", (bill["Id"], "80.00"), pay_type="CreditCard")
    assert api.get("Bill", bill["Id"])["Balance"] == 0
    voided = api.ok(
        "POST", "billpayment", {"operation": "void"}, {"Id": payment["Id"], "SyncToken": "0"}
    )["BillPayment"]
    assert voided["TotalAmt"] == 0
    assert voided["PrivateNote"] == "Voided"
    assert api.get("Bill", bill["Id"])["Balance"] == Decimal("80.00")


def test_bill_payment_rules(api: Any, vendor: dict[str, Any]) -> None:
    """Overpaying, another vendor's bill, a wrong TotalAmt or a missing bank account are refused."""
    bill = _bill(api, vendor["Id"], "50.00")
    other = api.create("Vendor", {"DisplayName": "Brosnahan Insurance"})
    body_ok = _pay_bills(api, vendor["Id"], "20.00", (bill["Id"], "20.00"))
    assert api.get("Bill", bill["Id"])["Balance"] == Decimal("30.00")
    bank = _account(api, "Checking")
    base = {
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}},
        "Line": [{"Amount": 40, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }
    over = api.fault(
        "POST", "billpayment", body={**base, "VendorRef": {"value": vendor["Id"]}, "TotalAmt": 40}
    )
    assert "exceeds its open balance 30.00" in over["Detail"]
    wrong_vendor = api.fault(
        "POST", "billpayment", body={**base, "VendorRef": {"value": other["Id"]}, "TotalAmt": 40}
    )
    assert "belongs to another vendor" in wrong_vendor["Detail"]
    small = {**base, "Line": [{**base["Line"][0], "Amount": 10}]}  # type: ignore[dict-item]
    mismatch = api.fault(
        "POST", "billpayment", body={**small, "VendorRef": {"value": vendor["Id"]}, "TotalAmt": 12}
    )
    assert mismatch["element"] == "TotalAmt"
    no_bank = api.fault(
        "POST",
        "billpayment",
        body={**small, "CheckPayment": {}, "VendorRef": {"value": vendor["Id"]}, "TotalAmt": 10},
    )
    assert no_bank["element"] == "CheckPayment.BankAccountRef"
    assert (
        api.fault(
            "POST",
            "billpayment",
            body={**small, "PayType": "Cash", "VendorRef": {"value": vendor["Id"]}, "TotalAmt": 10},
        )["code"]
        == "2170"
    )
    # A paid bill cannot be deleted, nor lowered below what was paid on it.
    in_use = api.fault(
        "POST", "bill", {"operation": "delete"}, {"Id": bill["Id"], "SyncToken": "1"}
    )
    assert "payments linked" in in_use["Detail"]
    current = api.get("Bill", bill["Id"])
    current["Line"][0]["Amount"] = 10
    assert "already paid" in api.fault("POST", "bill", body=current)["Detail"]
    assert body_ok["Line"][0]["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]


def test_class_and_department_hierarchy(api: Any) -> None:
    """Sub-classes get Parent:Child names and SubClass; names are unique per parent only."""
    region = api.create("Class", {"Name": "Region"})
    assert region["FullyQualifiedName"] == "Region"
    assert region["SubClass"] is False
    assert region["Active"] is True
    east = api.create("Class", {"Name": "East", "ParentRef": {"value": region["Id"]}})
    assert east["FullyQualifiedName"] == "Region:East"
    assert east["SubClass"] is True
    assert east["ParentRef"] == {"value": region["Id"]}
    assert api.create("Class", {"Name": "East"})["FullyQualifiedName"] == "East"
    dup = api.fault("POST", "class", body={"Name": "east", "ParentRef": {"value": region["Id"]}})
    assert dup["code"] == "6240"
    assert api.fault("POST", "class", body={"Name": "A:B"})["element"] == "Name"
    cycle = dict(region, ParentRef={"value": east["Id"]})
    assert "its own parent" in api.fault("POST", "class", body=cycle)["Detail"]
    no_delete = api.call(
        "POST", "class", {"operation": "delete"}, {"Id": east["Id"], "SyncToken": "0"}
    )
    assert no_delete[0] == 400

    store = api.create("Department", {"Name": "Store"})
    downtown = api.create("Department", {"Name": "Downtown", "ParentRef": {"value": store["Id"]}})
    assert downtown["FullyQualifiedName"] == "Store:Downtown"
    assert downtown["SubDepartment"] is True
    assert store["SubDepartment"] is False
    found = api.query("SELECT * FROM Department WHERE Name = 'Downtown'")["Department"]
    assert [d["Id"] for d in found] == [downtown["Id"]]


def test_payment_method_list(api: Any) -> None:
    """Payment methods are a name list with a CREDIT_CARD / NON_CREDIT_CARD type."""
    visa = api.create("PaymentMethod", {"Name": "Visa", "Type": "CREDIT_CARD"})
    assert visa["Type"] == "CREDIT_CARD"
    cash = api.create("PaymentMethod", {"Name": "Cash"})
    assert cash["Type"] == "NON_CREDIT_CARD"
    assert api.fault("POST", "paymentmethod", body={"Name": "visa"})["code"] == "6240"
    assert api.fault("POST", "paymentmethod", body={"Name": "X", "Type": "GOLD"})["code"] == "2170"


def test_tracking_refs_are_checked(api: Any, vendor: dict[str, Any]) -> None:
    """ClassRef on lines, DepartmentRef on transactions and PaymentMethodRef must exist."""
    klass = api.create("Class", {"Name": "Retail"})
    dept = api.create("Department", {"Name": "Online"})
    method = api.create("PaymentMethod", {"Name": "Check"})
    customer = api.customer("Tracked")
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 10,
        "SalesItemLineDetail": {
            "ItemRef": {"value": api.services_id},
            "ClassRef": {"value": klass["Id"]},
        },
    }
    receipt = api.create(
        "SalesReceipt",
        {
            "CustomerRef": {"value": customer["Id"]},
            "DepartmentRef": {"value": dept["Id"]},
            "PaymentMethodRef": {"value": method["Id"]},
            "Line": [line],
        },
    )
    assert receipt["DepartmentRef"] == {"value": dept["Id"], "name": "Online"}
    assert receipt["PaymentMethodRef"]["name"] == "Check"
    assert receipt["Line"][0]["SalesItemLineDetail"]["ClassRef"]["name"] == "Retail"

    bad_class = {**line, "SalesItemLineDetail": {"ClassRef": {"value": "999"}}}
    missing = api.fault(
        "POST", "invoice", body={"CustomerRef": {"value": customer["Id"]}, "Line": [bad_class]}
    )
    assert missing["code"] == "610"
    assert missing["element"] == "Line.SalesItemLineDetail.ClassRef"
    bad_dept = api.fault(
        "POST",
        "invoice",
        body={
            "CustomerRef": {"value": customer["Id"]},
            "DepartmentRef": {"value": "999"},
            "Line": [line],
        },
    )
    assert bad_dept["element"] == "DepartmentRef"
    bill = _bill(api, vendor["Id"], "5.00", DepartmentRef={"value": dept["Id"]})
    assert bill["DepartmentRef"]["value"] == dept["Id"]
    expense = _account(api, "OfficeGeneralAdministrativeExpenses")
    bad_expense = api.fault(
        "POST",
        "bill",
        body={
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": 5,
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": expense["Id"]},
                        "ClassRef": {"value": "424242"},
                    },
                }
            ],
        },
    )
    assert bad_expense["element"] == "Line.AccountBasedExpenseLineDetail.ClassRef"
    # An inactive class cannot be used on new lines (as for any inactive reference).
    api.ok(
        "POST", "class", body={"Id": klass["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    inactive = api.fault(
        "POST", "invoice", body={"CustomerRef": {"value": customer["Id"]}, "Line": [line]}
    )
    assert inactive["code"] == "610"


def test_new_entities_in_batch_and_cdc(api: Any, vendor: dict[str, Any]) -> None:
    """Classes, departments and bill payments go through batch and show up in CDC."""
    bill = _bill(api, vendor["Id"], "12.00")
    bank = _account(api, "Checking")
    items = [
        {"bId": "c", "operation": "create", "Class": {"Name": "Batch class"}},
        {"bId": "d", "operation": "create", "Department": {"Name": "Batch dept"}},
        {
            "bId": "p",
            "operation": "create",
            "BillPayment": {
                "VendorRef": {"value": vendor["Id"]},
                "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}},
                "TotalAmt": 12,
                "Line": [{"Amount": 12, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
            },
        },
    ]
    answers = api.ok("POST", "batch", body={"BatchItemRequest": items})["BatchItemResponse"]
    assert answers[0]["Class"]["FullyQualifiedName"] == "Batch class"
    assert answers[1]["Department"]["Name"] == "Batch dept"
    assert answers[2]["BillPayment"]["TotalAmt"] == Decimal("12.00")
    changed = api.ok(
        "GET",
        "cdc",
        {"entities": "Class,Department,BillPayment,Bill", "changedSince": "2026-01-01"},
    )["CDCResponse"][0]["QueryResponse"]
    found = {
        name: [o["Id"] for o in page[name]]
        for page in changed
        for name in page
        if name[0].isupper()
    }
    assert found["Class"] == [answers[0]["Class"]["Id"]]
    assert found["Department"] == [answers[1]["Department"]["Id"]]
    assert found["BillPayment"] == [answers[2]["BillPayment"]["Id"]]
    assert found["Bill"] == [bill["Id"]]
