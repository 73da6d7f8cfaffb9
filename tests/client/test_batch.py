"""Batch: chunking, bIds, per-item results keyed back, faults as results, requestids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qbo_sync import _json, models
from qbo_sync.client import BatchOperation, Deletion, Query
from qbo_sync.client._batch import chunked, parse_batch_response, resolve_keys
from qbo_sync.errors import (
    NotFoundError,
    PayloadError,
    ServerError,
    StaleObjectError,
    ValidationError,
)
from qbo_sync.http import RetryPolicy

FAULT_610 = {"Error": [{"Message": "Object Not Found", "code": "610", "element": ""}],
             "type": "ValidationFault"}
FAULT_5010 = {"Error": [{"Message": "Stale Object Error", "code": "5010"}],
              "type": "ValidationFault"}


def batch_server(reply: Any, fail: dict[str, dict[str, Any]] | None = None) -> Any:
    """Answer each batch item: create -> entity with an Id, faults for names in ``fail``."""
    fail = fail or {}
    counter = iter(range(1000, 100000))

    def handler(request: httpx.Request) -> httpx.Response:
        items = _json.loads(request.content)["BatchItemRequest"]
        out = []
        for item in items:
            bid = item["bId"]
            if "Query" in item:
                out.append({"bId": bid, "QueryResponse": {
                    "Customer": [{"Id": "1", "SyncToken": "0", "DisplayName": "Q"}],
                    "startPosition": 1, "maxResults": 1}})
                continue
            (name, body), = ((k, v) for k, v in item.items() if k not in
                             ("bId", "operation", "optionsData"))
            display = body.get("DisplayName")
            if display in fail:
                out.append({"bId": bid, "Fault": fail[display]})
            elif item["operation"] == "delete":
                out.append({"bId": bid, name: {"status": "Deleted", "domain": "QBO",
                                               "Id": body["Id"]}})
            else:
                out.append({"bId": bid, name: {"Id": str(next(counter)), "SyncToken": "0",
                                               **body}})
        return reply({"BatchItemResponse": list(reversed(out))},
                     tid=f"tid-batch-{len(items)}")

    return handler


def customers(n: int) -> list[BatchOperation]:
    return [BatchOperation.create(models.Customer(display_name=f"C{i}"), key=f"local-{i}")
            for i in range(n)]


def test_chunks_at_30_and_keys_results(make_client: Any, reply: Any, recording_pacer: Any) -> None:
    """65 creates go as 30 + 30 + 5 batch requests, each paced as batch; results keyed."""
    client, rec = make_client(batch_server(reply), pacer=recording_pacer)
    result = client.batch(customers(65))
    assert [len(_json.loads(r.content)["BatchItemRequest"]) for r in rec.requests] == [30, 30, 5]
    assert all(r.url.path.endswith("/batch") for r in rec.requests)
    assert recording_pacer.slots == [("4620816365", True)] * 3
    assert len(result) == 65
    assert list(result)[:2] == ["local-0", "local-1"]
    assert result["local-64"].entity.display_name == "C64"
    assert result["local-64"].intuit_tid == "tid-batch-5"
    assert result.intuit_tids == ("tid-batch-30", "tid-batch-30", "tid-batch-5")
    rids = [r.url.params["requestid"] for r in rec.requests]
    assert len(set(rids)) == 3
    assert list(result.request_ids) == rids
    assert all(len(rid) <= 36 for rid in rids)


def test_bids_unique_and_short(make_client: Any, reply: Any) -> None:
    """Every bId is unique in its request and at most 10 characters."""
    client, rec = make_client(batch_server(reply))
    client.batch(customers(61))
    bids = [i["bId"] for r in rec.requests for i in _json.loads(r.content)["BatchItemRequest"]]
    assert len(bids) == len(set(bids)) == 61
    assert max(len(b) for b in bids) <= 10


def test_batch_size_lower_for_imports(make_client: Any, reply: Any) -> None:
    """batch_size=10 (invoice/payment imports) makes 3 requests for 25 operations."""
    client, rec = make_client(batch_server(reply))
    client.batch(customers(25), batch_size=10)
    assert len(rec.requests) == 3
    with pytest.raises(ValidationError, match=r"1\.\.30"):
        client.batch(customers(2), batch_size=31)


def test_item_faults_are_results_not_exceptions(make_client: Any, reply: Any) -> None:
    """Faults 610 and 5010 inside a 200 become per-item mapped errors; the rest succeed."""
    client, _ = make_client(batch_server(reply, fail={"C1": FAULT_610, "C2": FAULT_5010}))
    result = client.batch(customers(4))
    assert [r.ok for r in result.results] == [True, False, False, True]
    assert isinstance(result["local-1"].error, NotFoundError)
    assert isinstance(result["local-2"].error, StaleObjectError)
    assert result["local-2"].error.intuit_tid == "tid-batch-4"
    assert [r.key for r in result.failed] == ["local-1", "local-2"]
    assert len(result.succeeded) == 2
    with pytest.raises(StaleObjectError):
        result["local-2"].unwrap()
    assert result["local-3"].unwrap().display_name == "C3"


def test_all_operation_kinds_build_the_documented_items(make_client: Any, reply: Any) -> None:
    """create/update/sparse/delete/void/query items follow REF-BATCH; default keys are indexes."""
    client, rec = make_client(batch_server(reply))
    inv = models.Invoice(id="129", sync_token="0")
    ops = [
        BatchOperation.create(models.Vendor(display_name="Boraski Family Store")),
        BatchOperation.delete(inv),
        BatchOperation.sparse_update({"Id": "11", "SyncToken": "0", "PrivateNote": "A note."},
                                     entity_name="SalesReceipt"),
        BatchOperation.select(Query("Customer").where(DisplayName="Q")),
        BatchOperation.void(models.Payment(id="5", sync_token="2")),
        BatchOperation.update(models.Customer(id="3", sync_token="1", display_name="X")),
    ]
    result = client.batch(ops)
    items = _json.loads(rec.last.content)["BatchItemRequest"]
    assert items == [
        {"bId": "b0", "operation": "create", "Vendor": {"DisplayName": "Boraski Family Store"}},
        {"bId": "b1", "operation": "delete", "Invoice": {"Id": "129", "SyncToken": "0"}},
        {"bId": "b2", "operation": "update", "SalesReceipt": {
            "Id": "11", "SyncToken": "0", "PrivateNote": "A note.", "sparse": True}},
        {"bId": "b3", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Q'"},
        {"bId": "b4", "operation": "update", "optionsData": "void",
         "Payment": {"Id": "5", "SyncToken": "2", "sparse": True}},
        {"bId": "b5", "operation": "update", "Customer": {"Id": "3", "SyncToken": "1",
                                                          "DisplayName": "X"}},
    ]
    assert list(result) == [0, 1, 2, 3, 4, 5]
    assert result[1].entity == Deletion(entity="Invoice", id="129")
    assert [c.display_name for c in result[3].items] == ["Q"]


def test_request_id_prefix_per_chunk_reused_on_retry(make_client: Any, reply: Any) -> None:
    """A caller's request_id becomes {id}-{n} per chunk, fixed before the retry loop."""
    server = batch_server(reply)
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return reply({}, status=503)
        return server(request)

    client, rec = make_client(flaky)
    client.batch(customers(40), request_id="import-7")
    assert [r.url.params["requestid"] for r in rec.requests] == [
        "import-7-1", "import-7-2", "import-7-2"]
    assert rec.requests[1].content == rec.requests[2].content
    client.batch(customers(3), request_id="single")
    assert rec.last.url.params["requestid"] == "single"
    with pytest.raises(ValidationError, match="at most 36"):
        client.batch(customers(3), request_id="x" * 37)
    with pytest.raises(ValidationError, match="at most 36"):
        client.batch(customers(31), request_id="y" * 35)


def test_whole_request_failure_raises(make_client: Any, reply: Any) -> None:
    """Only a failure of the whole batch request raises."""
    client, _ = make_client(lambda r: reply({}, status=503),
                            retry=RetryPolicy(max_attempts=2, sleep=lambda s: None))
    with pytest.raises(ServerError):
        client.batch(customers(2))


def test_missing_and_unreadable_items_fail_alone() -> None:
    """An unanswered bId or a malformed item is a PayloadError result, not a crash."""
    ops = customers(3)
    keys = resolve_keys(ops)
    data = {"BatchItemResponse": [
        {"bId": "b0", "Customer": {"Id": "1", "SyncToken": "0", "DisplayName": "C0"}},
        {"bId": "b2", "Customer": {"Id": "2", "Balance": "not money"}},
    ]}
    results = parse_batch_response(data, ops, keys, ["b0", "b1", "b2"], intuit_tid="t")
    assert results[0].ok
    assert isinstance(results[1].error, PayloadError)
    assert "no item for bId b1" in str(results[1].error)
    assert isinstance(results[2].error, PayloadError)
    assert results[2].error.intuit_tid == "t"
    with pytest.raises(PayloadError, match="BatchItemResponse"):
        parse_batch_response({"nope": 1}, ops, keys, ["b0", "b1", "b2"], intuit_tid=None)


def test_key_and_input_validation(make_client: Any, reply: Any) -> None:
    """Duplicate keys and non-operations are refused before anything is sent."""
    client, rec = make_client(batch_server(reply))
    dup = [BatchOperation.create(models.Customer(display_name="A"), key="k"),
           BatchOperation.create(models.Customer(display_name="B"), key="k")]
    with pytest.raises(ValidationError, match="more than one operation"):
        client.batch(dup)
    with pytest.raises(ValidationError, match="BatchOperation"):
        client.batch([models.Customer(display_name="A")])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="entity name"):
        BatchOperation.create({"DisplayName": "A"})
    with pytest.raises(ValidationError, match="SyncToken"):
        client.batch([BatchOperation.delete(models.Invoice(id="1"))])
    assert rec.requests == []
    assert len(client.batch([])) == 0
    assert rec.requests == []


def test_chunked_helper() -> None:
    """chunked splits into consecutive runs and refuses a size below 1."""
    assert [list(c) for c in chunked(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValidationError):
        list(chunked([1], 0))


def test_batch_items_send_the_same_bodies_as_services(make_client: Any, reply: Any) -> None:
    """Batch update / delete / void bodies equal what the single-object services send."""
    payment = {"Id": "9", "SyncToken": "2", "TotalAmt": 5, "sparse": True}
    single, single_rec = make_client(lambda r: reply({"Payment": {"Id": "9", "SyncToken": "3"}}))
    single.payments.update(payment)
    single.payments.void(payment)
    items = [
        BatchOperation.update(payment, entity_name="Payment").to_item("b0"),
        BatchOperation.void(payment, entity_name="Payment").to_item("b1"),
    ]
    # A full update never turns sparse because the input carried the flag.
    full = {"Id": "9", "SyncToken": "2", "TotalAmt": 5}
    assert single_rec.body(0) == items[0]["Payment"] == full
    voided = {"Id": "9", "SyncToken": "2", "sparse": True}
    assert single_rec.body(1) == items[1]["Payment"] == voided
    deletion = BatchOperation.delete(payment, entity_name="Payment").to_item("b2")
    assert deletion["Payment"] == {"Id": "9", "SyncToken": "2"}
