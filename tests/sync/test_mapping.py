"""The canonical local records and the bundled mappers (pure, no QBO)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from qbo_sync import models
from qbo_sync.errors import MappingError
from qbo_sync.mapping import (
    CreditMemoMapper,
    CustomerMapper,
    Dependency,
    InvoiceMapper,
    ItemMapper,
    LocalAddress,
    LocalCreditMemo,
    LocalCustomer,
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
    PaymentMapper,
    RecordState,
    fingerprint_of,
    is_voided,
    normalise_name,
)
from qbo_sync.storage import Settings
from qbo_sync.sync import PlanContext

from .conftest import Links


def ctx(**resolved: dict[str, str]) -> PlanContext:
    settings = Settings(account_mapping={"income": "79", "accounts_receivable": "84"},
                        tax_code_mapping={"vat20": "5"}, item_mapping={"legacy-1": "33"})
    return PlanContext(settings=settings, resolved=resolved, default_item=lambda: "1")


INVOICE = LocalInvoice(
    id="inv-1", customer_id="cust-1", number="1001", date=dt.date(2026, 2, 1),
    lines=[LocalLine(item_id="item-1", quantity=Decimal(2), unit_price=Decimal("168.75")),
           LocalLine(description="Call-out", amount=Decimal("45.00"), tax_code="vat20")],
    memo="Thanks", email="ap@example.com",
)


def test_money_refuses_floats_and_line_amount_is_computed() -> None:
    """Floats are refused; amount defaults to quantity times unit price, in cents."""
    with pytest.raises(TypeError, match="float"):
        LocalLine(amount=0.1)  # type: ignore[arg-type]
    assert LocalLine(quantity=Decimal(3), unit_price=Decimal("1.005")).amount == Decimal("3.02")
    with pytest.raises(ValueError, match="amount, or quantity and unit_price"):
        LocalLine(description="nothing to charge")
    with pytest.raises(ValueError, match="display_name"):
        LocalCustomer(id="c1", display_name="  ")


def test_customer_maps_both_ways() -> None:
    """Every customer field reaches QBO's spelling and comes back unchanged."""
    mapper = CustomerMapper()
    local = LocalCustomer(
        id="c1", display_name="Amy's Bird Sanctuary", company_name="Amy's", email="amy@x.com",
        phone="555-1", billing_address=LocalAddress(line1="4581 Finch St.", city="Bayshore",
                                                    region="CA", postal_code="94326"),
        notes="VIP",
    )
    qbo = mapper.to_qbo(local, ctx())
    wire = models.to_qbo(qbo)
    assert wire["DisplayName"] == "Amy's Bird Sanctuary"
    assert wire["PrimaryEmailAddr"] == {"Address": "amy@x.com"}
    assert wire["BillAddr"]["CountrySubDivisionCode"] == "CA"
    assert wire["Active"] is True
    qbo.id, qbo.sync_token = "58", "0"
    back = mapper.from_qbo(qbo, Links({("Customer", "58"): "c1"}))
    assert back == local
    assert mapper.from_qbo(qbo, Links({})).id == "58"
    assert mapper.to_qbo(attrs.evolve(local, deleted=True), ctx()).active is False


def test_match_keys_are_normalised() -> None:
    """E-mail first, then a case- and space-insensitive display name, on both sides."""
    mapper = CustomerMapper()
    local = LocalCustomer(id="c1", display_name="  Amy's   BIRD Sanctuary ", email=" Amy@X.com")
    remote = models.Customer(display_name="amy's bird sanctuary",
                             primary_email_addr=models.EmailAddress(address="amy@x.com"))
    assert list(mapper.match_keys(local)) == ["email:amy@x.com", "name:amy's bird sanctuary"]
    assert list(mapper.qbo_match_keys(remote)) == list(mapper.match_keys(local))
    assert normalise_name("   ") is None
    assert ItemMapper().match_keys(LocalItem(id="i", name="Pipe  Repair")) == ("name:pipe repair",)


def test_invoice_maps_lines_items_taxes_and_accounts() -> None:
    """Lines go to the linked item, the default item, mapped tax codes; A/R is set."""
    qbo = InvoiceMapper().to_qbo(INVOICE, ctx(Customer={"cust-1": "58"}, Item={"item-1": "7"}))
    wire = models.to_qbo(qbo)
    assert wire["CustomerRef"] == {"value": "58"}
    assert wire["ARAccountRef"] == {"value": "84"}
    first, second = wire["Line"]
    assert first["Amount"] == Decimal("337.50")
    assert first["SalesItemLineDetail"]["ItemRef"] == {"value": "7"}
    assert second["SalesItemLineDetail"]["ItemRef"] == {"value": "1"}
    # A US company: the mapped rate code "5" goes on the transaction, lines say TAX.
    assert second["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert wire["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "5"}}
    assert "GlobalTaxCalculation" not in wire
    assert wire["DocNumber"] == "1001"
    assert list(InvoiceMapper().dependencies(INVOICE)) == [Dependency("Customer", "cust-1"),
                                                           Dependency("Item", "item-1")]


def test_invoice_mapping_errors_name_what_is_missing() -> None:
    """No customer link, an unmapped tax code, no income account: typed, named errors."""
    mapper = InvoiceMapper()
    with pytest.raises(MappingError) as missing:
        mapper.to_qbo(INVOICE, ctx(Item={"item-1": "7"}))
    assert missing.value.reason == "dependency_missing"
    assert "Customer cust-1" in missing.value.message
    bad_tax = attrs.evolve(INVOICE, lines=[LocalLine(amount=Decimal(1), tax_code="gst")])
    with pytest.raises(MappingError) as tax:
        mapper.to_qbo(bad_tax, ctx(Customer={"cust-1": "58"}))
    assert (tax.value.reason, tax.value.field) == ("mapping_missing", "lines[0].tax_code")
    bare = PlanContext(settings=Settings(), resolved={"Customer": {"cust-1": "58"}})
    with pytest.raises(MappingError) as gate:
        mapper.to_qbo(INVOICE, bare)
    assert gate.value.reason == "mapping_missing"
    assert "income" in gate.value.message
    with pytest.raises(MappingError, match="no lines"):
        mapper.to_qbo(attrs.evolve(INVOICE, lines=[]), ctx(Customer={"cust-1": "58"}))


def test_item_mapping_wins_over_links() -> None:
    """A product item mapped in Settings.item_mapping goes to that QBO item."""
    invoice = attrs.evolve(INVOICE, lines=[LocalLine(item_id="legacy-1", amount=Decimal(5))])
    wire = models.to_qbo(InvoiceMapper().to_qbo(invoice, ctx(Customer={"cust-1": "58"})))
    assert wire["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {"value": "33"}


def test_invoice_from_qbo_reads_balance_and_void() -> None:
    """Pulled invoices carry QBO's total and balance; a voided one says so."""
    qbo = models.from_qbo("Invoice", {
        "Id": "130", "SyncToken": "1", "CustomerRef": {"value": "58"}, "DocNumber": "1001",
        "TotalAmt": 382.5, "Balance": 0, "PrivateNote": "Voided",
        "Line": [{"Amount": 0, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "7"}}},
                 {"Amount": 0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}],
    })
    local = InvoiceMapper().from_qbo(qbo, Links({("Customer", "58"): "cust-1",
                                                 ("Invoice", "130"): "inv-1"}))
    assert (local.id, local.customer_id, local.number) == ("inv-1", "cust-1", "1001")
    assert local.lines[0].item_id == "7"
    assert len(local.lines) == 1
    assert local.total == Decimal("382.5")
    assert not local.voided  # a total that is not zero is not a void
    voided = attrs.evolve(qbo, total_amt=Decimal(0))
    assert is_voided(voided)
    assert InvoiceMapper().from_qbo(voided, Links({})).voided


def test_payment_maps_applications_and_refuses_overapplying() -> None:
    """Applications become linked lines; applying more than received is invalid."""
    payment = LocalPayment(id="p1", customer_id="cust-1", amount=Decimal("100.00"),
                           applied_to=[LocalPaymentApplication(invoice_id="inv-1",
                                                               amount=Decimal("60.00"))])
    c = ctx(Customer={"cust-1": "58"}, Invoice={"inv-1": "130"})
    wire = models.to_qbo(PaymentMapper().to_qbo(payment, c))
    assert wire["TotalAmt"] == Decimal("100.00")
    assert wire["Line"] == [{"Amount": Decimal("60.00"),
                             "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]
    over = attrs.evolve(payment, amount=Decimal("50.00"))
    with pytest.raises(MappingError, match=r"applies 60\.00 but received 50\.00"):
        PaymentMapper().to_qbo(over, c)
    back = PaymentMapper().from_qbo(models.from_qbo("Payment", wire | {"Id": "9"}),
                                    Links({("Invoice", "130"): "inv-1"}))
    assert back.applied_to[0].invoice_id == "inv-1"


def test_credit_memo_and_states() -> None:
    """Credit memos map like invoices; record state follows the deleted/voided flags."""
    memo = LocalCreditMemo(id="cm1", customer_id="cust-1", number="CM1",
                           lines=[LocalLine(amount=Decimal("10.00"))])
    wire = models.to_qbo(CreditMemoMapper().to_qbo(memo, ctx(Customer={"cust-1": "58"})))
    assert wire["DocNumber"] == "CM1"
    assert CreditMemoMapper().state(memo) is RecordState.ACTIVE
    assert CreditMemoMapper().state(attrs.evolve(memo, deleted=True)) is RecordState.DELETED
    assert InvoiceMapper().state(attrs.evolve(INVOICE, voided=True)) is RecordState.VOIDED


def test_fingerprint_covers_owned_fields_and_state_only() -> None:
    """Changing an owned field or the state changes it; other fields and key order do not."""
    mapper = CustomerMapper()
    owned = mapper.owned_fields()
    base = LocalCustomer(id="c1", display_name="A", email="a@x.com")
    fp = mapper.fingerprint(base, owned)
    assert fp == mapper.fingerprint(attrs.evolve(base, id="other-id"), owned)
    assert fp != mapper.fingerprint(attrs.evolve(base, email="b@x.com"), owned)
    assert fp != mapper.fingerprint(attrs.evolve(base, deleted=True), owned)
    no_contact = mapper.owned_fields({"name", "addresses", "notes"})
    assert mapper.fingerprint(attrs.evolve(base, email="b@x.com"), no_contact) == \
        mapper.fingerprint(base, no_contact)
    assert fingerprint_of({"a": 1, "b": Decimal("1.50")}) == \
        fingerprint_of({"b": Decimal("1.50"), "a": 1})
    assert fingerprint_of({"b": Decimal("1.50")}) != fingerprint_of({"b": Decimal("1.5")})


def test_records_round_trip_through_json_dicts() -> None:
    """record_to_dict/record_from_dict keep money text and dates; JSON numbers are accepted."""
    import json

    from qbo_sync.mapping import LOCAL_RECORD_TYPES, record_from_dict, record_to_dict

    data = record_to_dict(INVOICE)
    assert data["lines"][0]["unit_price"] == "168.75"
    assert data["date"] == "2026-02-01"
    assert record_from_dict("Invoice", json.loads(json.dumps(data))) == INVOICE
    data["lines"][1]["amount"] = 45  # a plain JSON number
    assert record_from_dict("Invoice", data).lines[1].amount == Decimal(45)
    assert list(LOCAL_RECORD_TYPES) == ["Item", "Customer", "Vendor", "Invoice", "CreditMemo",
                                       "Payment", "Expense"]


def test_bad_record_dicts_name_every_field_at_fault() -> None:
    """Unknown fields, floats-as-text errors and the record's own checks: one MappingError."""
    from qbo_sync.mapping import record_from_dict

    with pytest.raises(MappingError) as bad:
        record_from_dict("Invoice", {"id": "i", "customer_id": "c", "colour": "red",
                                     "lines": [{"amount": "lots"}]}, where="Invoice[3]")
    assert bad.value.reason == "invalid_record"
    assert "Invoice[3].lines[0].amount" in bad.value.message
    assert "colour" in bad.value.message
    with pytest.raises(MappingError, match="no canonical record for 'Bill'"):
        record_from_dict("Bill", {})
    with pytest.raises(MappingError, match="display_name"):
        record_from_dict("Customer", {"id": "c1", "display_name": " "})


def test_change_apply_to_respects_fields_and_payments() -> None:
    """A pulled change updates only its fields; PAID sets the balance; others keep the record."""
    from qbo_sync.sync import Change, ChangeKind, InvoicePayment

    mine = attrs.evolve(INVOICE, memo="mine", balance=Decimal("382.50"))
    theirs = attrs.evolve(INVOICE, id="130", memo="theirs", balance=Decimal("100.00"),
                          total=Decimal("382.50"))
    change = Change(entity="Invoice", kind=ChangeKind.UPDATED, qbo_id="130", local_id="inv-1",
                    record=theirs, fields=frozenset({"balance", "total", "id"}))
    after = change.apply_to(mine)
    assert (after.id, after.memo, after.balance, after.total) == \
        ("inv-1", "mine", Decimal("100.00"), Decimal("382.50"))
    paid = Change(entity="Invoice", kind=ChangeKind.PAID, qbo_id="130", local_id="inv-1",
                  payment=InvoicePayment(invoice_local_id="inv-1", invoice_qbo_id="130",
                                         payment_qbo_id="9", amount=Decimal("100.00"),
                                         date=None, balance=Decimal(0)))
    assert paid.apply_to(after).paid is True
    gone = Change(entity="Invoice", kind=ChangeKind.DELETED, qbo_id="130", local_id="inv-1")
    assert gone.apply_to(after) is after
