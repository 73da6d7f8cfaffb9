"""Wire-format rules of the models: names, money, dates, unknown keys, lines, errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

import qbo_sync.models as models
from qbo_sync import _json
from qbo_sync.errors import PayloadError
from qbo_sync.models import (
    Address,
    Customer,
    DescriptionOnlyLine,
    DiscountLine,
    GroupLine,
    Invoice,
    LinkedTxn,
    Payment,
    PaymentLine,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
    SubTotalLine,
    UnknownLine,
    entity_class,
    from_qbo,
    to_qbo,
    to_qbo_sparse,
)

PDT = timezone(timedelta(hours=-7))


def _invoice_wire() -> dict[str, Any]:
    return _json.loads(
        b"""{"Id":"130","SyncToken":"2","domain":"QBO","sparse":false,
        "MetaData":{"CreateTime":"2020-09-29T05:58:07-07:00",
                    "LastUpdatedTime":"2020-09-29T06:01:02.345-07:00"},
        "TxnDate":"2020-09-29","DueDate":"2020-10-29","TotalAmt":337.50,"Balance":75,
        "CustomerRef":{"value":"1","name":"Amy's Bird Sanctuary"},
        "AllowIPNPayment":false,
        "Line":[
          {"Id":"1","LineNum":1,"Amount":337.50,"DetailType":"SalesItemLineDetail",
           "SalesItemLineDetail":{"ItemRef":{"value":"1"},"Qty":4.5,"UnitPrice":75,
                                  "FutureDetailField":{"a":1}},
           "FutureLineField":"x"},
          {"Id":"2","LineNum":2,"Amount":0,"DetailType":"GroupLineDetail",
           "GroupLineDetail":{"GroupItemRef":{"value":"9"},"Line":[
             {"Amount":1.10,"DetailType":"SalesItemLineDetail",
              "SalesItemLineDetail":{"ItemRef":{"value":"3"}}}]}},
          {"Description":"Just words","DetailType":"DescriptionOnly",
           "DescriptionLineDetail":{}},
          {"Amount":10,"DetailType":"DiscountLineDetail",
           "DiscountLineDetail":{"PercentBased":true,"DiscountPercent":10}},
          {"Amount":337.50,"DetailType":"SubTotalLineDetail","SubTotalLineDetail":{}},
          {"Amount":5,"DetailType":"HoloLineDetail","HoloLineDetail":{"Beam":2}}
        ],
        "FutureTopLevel":{"nested":[1,2.50]}}"""
    )


def test_field_names_are_snake_case_of_wire_names() -> None:
    """PascalCase, acronym and lower-case wire keys map to the documented snake_case fields."""
    invoice = from_qbo("Invoice", _invoice_wire())
    assert isinstance(invoice, Invoice)
    assert invoice.customer_ref == Ref(value="1", name="Amy's Bird Sanctuary")
    assert invoice.allow_ipn_payment is False
    assert invoice.domain == "QBO"
    assert invoice.sparse is False
    assert invoice.sync_token == "2"
    out = to_qbo(invoice)
    assert "AllowIPNPayment" in out
    assert "domain" in out
    assert out["CustomerRef"] == {"value": "1", "name": "Amy's Bird Sanctuary"}


def test_lines_dispatch_on_detail_type() -> None:
    """Each DetailType gives its own line class; an unknown one is kept as UnknownLine."""
    invoice = from_qbo(Invoice, _invoice_wire())
    assert invoice.line is not None
    kinds = [type(line) for line in invoice.line]
    assert kinds == [
        SalesItemLine,
        GroupLine,
        DescriptionOnlyLine,
        DiscountLine,
        SubTotalLine,
        UnknownLine,
    ]
    group = invoice.line[1]
    assert isinstance(group, GroupLine)
    assert group.group_line_detail is not None
    assert group.group_line_detail.line is not None
    assert isinstance(group.group_line_detail.line[0], SalesItemLine)
    unknown = invoice.line[5]
    assert isinstance(unknown, UnknownLine)
    assert unknown.detail_type == "HoloLineDetail"
    assert unknown.extra == {"HoloLineDetail": {"Beam": 2}}
    discount = invoice.line[3]
    assert isinstance(discount, DiscountLine)
    assert discount.discount_line_detail is not None
    assert discount.discount_line_detail.discount_percent == Decimal(10)


def test_unknown_fields_kept_at_every_level() -> None:
    """Unknown keys on the entity, a line and a line detail land in extra and go back out."""
    wire = _invoice_wire()
    invoice = from_qbo(Invoice, wire)
    assert invoice.extra == {"FutureTopLevel": {"nested": [1, Decimal("2.50")]}}
    assert invoice.line is not None
    line = invoice.line[0]
    assert isinstance(line, SalesItemLine)
    assert line.extra == {"FutureLineField": "x"}
    assert line.sales_item_line_detail is not None
    assert line.sales_item_line_detail.extra == {"FutureDetailField": {"a": 1}}
    assert to_qbo(invoice) == wire


def test_money_keeps_text_and_integers() -> None:
    """337.50 stays 337.50, 75 becomes Decimal('75') and is written back as 75."""
    wire = _invoice_wire()
    invoice = from_qbo(Invoice, wire)
    assert invoice.total_amt == Decimal("337.50")
    assert str(invoice.total_amt) == "337.50"
    assert invoice.balance == Decimal(75)
    assert isinstance(invoice.balance, Decimal)
    text = _json.dumps(to_qbo(invoice))
    assert b'"TotalAmt":337.50' in text
    assert b'"Balance":75,' in text
    assert b'"Qty":4.5' in text


def test_user_floats_and_strings_become_exact_decimals() -> None:
    """A float given by a user goes through repr, so 0.1 is Decimal('0.1'), also on assignment."""
    line = SalesItemLine(amount=0.1)  # type: ignore[arg-type]
    assert line.amount == Decimal("0.1")
    line.amount = 12.25  # type: ignore[assignment]
    assert line.amount == Decimal("12.25")
    assert type(line.amount) is Decimal
    assert SalesItemLine(amount="19.90").amount == Decimal("19.90")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool"):
        SalesItemLine(amount=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="decimal"):
        SalesItemLine(amount="ten")  # type: ignore[arg-type]


def test_datetimes_are_aware_and_written_in_qbo_form() -> None:
    """Offsets are kept; milliseconds survive; a new value is written like QBO writes it."""
    invoice = from_qbo(Invoice, _invoice_wire())
    assert invoice.meta_data is not None
    created = invoice.meta_data.create_time
    assert created == datetime(2020, 9, 29, 5, 58, 7, tzinfo=PDT)
    assert invoice.txn_date == date(2020, 9, 29)
    out = to_qbo(invoice)
    assert out["MetaData"]["LastUpdatedTime"] == "2020-09-29T06:01:02.345-07:00"
    invoice.meta_data.create_time = datetime(2021, 1, 2, 3, 4, 5, tzinfo=PDT)
    assert to_qbo(invoice)["MetaData"]["CreateTime"] == "2021-01-02T03:04:05-07:00"


def test_odd_date_texts_round_trip_verbatim_until_changed() -> None:
    """'Z' timestamps and suffixed dates come back as sent; a changed value is written normally."""
    wire = {
        "Id": "1",
        "OpenBalanceDate": "2012-07-23T11:17:15Z",
        "MetaData": {"CreateTime": "2012-07-23T11:17:56Z"},
    }
    customer = from_qbo(Customer, wire)
    assert customer.open_balance_date == date(2012, 7, 23)
    assert customer.meta_data is not None
    assert customer.meta_data.create_time == datetime(2012, 7, 23, 11, 17, 56, tzinfo=timezone.utc)
    assert to_qbo(customer) == wire
    assert customer.open_balance_date is not None
    customer.open_balance_date = customer.open_balance_date + timedelta(days=1)
    assert to_qbo(customer)["OpenBalanceDate"] == "2012-07-24"


def test_none_and_defaults_are_never_written() -> None:
    """A freshly built entity writes only what was set: no None, no defaults."""
    customer = Customer(display_name="Acme", bill_addr=Address(city="Reno"))
    assert to_qbo(customer) == {"DisplayName": "Acme", "BillAddr": {"City": "Reno"}}


def test_new_invoice_is_written_like_the_minimal_create_body() -> None:
    """Building an invoice in code gives QBO's documented minimal create body."""
    invoice = Invoice(
        customer_ref=Ref(value="1"),
        line=[
            SalesItemLine(
                amount=Decimal("100.0"),
                sales_item_line_detail=SalesItemLineDetail(item_ref=Ref(value="1")),
            )
        ],
    )
    assert to_qbo(invoice) == {
        "CustomerRef": {"value": "1"},
        "Line": [
            {
                "Amount": Decimal("100.0"),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ],
    }


def test_payment_lines_link_invoices_and_credit_memos() -> None:
    """Payment lines carry LinkedTxn lists and keep LineEx extras."""
    wire = _json.loads(
        b"""{"TotalAmt":55.00,"CustomerRef":{"value":"20"},"Line":[
        {"Amount":55.00,"LinkedTxn":[{"TxnId":"69","TxnType":"Invoice"},
                                     {"TxnId":"70","TxnType":"CreditMemo"}],
         "LineEx":{"any":[{"name":"{http://schema.intuit.com/finance/v3}NameValue",
                            "value":{"Name":"txnId","Value":"69"}}]}}]}"""
    )
    payment = from_qbo("Payment", wire)
    assert isinstance(payment, Payment)
    assert payment.line is not None
    line = payment.line[0]
    assert isinstance(line, PaymentLine)
    assert line.linked_txn == [
        LinkedTxn(txn_id="69", txn_type="Invoice"),
        LinkedTxn(txn_id="70", txn_type="CreditMemo"),
    ]
    assert "LineEx" in line.extra
    assert to_qbo(payment) == wire


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        (
            {
                "Line": [
                    {},
                    {},
                    {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"Qty": "lots"}},
                ]
            },
            "Invoice.Line[2].SalesItemLineDetail.Qty",
            "expected a decimal number, got str 'lots'",
        ),
        ({"TxnDate": "29/09/2020"}, "Invoice.TxnDate", "expected a date YYYY-MM-DD"),
        ({"CustomerRef": "1"}, "Invoice.CustomerRef", "expected a JSON object, got str '1'"),
        ({"Line": {"Amount": 1}}, "Invoice.Line", "expected an array"),
        ({"Line": [5]}, "Invoice.Line[0]", "expected a JSON object, got int 5"),
        ({"AllowIPNPayment": "false"}, "Invoice.AllowIPNPayment", "expected true or false"),
        ({"Id": 130}, "Invoice.Id", "expected a string, got int 130"),
        ({"TotalAmt": True}, "Invoice.TotalAmt", "expected a decimal number, got bool"),
        (
            {"MetaData": {"CreateTime": "yesterday"}},
            "Invoice.MetaData.CreateTime",
            "expected an ISO 8601 date-time",
        ),
    ],
)
def test_malformed_payload_raises_one_payload_error(
    data: dict[str, Any], path: str, problem: str
) -> None:
    """A malformed field gives one PayloadError naming entity, wire path and problem."""
    with pytest.raises(PayloadError) as info:
        from_qbo("Invoice", data)
    err = info.value
    assert err.entity == "Invoice"
    assert err.path == path
    assert f"{path}: {problem}" in str(err)


def test_every_problem_is_listed_in_the_one_error() -> None:
    """Several bad fields are all reported, each with its own path."""
    with pytest.raises(PayloadError) as info:
        from_qbo("Customer", {"Id": 1, "Balance": "x", "BillAddr": {"City": 3}})
    message = str(info.value)
    assert message.startswith("3 problems in Customer payload")
    for path in ("Customer.Id", "Customer.Balance", "Customer.BillAddr.City"):
        assert path in message


def test_top_level_not_a_mapping_and_unknown_entity() -> None:
    """A list body and an unknown entity name are clear PayloadErrors."""
    with pytest.raises(PayloadError, match="Invoice payload: expected a JSON object, got list"):
        from_qbo("Invoice", [])  # type: ignore[arg-type]
    with pytest.raises(PayloadError, match="unknown QBO entity 'Invoyce'") as info:
        from_qbo("Invoyce", {})
    assert info.value.entity == "Invoyce"


def test_entity_class_and_qbo_name() -> None:
    """entity_class finds classes by QBO name (and case-insensitively); QBO_NAME matches."""
    assert entity_class("Invoice") is Invoice
    assert entity_class("creditmemo") is models.CreditMemo
    for name, cls in models.ENTITY_CLASSES.items():
        assert name == cls.QBO_NAME
        assert entity_class(name) is cls
    with pytest.raises(PayloadError):
        entity_class("Nope")


def test_to_qbo_rejects_non_models() -> None:
    """to_qbo of something that is not a model is a TypeError naming the type."""
    with pytest.raises(TypeError, match="got dict"):
        to_qbo({"Id": "1"})  # type: ignore[arg-type]


def test_sparse_diffs_against_the_read_payload() -> None:
    """After from_qbo, to_qbo_sparse sends Id, SyncToken, sparse and only the changed keys."""
    customer = from_qbo(
        Customer,
        {
            "Id": "5",
            "SyncToken": "3",
            "sparse": False,
            "DisplayName": "Amy",
            "Balance": Decimal("10.00"),
            "BillAddr": {"City": "Bayshore", "Lat": "INVALID"},
        },
    )
    assert to_qbo_sparse(customer) == {"Id": "5", "SyncToken": "3", "sparse": True}
    customer.display_name = "Amy B."
    assert customer.bill_addr is not None
    customer.bill_addr.city = "Seaside"
    body = to_qbo_sparse(customer)
    assert body == {
        "Id": "5",
        "SyncToken": "3",
        "sparse": True,
        "DisplayName": "Amy B.",
        "BillAddr": {"City": "Seaside", "Lat": "INVALID"},
    }


def test_sparse_with_explicit_original_and_removed_fields() -> None:
    """An explicit original wins; removed fields are omitted or sent as null as asked."""
    before = Customer(id="5", sync_token="1", display_name="A", notes="n", active=True)
    after = attrs.evolve(before, notes=None, active=False)
    assert to_qbo_sparse(after, before) == {
        "Id": "5",
        "SyncToken": "1",
        "sparse": True,
        "Active": False,
    }
    assert to_qbo_sparse(after, to_qbo(before), removed="null") == {
        "Id": "5",
        "SyncToken": "1",
        "sparse": True,
        "Active": False,
        "Notes": None,
    }


def test_sparse_without_original_sends_only_set_fields() -> None:
    """With no original, only fields the caller set are sent, never defaults."""
    customer = Customer(id="5", sync_token="0", given_name="Ann")
    assert to_qbo_sparse(customer) == {
        "Id": "5",
        "SyncToken": "0",
        "sparse": True,
        "GivenName": "Ann",
    }


def test_sparse_needs_id_and_sync_token() -> None:
    """A sparse update body without Id or SyncToken is refused up front."""
    with pytest.raises(PayloadError, match="needs SyncToken") as info:
        to_qbo_sparse(Customer(id="5"))
    assert info.value.path == "Customer.SyncToken"


def test_repr_shows_only_set_fields() -> None:
    """repr stays readable: unset fields are left out."""
    assert repr(Ref(value="1")) == "Ref(value='1')"
    assert repr(Customer(display_name="Acme")) == "Customer(display_name='Acme')"


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted (ruff's isort-style order) and names exactly the public names."""

    def isort_key(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
        return kind, name

    assert models.__all__ == sorted(models.__all__, key=isort_key)
    public = {
        name
        for name, value in vars(models).items()
        if not name.startswith("_")
        and not isinstance(value, type(models))
        and name != "annotations"
    }
    assert public == set(models.__all__)


def test_explicit_null_reads_as_absent_but_not_inside_arrays() -> None:
    """A JSON null in a field means 'not set'; a null array element is an error with its index."""
    customer = from_qbo(Customer, {"Id": "1", "Notes": None, "BillAddr": None})
    assert customer.notes is None
    assert to_qbo(customer) == {"Id": "1"}
    with pytest.raises(PayloadError) as info:
        from_qbo(Invoice, {"Line": [{"Amount": 1, "DetailType": "SubTotalLineDetail"}, None]})
    assert info.value.path == "Invoice.Line[1]"
    assert "got null" in str(info.value)


def test_stdlib_json_floats_are_taken_through_repr() -> None:
    """A float on the wire (document parsed without _json) becomes the Decimal of its repr."""
    invoice = from_qbo(Invoice, {"TotalAmt": 19.99})
    assert invoice.total_amt == Decimal("19.99")
