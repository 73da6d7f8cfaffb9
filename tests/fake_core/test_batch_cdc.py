"""Batch, CDC, requestid replay, multi-realm isolation and change events."""

from __future__ import annotations

from typing import Any

import yaml
from tests.conftest import REAL_SAMPLES

from qbo_sync import _json


def test_batch_like_the_recording(api: Any) -> None:
    """The recorded mixed batch (batch/basic.yml) gets the same per-item outcomes."""
    cassette = yaml.safe_load((REAL_SAMPLES / "qbo_api/vcr/batch/basic.yml").read_text())
    interaction = cassette["http_interactions"][0]
    recorded = _json.loads(interaction["response"]["body"]["string"])["BatchItemResponse"]
    customer = api.customer("Dylan Sollfrank")
    receipt = api.create(
        "SalesReceipt",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 337.5,
                    "SalesItemLineDetail": {"ItemRef": {"value": api.services_id}},
                }
            ],
        },
    )
    api.create(
        "SalesReceipt",
        {"Id": receipt["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "bump"},
    )
    request = interaction["request"]["body"]["string"]
    request = request.replace('"Id":"11"', f'"Id":"{receipt["Id"]}"')
    data = api.ok("POST", "batch", {}, request)
    ours = data["BatchItemResponse"]
    assert [item["bId"] for item in ours] == [item["bId"] for item in recorded]
    for mine, theirs in zip(ours, recorded, strict=True):
        assert set(mine) == set(theirs)
        if "Fault" in theirs:
            assert mine["Fault"]["Error"][0]["code"] == theirs["Fault"]["Error"][0]["code"]
    assert ours[0]["Vendor"]["DisplayName"] == "Boraski Family Store"
    assert ours[3]["QueryResponse"]["SalesReceipt"][0]["Id"] == receipt["Id"]


def test_batch_items_are_independent_and_support_void(api: Any) -> None:
    """A failing item does not stop the others; optionsData void voids; bId is echoed."""
    customer = api.customer("Batch")
    invoice = api.invoice(customer["Id"], "5.00")
    items = [
        {"bId": "a", "operation": "create", "Customer": {"DisplayName": "Batch"}},
        {"bId": "b", "operation": "create", "Customer": {"DisplayName": "Batch 2"}},
        {
            "bId": "c",
            "operation": "update",
            "optionsData": "void",
            "Invoice": {"Id": invoice["Id"], "SyncToken": "0"},
        },
        {"bId": "d", "operation": "update", "Customer": {"DisplayName": "no id"}},
        {"bId": "e", "Query": "SELECT COUNT(*) FROM Customer"},
        {"bId": "f", "operation": "create", "Widget": {}},
    ]
    out = api.ok("POST", "batch", {}, {"BatchItemRequest": items})["BatchItemResponse"]
    assert out[0]["Fault"]["Error"][0]["code"] == "6240"
    assert out[1]["Customer"]["DisplayName"] == "Batch 2"
    assert out[2]["Invoice"]["TotalAmt"] == 0
    assert out[3]["Fault"]["Error"][0]["element"] == "Id"
    assert out[4]["QueryResponse"] == {"totalCount": 2}
    assert out[5]["Fault"]["Error"][0]["code"] == "500"
    assert [item["bId"] for item in out] == list("abcdef")


def test_batch_limits(api: Any) -> None:
    """More than 30 items, or none, faults the whole batch."""
    items = [{"bId": str(n), "Query": "SELECT * FROM Customer"} for n in range(31)]
    assert api.fault("POST", "batch", {}, {"BatchItemRequest": items})["code"] == "1040"
    assert api.ok("POST", "batch", {}, {"BatchItemRequest": items[:30]})
    assert api.fault("POST", "batch", {}, {"BatchItemRequest": []})["code"] == "400"
    assert api.fault("POST", "batch", {}, {"Nope": 1})["code"] == "2010"


def test_cdc_shape_and_deletions(api: Any) -> None:
    """CDC lists changed objects by entity; deletions come last as status stubs."""
    customer = api.customer("Changed")
    first = api.invoice(customer["Id"], "1.00")
    api.clock.advance(minutes=1)
    api.invoice(customer["Id"], "2.00")
    api.ok("POST", "invoice", {"operation": "delete"}, {"Id": first["Id"], "SyncToken": "0"})
    data = api.ok(
        "GET",
        "cdc",
        {"entities": "Invoice,customer,Payment", "changedSince": "2026-01-05T08:00:00-08:00"},
    )
    invoices, customers, payments = data["CDCResponse"][0]["QueryResponse"]
    assert [row.get("status") for row in invoices["Invoice"]] == [None, "Deleted"]
    assert invoices["Invoice"][1] == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": first["Id"],
        "MetaData": {"LastUpdatedTime": "2026-01-05T09:01:00-08:00"},
    }
    assert invoices["maxResults"] == 2
    assert [row["Id"] for row in customers["Customer"]] == [customer["Id"]]
    assert payments == {}
    later = api.ok(
        "GET", "cdc", {"entities": "Invoice", "changedSince": "2026-01-05T09:00:30-08:00"}
    )
    assert len(later["CDCResponse"][0]["QueryResponse"][0]["Invoice"]) == 2


def test_cdc_caps_at_1000_and_looks_back_30_days(api: Any) -> None:
    """CDC returns the 1000 earliest changes per entity and refuses windows over 30 days."""
    for n in range(1003):
        api.ledger.seed(api.realm, "Vendor", {"DisplayName": f"V{n}"})
    data = api.ok("GET", "cdc", {"entities": "Vendor", "changedSince": "2026-01-01"})
    vendors = data["CDCResponse"][0]["QueryResponse"][0]
    assert vendors["maxResults"] == 1000
    assert vendors["Vendor"][0]["DisplayName"] == "V0"
    error = api.fault("GET", "cdc", {"entities": "Vendor", "changedSince": "2025-12-01"})
    assert error["code"] == "4001"
    assert api.fault("GET", "cdc", {"entities": "TaxCode", "changedSince": "2026-01-01"})
    assert api.fault("GET", "cdc", {"entities": "Vendor"})["element"] == "changedSince"
    assert api.fault("GET", "cdc", {"entities": "Vendor", "changedSince": "soon"})["code"] == "2010"


def test_requestid_replays_byte_for_byte(api: Any) -> None:
    """The same requestid returns the first response and creates nothing more."""
    params = {"requestid": "4f1a0c1e-7d7e-4c39-9d7a-1f0c8a3f0001"}
    first = api.raw("POST", "customer", params, {"DisplayName": "Once"})
    api.clock.advance(seconds=5)
    second = api.raw("POST", "customer", params, {"DisplayName": "Once"})
    assert second.body == first.body
    assert api.query("SELECT COUNT(*) FROM Customer") == {"totalCount": 1}
    assert api.ledger.stats(api.realm).replays == 1
    batch = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Batch once"}}
        ]
    }
    batch_params = {"requestid": "batch-0001"}
    one = api.raw("POST", "batch", batch_params, batch)
    two = api.raw("POST", "batch", batch_params, batch)
    assert one.body == two.body
    assert api.query("SELECT COUNT(*) FROM Vendor") == {"totalCount": 1}


def test_realms_are_isolated(api: Any) -> None:
    """Two companies never see each other's objects, names or requestids."""
    other = api.ledger.add_company(company_name="Other Co")
    api.customer("Same Name")
    assert api.ok("POST", "customer", body={"DisplayName": "Same Name"}, realm=other)
    assert api.query("SELECT COUNT(*) FROM Customer") == {"totalCount": 1}
    params = {"requestid": "shared-id"}
    api.raw("POST", "vendor", params, {"DisplayName": "V here"})
    _, data = api.call("POST", "vendor", params, {"DisplayName": "V there"}, realm=other)
    assert data["Vendor"]["DisplayName"] == "V there"
    info = api.ok("GET", f"companyinfo/{other}", realm=other)["CompanyInfo"]
    assert info["CompanyName"] == "Other Co"
    assert {e.realm_id for e in api.events} == {api.realm, other}


def test_events_and_stats(api: Any) -> None:
    """Every write emits a ChangeEvent; stats count writes and live objects."""
    before = api.ledger.stats(api.realm)
    customer = api.customer("Evented")
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"})
    ops = [(e.entity, e.id, e.operation) for e in api.events]
    assert ops == [("Customer", customer["Id"], "Create"), ("Customer", customer["Id"], "Update")]
    assert api.events[0].time == api.clock.now
    after = api.ledger.stats(api.realm)
    assert after.writes == before.writes + 2
    assert after.objects["Customer"] == 1
    assert api.ledger.write_count == after.writes
