"""Every fault the ledger sends, with QBO's code, element and shape."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from tests.conftest import REAL_SAMPLES

from qbo_sync import _json, errors


def test_fault_shape_matches_recorded_6240(api: Any) -> None:
    """A duplicate customer gets the recorded 6240 fault's keys, type and message."""
    cassette = yaml.safe_load((REAL_SAMPLES / "qbo_api/vcr/error/validation.yml").read_text())
    recorded = _json.loads(cassette["http_interactions"][0]["response"]["body"]["string"])
    api.customer("Weiskopf Consulting")
    status, ours = api.call("POST", "customer", body={"DisplayName": "Weiskopf Consulting"})
    assert status == cassette["http_interactions"][0]["response"]["status"]["code"] == 400
    assert set(ours) == set(recorded)
    assert ours["Fault"]["type"] == recorded["Fault"]["type"]
    mine, theirs = ours["Fault"]["Error"][0], recorded["Fault"]["Error"][0]
    assert mine["code"] == theirs["code"] == "6240"
    assert mine["Message"] == theirs["Message"]
    assert set(theirs) <= set(mine)


@pytest.mark.parametrize(
    ("first", "second"), [("Customer", "Vendor"), ("Vendor", "Employee"), ("Employee", "Customer")]
)
def test_display_name_unique_across_customer_vendor_employee(
    api: Any, first: str, second: str
) -> None:
    """6240 when a DisplayName is used by any of Customer, Vendor, Employee (case-insensitive)."""
    api.create(first, {"DisplayName": "Shared Name"})
    assert api.fault("POST", second.lower(), body={"DisplayName": "shared name"})["code"] == "6240"


def test_duplicate_item_and_account_names(api: Any) -> None:
    """Item and Account names are unique within their list (6240)."""
    assert (
        api.fault("POST", "item", body={"Name": "Services", "Type": "NonInventory"})["code"]
        == "6240"
    )
    assert (
        api.fault("POST", "account", body={"Name": "Checking", "AccountType": "Bank"})["code"]
        == "6240"
    )


def test_renaming_onto_another_name_is_6240(api: Any) -> None:
    """An update to a name another entity holds is refused; keeping its own name is fine."""
    api.customer("Taken")
    mine = api.customer("Mine")
    same = api.create("Customer", {"Id": mine["Id"], "SyncToken": "0", "DisplayName": "Mine"})
    assert same["SyncToken"] == "1"
    error = api.fault(
        "POST", "customer", body={"Id": mine["Id"], "SyncToken": "1", "DisplayName": "Taken"}
    )
    assert error["code"] == "6240"


def test_stale_sync_token_is_5010(api: Any) -> None:
    """An update with an old SyncToken fails with 5010 and changes nothing."""
    customer = api.customer("Racer")
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "a"})
    error = api.fault(
        "POST",
        "customer",
        body={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"},
    )
    assert error["code"] == "5010"
    assert error["Message"] == "Stale Object Error"
    assert api.get("Customer", customer["Id"])["Notes"] == "a"


def test_duplicate_doc_number_with_custom_txn_numbers(make_api: Any) -> None:
    """With CustomTxnNumbers on, a reused DocNumber is 6140 unless allowduplicatedocnum."""
    api = make_api(custom_txn_numbers=True)
    customer = api.customer("Docs")
    first = api.invoice(customer["Id"], "1.00", DocNumber="A-1")
    line = first["Line"][:1]
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": line, "DocNumber": "A-1"}
    error = api.fault("POST", "invoice", body=body)
    assert error["code"] == "6140"
    assert first["Id"] in error["Detail"]
    allowed = api.ok("POST", "invoice", {"include": "allowduplicatedocnum"}, body)
    assert allowed["Invoice"]["DocNumber"] == "A-1"
    no_number = api.invoice(customer["Id"], "1.00")
    assert "DocNumber" not in no_number


def test_auto_doc_numbers_without_custom_numbers(api: Any) -> None:
    """Without custom numbers QBO numbers invoices 1001, 1002, ..."""
    customer = api.customer("Auto")
    numbers = [api.invoice(customer["Id"], "1.00")["DocNumber"] for _ in range(2)]
    assert numbers == ["1001", "1002"]


@pytest.mark.parametrize(
    ("path", "body", "code", "element"),
    [
        ("invoice", {"CustomerRef": {"value": "999"}, "Line": "LINES"}, "610", "CustomerRef"),
        ("invoice", {"CustomerRef": {"value": ""}, "Line": []}, "2500", "CustomerRef"),
        ("invoice", {"CustomerRef": "1", "Line": []}, "2010", "CustomerRef"),
        ("invoice", {"Line": []}, "2020", "CustomerRef"),
        ("invoice", {"CustomerRef": {"value": "CUST"}}, "2020", "Line"),
        ("payment", {"CustomerRef": {"value": "CUST"}}, "2020", "TotalAmt"),
        (
            "invoice",
            {
                "CustomerRef": {"value": "CUST"},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 1,
                        "SalesItemLineDetail": {"ItemRef": {"value": "777"}},
                    }
                ],
            },
            "610",
            "Line.SalesItemLineDetail.ItemRef",
        ),
        (
            "invoice",
            {
                "CustomerRef": {"value": "CUST"},
                "Line": [{"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}],
            },
            "2020",
            "Line.Amount",
        ),
        (
            "invoice",
            {"CustomerRef": {"value": "CUST"}, "Line": [{"Amount": 1}]},
            "2020",
            "Line.DetailType",
        ),
        (
            "invoice",
            {"CustomerRef": {"value": "CUST"}, "Line": [{"DetailType": "Bogus", "Amount": 1}]},
            "2170",
            "Line.DetailType",
        ),
        (
            "invoice",
            {
                "CustomerRef": {"value": "CUST"},
                "Line": [{"DetailType": "SalesItemLineDetail", "Amount": "lots"}],
            },
            "2010",
            "Line.Amount",
        ),
        ("invoice", {"BadJson": True}, "2010", "BadJson"),
        ("customer", {"DisplayName": "a:b"}, "6000", "DisplayName"),
        ("customer", {"DisplayName": 12.5, "Active": "maybe"}, "2010", "Active"),
        ("customer", {}, "2020", "DisplayName"),
        ("item", {"Name": "No type"}, "2020", "Type"),
        ("item", {"Name": "Svc", "Type": "Service"}, "2020", "IncomeAccountRef"),
        ("account", {"Name": "No type"}, "2020", "AccountType"),
        ("taxcode", {"Name": "X"}, "500", ""),
        ("customer", {"Id": "1.5", "SyncToken": "0", "DisplayName": "x"}, "2030", "Id"),
        ("customer", {"Id": "4040", "SyncToken": "0", "DisplayName": "x"}, "610", ""),
        ("customer", {"Id": "CUST", "DisplayName": "x"}, "2020", "SyncToken"),
    ],
)
def test_validation_faults(
    api: Any, path: str, body: dict[str, Any], code: str, element: str
) -> None:
    """Each malformed create/update gets its QBO code with the offending element."""
    customer = api.customer("Valid Customer")
    text = _json.dumps(body).decode().replace('"CUST"', f'"{customer["Id"]}"')
    error = api.fault("POST", path, body=text)
    assert (error["code"], error["element"]) == (code, element), error


def test_inactive_reference_is_610(api: Any) -> None:
    """A transaction naming an inactive customer or item fails with 610."""
    customer = api.customer("Gone")
    api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": 1,
                "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}},
            }
        ],
    }
    error = api.fault("POST", "invoice", body=body)
    assert (error["code"], error["element"]) == ("610", "CustomerRef")
    assert "made inactive" in error["Detail"]


def test_update_without_id_is_2020(api: Any) -> None:
    """operation=update or a sparse body without Id is a 2020 for Id, not a create."""
    error = api.fault("POST", "customer", {"operation": "update"}, {"DisplayName": "x"})
    assert (error["code"], error["element"]) == ("2020", "Id")


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "code"),
    [
        ("POST", "invoice", {}, b"{not json", "2010"),
        ("POST", "invoice", {}, b"", "2010"),
        ("POST", "invoice", {}, b"[1, 2]", "2010"),
        ("POST", "invoice", {}, b"\xff\xfe", "500"),
        ("GET", "customer/1/5", {}, b"", "500"),
        ("GET", "customer/1.5", {}, b"", "2030"),
        ("GET", "customer/999", {}, b"", "610"),
        ("GET", "widget/1", {}, b"", "500"),
        ("DELETE", "invoice", {}, b"", "500"),
        ("POST", "invoice", {"operation": "explode"}, b"{}", "500"),
        ("GET", "customer/1", {"minorversion": "abc"}, b"", "2010"),
        ("GET", "customer/1", {"requestid": "x" * 51}, b"", "2010"),
        ("GET", "query", {}, b"", "2020"),
    ],
)
def test_malformed_requests(
    api: Any, method: str, path: str, params: dict[str, str], body: bytes, code: str
) -> None:
    """Malformed requests get a 400 fault with the expected code, never a crash."""
    assert api.fault(method, path, params, body)["code"] == code


def test_minorversion_any_integer_accepted(api: Any) -> None:
    """minorversion=75 (or any integer) is accepted."""
    for version in ("4", "75", "999"):
        assert api.ok("GET", "preferences", {"minorversion": version})


def test_unknown_realm_is_refused(api: Any) -> None:
    """A realm the ledger does not know gets a 403/3100 fault."""
    status, data = api.call("GET", "customer/1", realm="1234")
    assert status == 403
    assert data["Fault"]["Error"][0]["code"] == "3100"


def test_seed_raises_the_matching_qbo_error(api: Any) -> None:
    """Ledger.seed applies the same rules and raises qbo_sync errors for faults."""
    api.ledger.seed(api.realm, "Customer", {"DisplayName": "Seeded"})
    with pytest.raises(errors.DuplicateNameError) as caught:
        api.ledger.seed(api.realm, "Customer", {"DisplayName": "Seeded"})
    assert caught.value.code == "6240"
    with pytest.raises(errors.NotFoundError):
        api.ledger.seed(api.realm, "Invoice", {"CustomerRef": {"value": "404"}, "Line": []})
