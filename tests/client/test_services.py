"""Per-entity services send exactly the requests QBO documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from qbo_sync import _json, models
from qbo_sync.client import Deletion
from qbo_sync.errors import NotFoundError, ValidationError

REALM = "4620816365"
BASE = f"https://sandbox-quickbooks.api.intuit.com/v3/company/{REALM}"


def echo(reply: Any, name: str, **extra: Any) -> Any:
    """Answer every write by echoing the body back as ``{name: body}`` with SyncToken+1."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return reply({name: {"Id": "9", "SyncToken": "3", **extra}})
        body = _json.loads(request.content) if request.content else {}
        body = {"Id": "9", "SyncToken": "4", **{k: v for k, v in body.items()
                                                if k not in ("Id", "SyncToken")}, **extra}
        return reply({name: body, "time": "2024-05-01T10:00:00-07:00"})

    return handler


def url_of(request: httpx.Request) -> str:
    """The URL without the (random) requestid and constant minorversion."""
    params = [(k, v) for k, v in request.url.params.multi_items()
              if k not in ("requestid", "minorversion")]
    query = "&".join(f"{k}={v}" for k, v in params)
    return f"{request.method} {request.url.copy_with(query=None)}" + (f"?{query}" if query else "")


def test_get_and_create(make_client: Any, reply: Any) -> None:
    """get is GET {entity}/{id}; create POSTs the full body to {entity}."""
    client, rec = make_client(echo(reply, "Invoice", TotalAmt=Decimal("100.00")))
    inv = client.invoices.get("9")
    assert url_of(rec.last) == f"GET {BASE}/invoice/9"
    assert isinstance(inv, models.Invoice)
    created = client.invoices.create(models.Invoice(customer_ref=models.Ref(value="58")))
    assert url_of(rec.last) == f"POST {BASE}/invoice"
    assert rec.body() == {"CustomerRef": {"value": "58"}}
    assert created.total_amt == Decimal("100.00")


def test_create_accepts_a_wire_dict(make_client: Any, reply: Any) -> None:
    """A plain wire dict is sent as given (escape hatch for unmodelled fields)."""
    client, rec = make_client(echo(reply, "Customer"))
    client.customers.create({"DisplayName": "Ada", "NewField": 1})
    assert rec.body() == {"DisplayName": "Ada", "NewField": 1}


def test_full_update_requires_id_and_sync_token(make_client: Any, reply: Any) -> None:
    """update sends the full object; a missing SyncToken is refused before sending."""
    client, rec = make_client(echo(reply, "Customer"))
    with pytest.raises(ValidationError, match="SyncToken missing"):
        client.customers.update(models.Customer(id="9", display_name="Ada"))
    assert rec.requests == []
    client.customers.update(models.Customer(id="9", sync_token="0", display_name="Ada"))
    assert rec.body() == {"Id": "9", "SyncToken": "0", "DisplayName": "Ada"}


def test_sparse_update_sends_only_changes(make_client: Any, reply: Any) -> None:
    """A read-modify-sparse_update sends Id, SyncToken, sparse and the changed field only."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return reply({"Customer": {"Id": "9", "SyncToken": "3", "DisplayName": "Ada",
                                       "Active": True, "Balance": Decimal("5.00"),
                                       "Notes": "old"}})
        return reply({"Customer": {"Id": "9", "SyncToken": "4", "DisplayName": "Ada"}})

    client, rec = make_client(handler)
    customer = client.customers.get("9")
    customer.notes = "new"
    client.customers.sparse_update(customer)
    assert rec.body() == {"Id": "9", "SyncToken": "3", "sparse": True, "Notes": "new"}
    fresh = models.Customer(id="9", sync_token="0", notes="x")
    client.customers.sparse_update(fresh)
    assert rec.body() == {"Id": "9", "SyncToken": "0", "sparse": True, "Notes": "x"}


def test_delete_transaction(make_client: Any, reply: Any) -> None:
    """delete POSTs {entity}?operation=delete with Id+SyncToken and returns a Deletion."""
    client, rec = make_client(lambda r: reply(
        {"Invoice": {"status": "Deleted", "domain": "QBO", "Id": "266"}}, tid="tid-del"))
    result = client.invoices.delete(models.Invoice(id="266", sync_token="0"))
    assert url_of(rec.last) == f"POST {BASE}/invoice?operation=delete"
    assert rec.body() == {"Id": "266", "SyncToken": "0"}
    assert result == Deletion(entity="Invoice", id="266")
    assert result.intuit_tid == "tid-del"
    assert "requestid" in rec.last.url.params


def test_inactivate_name_list(make_client: Any, reply: Any) -> None:
    """inactivate is a sparse update with Active=false (Account keeps its Name)."""
    client, rec = make_client(echo(reply, "Account", Active=False))
    client.accounts.inactivate(models.Account(id="5", sync_token="1", name="Fees Billed"))
    assert url_of(rec.last) == f"POST {BASE}/account"
    assert rec.body() == {"Id": "5", "SyncToken": "1", "sparse": True, "Active": False,
                          "Name": "Fees Billed"}
    client, rec = make_client(echo(reply, "Customer", Active=False))
    done = client.customers.inactivate({"Id": "3", "SyncToken": "0"})
    assert done.active is False
    assert rec.body() == {"Id": "3", "SyncToken": "0", "sparse": True, "Active": False}


def test_void_invoice_uses_operation_void(make_client: Any, reply: Any) -> None:
    """Invoice void: POST invoice?operation=void with Id+SyncToken."""
    client, rec = make_client(echo(reply, "Invoice"))
    client.invoices.void(models.Invoice(id="264", sync_token="0"), request_id="void-264")
    assert url_of(rec.last) == f"POST {BASE}/invoice?operation=void"
    assert rec.last.url.params["requestid"] == "void-264"
    assert rec.body() == {"Id": "264", "SyncToken": "0"}


@pytest.mark.parametrize(("service", "name", "path"), [
    ("payments", "Payment", "payment"), ("sales_receipts", "SalesReceipt", "salesreceipt")])
def test_void_payment_and_sales_receipt_use_update_include_void(
    make_client: Any, reply: Any, service: str, name: str, path: str
) -> None:
    """Payment / SalesReceipt void: POST ?operation=update&include=void, sparse body."""
    client, rec = make_client(echo(reply, name))
    getattr(client, service).void({"Id": "12", "SyncToken": "2"})
    assert url_of(rec.last) == f"POST {BASE}/{path}?operation=update&include=void"
    assert rec.body() == {"Id": "12", "SyncToken": "2", "sparse": True}


def test_invoice_pdf_and_send(make_client: Any, reply: Any) -> None:
    """pdf GETs invoice/{id}/pdf as application/pdf; send POSTs with sendTo."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pdf"):
            return httpx.Response(200, content=b"%PDF-1.4 bytes",
                                  headers={"content-type": "application/pdf"})
        return reply({"Invoice": {"Id": "130", "SyncToken": "1", "EmailStatus": "EmailSent"}})

    client, rec = make_client(handler)
    assert client.invoices.pdf("130") == b"%PDF-1.4 bytes"
    assert url_of(rec.last) == f"GET {BASE}/invoice/130/pdf"
    assert rec.last.headers["Accept"] == "application/pdf"
    sent = client.invoices.send("130", to="bill@example.com")
    assert url_of(rec.last) == f"POST {BASE}/invoice/130/send?sendTo=bill@example.com"
    assert rec.last.content == b""
    assert "requestid" in rec.last.url.params
    assert sent.email_status == "EmailSent"
    client.invoices.send(130)
    assert url_of(rec.last) == f"POST {BASE}/invoice/130/send"
    with pytest.raises(ValidationError, match="e-mail"):
        client.invoices.send("130", to="not an address")


def test_company_info_and_preferences(make_client: Any, reply: Any) -> None:
    """company_info reads companyinfo/{realmId}; preferences reads preferences."""
    def handler(request: httpx.Request) -> httpx.Response:
        if "companyinfo" in request.url.path:
            return reply({"CompanyInfo": {"Id": "1", "SyncToken": "4", "CompanyName": "Acme",
                                          "Country": "US"}})
        return reply({"Preferences": {"Id": "1", "SyncToken": "2",
                                      "CurrencyPrefs": {"MultiCurrencyEnabled": False}}})

    client, rec = make_client(handler)
    info = client.company_info()
    assert url_of(rec.last) == f"GET {BASE}/companyinfo/{REALM}"
    assert info.company_name == "Acme"
    prefs = client.preferences()
    assert url_of(rec.last) == f"GET {BASE}/preferences"
    assert isinstance(prefs, models.Preferences)


def test_operations_not_offered_where_qbo_has_none(make_client: Any, reply: Any) -> None:
    """Name lists cannot be deleted, credit memos not voided, tax codes not written."""
    client, _ = make_client(echo(reply, "Customer"))
    assert not hasattr(client.customers, "delete")
    assert hasattr(client.customers, "inactivate")
    assert not hasattr(client.invoices, "inactivate")
    assert not hasattr(client.credit_memos, "void")
    assert hasattr(client.credit_memos, "pdf")
    assert not hasattr(client.tax_codes, "create")
    assert not hasattr(client.tax_rates, "sparse_update")
    assert not hasattr(client.purchases, "pdf")
    for name in ("customers", "items", "invoices", "payments", "credit_memos", "accounts",
                 "tax_codes", "tax_rates", "terms", "vendors", "purchases", "bills",
                 "sales_receipts", "employees", "estimates", "deposits"):
        assert hasattr(getattr(client, name), "get"), name


def test_wrong_entity_and_bad_ids_refused(make_client: Any, reply: Any) -> None:
    """A model of another entity or a malformed Id is refused before sending."""
    client, rec = make_client(echo(reply, "Customer"))
    with pytest.raises(ValidationError, match="expected a Customer entity, got a Vendor"):
        client.customers.create(models.Vendor(display_name="V"))
    with pytest.raises(ValidationError, match="not a QBO Id"):
        client.customers.get("1/../2")
    with pytest.raises(ValidationError, match="not a qbo_sync model"):
        client.customers.create(object())  # type: ignore[arg-type]
    assert rec.requests == []


def test_not_found_maps(make_client: Any, reply: Any) -> None:
    """A 400 fault 610 on read raises NotFoundError."""
    client, _ = make_client(lambda r: reply({"Fault": {"Error": [
        {"Message": "Object Not Found", "code": "610"}], "type": "ValidationFault"}}, status=400))
    with pytest.raises(NotFoundError):
        client.items.get("999")
