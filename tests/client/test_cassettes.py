"""Replay real QBO sandbox traffic (qbo_api cassettes) through the client's default transport.

The cassettes were recorded by another client, so requests are matched on
method, path and meaning: the query text is compared case- and
spacing-insensitively with its STARTPOSITION/MAXRESULTS values extracted
(qbo_api wrote them in the other order), ``minorversion`` and ``requestid``
are ignored. No ``transport=`` is passed: vcrpy intercepts httpx itself.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import vcr

from qbo_sync import models
from qbo_sync.client import BatchOperation, Deletion, QBOClient, Query
from qbo_sync.errors import (
    AuthError,
    DuplicateNameError,
    NotFoundError,
    QueryError,
    StaleObjectError,
    ValidationError,
)
from qbo_sync.http import RetryPolicy

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "qbo_api"
_PAGING = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\s+(\d+)", re.IGNORECASE)
_IGNORED = {"minorversion", "requestid"}


def _normal_params(uri: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(uri).query, keep_blank_values=True):
        if key in _IGNORED:
            continue
        if key == "query":
            for word, number in _PAGING.findall(value):
                out[word.upper()] = number
            text = re.sub(r"\s*([(),])\s*", r"\1", _PAGING.sub("", value))
            out[key] = " ".join(text.split()).upper()
        else:
            out[key] = value.lower() if key == "entities" else value
    return out


def qbo_meaning(r1: Any, r2: Any) -> None:
    """vcrpy matcher: same query parameters, ignoring order, paging order and spacing."""
    if _normal_params(r1.uri) != _normal_params(r2.uri):
        raise AssertionError(f"{_normal_params(r1.uri)} != {_normal_params(r2.uri)}")


def _realm_of(cassette: Path) -> str:
    match = re.search(r"/v3/company/([^/?]+)/", cassette.read_text())
    assert match, cassette
    return match[1]


@pytest.fixture
def replay() -> Any:
    """``replay("all/customers.yaml")`` -> (client on the default transport, cassette)."""
    opened: list[Any] = []

    def close_all() -> None:
        # vcrpy patches nest: they must be undone in reverse order.
        while opened:
            context, client = opened.pop()
            client.close()
            context.__exit__(None, None, None)

    def factory(name: str, **kwargs: Any) -> tuple[QBOClient, Any]:
        close_all()
        path = CASSETTES / name
        recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "qbo_meaning"])
        recorder.register_matcher("qbo_meaning", qbo_meaning)
        context = recorder.use_cassette(str(path))
        cassette = context.__enter__()
        client = QBOClient(
            realm_id=_realm_of(path),
            environment="sandbox",
            access_token="cassette-token",
            retry=RetryPolicy(max_attempts=1),
            **kwargs,
        )
        opened.append((context, client))
        return client, cassette

    yield factory
    close_all()


def test_all_41_customers(replay: Any) -> None:
    """COUNT(*) says 41 and one MAXRESULTS 1000 page returns all 41 (short page: stop)."""
    client, cassette = replay("all/customers.yaml")
    assert client.customers.count() == 41
    customers = list(client.customers.query())
    assert len(customers) == 41
    assert all(isinstance(c, models.Customer) for c in customers)
    assert len({c.id for c in customers}) == 41
    assert cassette.all_played


def test_vendors_five_per_page(replay: Any) -> None:
    """26 vendors at MAXRESULTS 5: six pages, the last one short, then no more requests."""
    client, cassette = replay("all/vendors_by_5.yaml")
    assert client.vendors.count() == 26
    vendors = list(client.vendors.query(page_size=5))
    assert len(vendors) == 26
    assert cassette.play_count == 7
    assert cassette.all_played


def test_empty_query_response_ends_paging(replay: Any) -> None:
    """Pages of 2 over 6 inactive-inclusive customers end on QBO's empty ``QueryResponse: {}``."""
    client, cassette = replay("all/alt_select.yaml")
    ids = ["5", "6", "7", "8", "9", "10"]
    query = Query("Customer").where_in("Id", ids)
    assert client.count(query) == 6
    found = list(client.customers.query(query.include_inactive(), page_size=2))
    assert sorted(c.id for c in found) == sorted(ids)
    assert cassette.play_count == 5
    assert cassette.all_played


def test_batch_item_faults(replay: Any) -> None:
    """The real mixed batch: created Vendor, 610 and 5010 as item errors, a query page."""
    client, _ = replay("batch/basic.yaml")
    result = client.batch([
        BatchOperation.create(models.Vendor(display_name="Boraski Family Store"), bid="bid1"),
        BatchOperation.delete(models.Invoice(id="129", sync_token="0"), bid="bid2"),
        BatchOperation.sparse_update(
            {"Id": "11", "SyncToken": "0", "PrivateNote": "A private note."},
            entity_name="SalesReceipt", bid="bid3",
        ),
        BatchOperation.select("select * from SalesReceipt where TotalAmt > '300.00'", bid="bid4"),
    ])
    vendor = result[0].entity
    assert (vendor.id, vendor.display_name) == ("71", "Boraski Family Store")
    assert isinstance(result[1].error, NotFoundError)
    assert result[1].error.code == "610"
    assert isinstance(result[2].error, StaleObjectError)
    assert result[2].error.intuit_tid == "1-5f734f0e-58baa045003ab251111c54e6"
    receipts = result[3].items
    assert [r.total_amt for r in receipts] == [Decimal("337.50"), Decimal("337.50")]
    assert str(receipts[0].total_amt) == "337.50"


def test_cdc_estimates(replay: Any) -> None:
    """CDC for Estimate (old window, look-back guard off) returns the four estimates."""
    client, _ = replay("cdc/basic.yaml")
    since = dt.datetime(2011, 10, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    result = client.cdc(["Estimate"], since, max_lookback=None)
    estimates = result.changed["Estimate"]
    assert len(estimates) == 4
    assert all(isinstance(e, models.Estimate) for e in estimates)
    assert result.deleted == ()
    assert result.intuit_tids == ("1-5f734c9d-204a81e60006ee1844b369cc",)


def test_create_invoice_total(replay: Any) -> None:
    """Creating the recorded invoice returns Id 266 and TotalAmt 100.00 exactly."""
    client, _ = replay("create/invoice.yaml")
    invoice = client.invoices.create({"CustomerRef": {"value": "1"}, "Line": []})
    assert invoice.id == "266"
    assert invoice.total_amt == Decimal("100.00")
    assert str(invoice.total_amt) == "100.00"


def test_create_customer(replay: Any) -> None:
    """A recorded customer create answers Id 70, SyncToken 0."""
    client, _ = replay("create/customer.yaml")
    customer = client.customers.create(models.Customer(display_name="Anything"))
    assert (customer.id, customer.sync_token) == ("70", "0")


def test_void_invoice(replay: Any) -> None:
    """Read invoice 264 then void it: SyncToken 1 and QBO's 'Voided' note."""
    client, _ = replay("void/invoice.yaml")
    invoice = client.invoices.get("264")
    voided = client.invoices.void(invoice)
    assert (voided.id, voided.sync_token, voided.private_note) == ("264", "1", "Voided")


def test_delete_invoice(replay: Any) -> None:
    """Read then delete invoice 266: a Deletion record."""
    client, _ = replay("delete/invoice.yaml")
    invoice = client.invoices.get("266")
    assert client.invoices.delete(invoice) == Deletion(entity="Invoice", id="266")


def test_get_and_sparse_update(replay: Any) -> None:
    """Get customer 5 with its intuit_tid; read-modify-sparse-update customer 68."""
    client, _ = replay("get/id.yaml")
    customer = client.customers.get(5)
    assert customer.display_name == "Dukes Basketball Camp"
    assert client.last_intuit_tid == "1-5f732fa0-904c9f2c48d92e264a539496"
    client2, _ = replay("update/customer.yaml")
    c68 = client2.customers.get("68")
    c68.notes = "changed"
    updated = client2.customers.sparse_update(c68)
    assert (updated.id, updated.sync_token) == ("68", "1")


def test_mapped_errors(replay: Any) -> None:
    """Recorded faults map: 4001 QueryError, 6240 DuplicateNameError, 401 AuthError, 2010/2030."""
    client, _ = replay("error/400.yaml")
    page = client.execute("SELECT * FROM Customer")
    assert (len(page), page.next_page()) == (41, None)
    with pytest.raises(QueryError) as query_error:
        client.execute("SELECT * FROM Custmoer")
    assert query_error.value.code == "4001"
    assert query_error.value.intuit_tid

    client, _ = replay("error/validation.yaml")
    with pytest.raises(DuplicateNameError) as dup:
        client.customers.create(models.Customer(display_name="Dup"))
    assert dup.value.code == "6240"

    client, _ = replay("error/401.yaml")
    with pytest.raises(AuthError) as auth:
        client.customers.get("1")
    assert auth.value.status == 401
    assert "AB01601390262" not in str(auth.value)

    client, _ = replay("error/400_json.yaml")
    with pytest.raises(ValidationError) as bad:
        client.invoices.create({"Bogus": True})
    assert bad.value.code == "2010"

    client, _ = replay("error/500.yaml")
    with pytest.raises(ValidationError) as bad_id:
        client.read_entity("Customer", "customer/1.5")
    assert bad_id.value.code == "2030"
