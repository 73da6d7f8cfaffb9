"""Entity writes: shapes, defaults, derived fields, update semantics, void and delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml
from tests.conftest import REAL_SAMPLES

from qbo_sync import _json


def _recorded_body(cassette: str, index: int) -> Any:
    data = yaml.safe_load((REAL_SAMPLES / "qbo_api" / "vcr" / cassette).read_text())
    return _json.loads(data["http_interactions"][index]["response"]["body"]["string"])


def _shape(value: Any) -> Any:
    """Keys and JSON types, ignoring values (numbers are one type)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | Decimal):
        return "number"
    return type(value).__name__


def test_invoice_create_matches_recorded_shape(api: Any) -> None:
    """An invoice created like qbo_api's create/invoice.yml has the recorded keys and types."""
    recorded = _recorded_body("create/invoice.yml", 0)["Invoice"]
    customer = api.customer(
        "Amy's Bird Sanctuary",
        BillAddr={"Line1": "4581 Finch St."},
        ShipAddr={"Line1": "4581 Finch St."},
    )
    body = {
        "Line": [
            {
                "Amount": Decimal("100.0"),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": api.services_id, "name": "Services"}},
            }
        ],
        "CustomerRef": {"value": customer["Id"]},
    }
    ours = api.create("Invoice", body)
    skip = {"CustomField"}  # the recorded sandbox has a custom field definition
    recorded_shape = {k: v for k, v in _shape(recorded).items() if k not in skip}
    our_shape = _shape(ours)
    for key, shape in recorded_shape.items():
        assert key in our_shape, key
        if key not in ("BillAddr", "ShipAddr"):  # geocoding adds Lat/Long in real QBO
            assert our_shape[key] == shape, key
    assert ours["TotalAmt"] == Decimal("100.00")
    assert ours["Balance"] == Decimal("100.00")
    assert ours["Line"][-1] == {
        "Amount": Decimal("100.00"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    assert ours["DueDate"] == "2026-02-04"  # Net 30 is the company's default term
    assert ours["CustomerRef"] == {"value": customer["Id"], "name": "Amy's Bird Sanctuary"}
    assert ours["BillAddr"] == {"Line1": "4581 Finch St."}


def test_customer_create_matches_recorded_shape(api: Any) -> None:
    """A customer created from a DisplayName has the recorded defaults (create/customer.yml)."""
    recorded = _recorded_body("create/customer.yml", 0)["Customer"]
    ours = api.customer("Doe5, Jane")
    for key in (
        "Job",
        "BillWithParent",
        "Balance",
        "BalanceWithJobs",
        "CurrencyRef",
        "PreferredDeliveryMethod",
        "domain",
        "sparse",
        "SyncToken",
        "FullyQualifiedName",
        "DisplayName",
        "PrintOnCheckName",
        "Active",
    ):
        assert ours[key] == recorded[key], key
    assert list(ours)[:5] == ["domain", "sparse", "Id", "SyncToken", "MetaData"]


def test_metadata_times_are_pacific_and_follow_the_clock(api: Any) -> None:
    """MetaData uses the -08:00/-07:00 Pacific offset and LastUpdatedTime moves on update."""
    created = api.customer("Clocked")
    assert created["MetaData"]["CreateTime"] == "2026-01-05T09:00:00-08:00"
    api.clock.advance(days=180)
    updated = api.create(
        "Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "summer"}
    )
    assert updated["MetaData"]["CreateTime"] == "2026-01-05T09:00:00-08:00"
    assert updated["MetaData"]["LastUpdatedTime"] == "2026-07-04T10:00:00-07:00"
    assert updated["SyncToken"] == "1"


def test_display_name_built_from_name_parts(api: Any) -> None:
    """Without DisplayName QBO builds it from the name parts; PrintOnCheckName follows."""
    customer = api.create("Customer", {"GivenName": "Jane", "FamilyName": "Doe"})
    assert customer["DisplayName"] == "Jane Doe"
    assert customer["PrintOnCheckName"] == "Jane Doe"


def test_sub_customer_fully_qualified_name_and_job_balance(api: Any) -> None:
    """A job under a parent gets Parent:Job, Level 1, and its balance rolls up."""
    parent = api.customer("Parent Co")
    job = api.customer("Kitchen", ParentRef={"value": parent["Id"]})
    assert job["FullyQualifiedName"] == "Parent Co:Kitchen"
    assert job["Level"] == 1
    assert job["Job"] is True
    api.invoice(job["Id"], "40.00")
    assert api.get("Customer", job["Id"])["Balance"] == Decimal("40.00")
    assert api.get("Customer", parent["Id"])["BalanceWithJobs"] == Decimal("40.00")
    assert api.get("Customer", parent["Id"])["Balance"] == 0


def test_line_amount_from_qty_and_unit_price(api: Any) -> None:
    """Amount = Qty * UnitPrice when absent; a mismatch is fault 6070."""
    customer = api.customer("Qty")
    line = {
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}, "Qty": 4.5, "UnitPrice": 75},
    }
    invoice = api.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert invoice["Line"][0]["Amount"] == Decimal("337.50")
    assert invoice["TotalAmt"] == Decimal("337.50")
    bad = {**line, "Amount": 300}
    error = api.fault(
        "POST", "invoice", body={"CustomerRef": {"value": customer["Id"]}, "Line": [bad]}
    )
    assert error["code"] == "6070"


def test_full_update_clears_fields_not_sent(api: Any) -> None:
    """A full update sets omitted writable fields to null (here: Notes, CompanyName)."""
    customer = api.customer("Full", Notes="keep?", CompanyName="Full Inc")
    updated = api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Full"}
    )
    assert "Notes" not in updated
    assert "CompanyName" not in updated
    assert updated["SyncToken"] == "1"


def test_sparse_update_changes_only_what_was_sent(api: Any) -> None:
    """A sparse update keeps every field it does not mention."""
    customer = api.customer("Sparse", Notes="keep", CompanyName="Sparse Inc")
    updated = api.create(
        "Customer",
        {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Renamed Inc"},
    )
    assert updated["Notes"] == "keep"
    assert updated["CompanyName"] == "Renamed Inc"
    assert updated["DisplayName"] == "Sparse"


def test_sparse_update_replaces_line_array_whole(api: Any) -> None:
    """Lines are replaced as a whole; an existing line Id is kept, new lines get new Ids."""
    customer = api.customer("Lines")
    invoice = api.invoice(customer["Id"], "10.00", "20.00")
    assert [line.get("Id") for line in invoice["Line"]] == ["1", "2", None]
    kept = dict(invoice["Line"][1])
    new = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 5,
        "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}},
    }
    updated = api.create(
        "Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "Line": [kept, new]}
    )
    assert [line.get("Id") for line in updated["Line"]] == ["2", "3", None]
    assert updated["TotalAmt"] == Decimal("25.00")
    assert updated["Balance"] == Decimal("25.00")


def test_void_invoice_zeroes_amounts_like_the_recording(api: Any) -> None:
    """operation=void: amounts 0, PrivateNote 'Voided', Balance 0 (void/invoice.yml)."""
    recorded = _recorded_body("void/invoice.yml", 1)["Invoice"]
    customer = api.customer("Void")
    invoice = api.invoice(customer["Id"], "100.00")
    voided = api.ok(
        "POST", "invoice", {"operation": "void"}, {"Id": invoice["Id"], "SyncToken": "0"}
    )["Invoice"]
    for key in ("TotalAmt", "Balance", "PrivateNote", "SyncToken"):
        assert voided[key] == recorded[key], key
    assert [line["Amount"] for line in voided["Line"]] == [0, 0]
    assert api.events[-1].operation == "Void"


def test_void_keeps_existing_private_note(api: Any) -> None:
    """Voided is prepended to an existing PrivateNote."""
    customer = api.customer("Void note")
    receipt = api.create(
        "SalesReceipt",
        {
            "CustomerRef": {"value": customer["Id"]},
            "PrivateNote": "cash",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 12,
                    "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}},
                }
            ],
        },
    )
    voided = api.ok(
        "POST",
        "salesreceipt",
        {"operation": "update", "include": "void"},
        {"Id": receipt["Id"], "SyncToken": "0", "sparse": True},
    )["SalesReceipt"]
    assert voided["PrivateNote"] == "Voided - cash"
    assert voided["TotalAmt"] == 0


def test_delete_transaction_matches_recording(api: Any) -> None:
    """operation=delete answers the status stub of delete/invoice.yml; the invoice is gone."""
    recorded = _recorded_body("delete/invoice.yml", 1)["Invoice"]
    customer = api.customer("Delete")
    invoice = api.invoice(customer["Id"], "1.00")
    stub = api.ok(
        "POST", "invoice", {"operation": "delete"}, {"Id": invoice["Id"], "SyncToken": "0"}
    )["Invoice"]
    assert set(stub) == set(recorded)
    assert stub == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
    assert api.fault("GET", f"invoice/{invoice['Id']}")["code"] == "610"
    assert api.ledger.read(api.realm, "Invoice", invoice["Id"]) is None
    deleted = api.ledger.objects(api.realm, "Invoice", include_deleted=True)
    assert [item["status"] for item in deleted] == ["Deleted"]


def test_name_list_entities_cannot_be_deleted_only_inactivated(api: Any) -> None:
    """Customer delete is unsupported; Active=false hides it from default queries."""
    customer = api.customer("Inactive Ltd")
    error = api.fault(
        "POST", "customer", {"operation": "delete"}, {"Id": customer["Id"], "SyncToken": "0"}
    )
    assert error["code"] == "500"
    api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert api.query("SELECT * FROM Customer WHERE DisplayName = 'Inactive Ltd'") == {}
    found = api.query(
        "SELECT * FROM Customer WHERE DisplayName = 'Inactive Ltd' AND Active IN (true, false)"
    )
    assert found["Customer"][0]["Active"] is False
    assert api.query("SELECT * FROM Customer WHERE Active = false")["maxResults"] == 1


def test_inactivating_customer_with_balance_is_6220(api: Any) -> None:
    """QBO refuses to inactivate a customer with an open balance (qbo_rails delete.yml)."""
    customer = api.customer("Owes")
    api.invoice(customer["Id"], "9.99")
    current = api.get("Customer", customer["Id"])
    error = api.fault(
        "POST",
        "customer",
        body={
            "Id": customer["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "Active": False,
        },
    )
    assert error["code"] == "6220"


def test_send_marks_email_sent_and_emits_emailed(api: Any) -> None:
    """invoice/{id}/send sets EmailStatus/BillEmail and emits an Emailed event."""
    customer = api.customer("Mail")
    invoice = api.invoice(customer["Id"], "1.00")
    sent = api.ok("POST", f"invoice/{invoice['Id']}/send", {"sendTo": "a@b.example"})["Invoice"]
    assert sent["EmailStatus"] == "EmailSent"
    assert sent["BillEmail"] == {"Address": "a@b.example"}
    assert api.events[-1].operation == "Emailed"


def test_pdf_is_served(api: Any) -> None:
    """invoice/{id}/pdf answers application/pdf bytes."""
    customer = api.customer("Pdf")
    invoice = api.invoice(customer["Id"], "1.00")
    response = api.raw("GET", f"invoice/{invoice['Id']}/pdf")
    assert response.status == 200
    assert response.content_type == "application/pdf"
    assert response.body.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("entity", "body"),
    [
        ("Vendor", {"DisplayName": "Supplies Co"}),
        ("Employee", {"GivenName": "Emil", "FamilyName": "Worker"}),
        ("Term", {"Name": "Net 15", "DueDays": 15}),
        ("Account", {"Name": "Petty Cash", "AccountType": "Bank"}),
        ("Item", {"Name": "Widget", "Type": "NonInventory"}),
    ],
)
def test_other_name_list_entities_create(api: Any, entity: str, body: dict[str, Any]) -> None:
    """Every name-list entity can be created and read back, active by default."""
    created = api.create(entity, body)
    assert created["Active"] is True
    assert api.get(entity, created["Id"]) == created


def test_expense_and_deposit_transactions_total_their_lines(api: Any) -> None:
    """Purchase, Bill and Deposit compute TotalAmt from their lines."""
    accounts = {a["Name"]: a["Id"] for a in api.query("SELECT * FROM Account")["Account"]}
    vendor = api.create("Vendor", {"DisplayName": "Paper Inc"})
    expense = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": "12.50",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts["Office Expenses"]}},
    }
    purchase = api.create(
        "Purchase",
        {
            "AccountRef": {"value": accounts["Checking"]},
            "PaymentType": "Cash",
            "Line": [expense, expense],
        },
    )
    assert purchase["TotalAmt"] == Decimal("25.00")
    bill = api.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [expense]})
    assert bill["Balance"] == Decimal("12.50")
    deposit = api.create(
        "Deposit",
        {
            "DepositToAccountRef": {"value": accounts["Checking"]},
            "Line": [
                {
                    "Amount": 7,
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": {"value": accounts["Services"]}},
                }
            ],
        },
    )
    assert deposit["TotalAmt"] == Decimal("7.00")


def test_company_info_and_preferences(api: Any) -> None:
    """companyinfo/{realm} and preferences answer; a Preferences update is versioned."""
    info = api.ok("GET", f"companyinfo/{api.realm}")["CompanyInfo"]
    assert info["CompanyName"] == "Sandbox Company_US_1"
    prefs = api.ok("GET", "preferences")["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    updated = api.ok(
        "POST",
        "preferences",
        body={
            "Id": prefs["Id"],
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "SalesFormsPrefs": {**prefs["SalesFormsPrefs"], "CustomTxnNumbers": True},
        },
    )
    assert updated["Preferences"]["SyncToken"] == "1"
    assert api.query("SELECT * FROM CompanyInfo")["CompanyInfo"][0]["Id"] == "1"


def test_seed_without_defaults_has_only_company_objects(make_api: Any) -> None:
    """seed_defaults=False leaves no accounts, items or terms."""
    bare = make_api(seed_defaults=False)
    assert bare.query("SELECT COUNT(*) FROM Account") == {"totalCount": 0}
    assert bare.query("SELECT COUNT(*) FROM Item") == {"totalCount": 0}
    assert bare.ok("GET", "preferences")["Preferences"]["Id"] == "1"
