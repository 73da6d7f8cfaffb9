"""The vendor and expense mappers, tax planning and routing as pure functions: no QBO at all."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from qbo_sync import models
from qbo_sync.errors import ConfigurationError, MappingError
from qbo_sync.mapping import (
    BillMapper,
    CompanySetup,
    Dependency,
    LocalExpense,
    LocalExpenseLine,
    LocalVendor,
    PurchaseMapper,
    VendorMapper,
    default_mappers,
    record_from_dict,
    record_to_dict,
)
from qbo_sync.storage import EntityLink, LinkStatus, Settings
from qbo_sync.sync import PlanContext, TaxCodeInfo, TaxRateInfo
from qbo_sync.sync._setup import route, suggest_tax_codes

from .conftest import Links

ACCOUNTS = {"expense": "9", "bank": "6", "credit_card": "12", "accounts_payable": "7",
            "travel": "30"}
EXPENSE = LocalExpense(
    id="e1", vendor_id="v1", number="R-1", date=dt.date(2026, 1, 10), payment_type="CreditCard",
    department_id="north", memo="receipt in the van",
    lines=[LocalExpenseLine(amount="40.00", description="Copper pipe", class_id="res",
                            tax_code="std"),
           LocalExpenseLine(amount="12.50", account_role="travel", customer_id="c1",
                            billable=False, tax_code="zero")],
)


def ctx(setup: CompanySetup | None = None, **resolved: dict[str, str]) -> PlanContext:
    return PlanContext(settings=Settings(account_mapping=ACCOUNTS,
                                         tax_code_mapping={"std": "3", "zero": "4"}),
                       resolved=resolved, company=(lambda: setup) if setup else None)


TRACKED = CompanySetup(country="GB", class_tracking="line", location_tracking=True)
RESOLVED = {"Vendor": {"v1": "56"}, "Customer": {"c1": "58"}, "Class": {"res": "200"},
            "Department": {"north": "2"}}


def test_vendor_maps_both_ways_and_matches_by_name() -> None:
    """Every vendor field reaches QBO's spelling and comes back; the match key is the name."""
    mapper = VendorMapper()
    local = LocalVendor(id="v1", display_name="Acme Supplies", email="ap@acme.example",
                        phone="555-0100", account_number="ACC-7", notes="net 30")
    qbo = mapper.to_qbo(local, ctx())
    wire = models.to_qbo(qbo)
    assert wire["DisplayName"] == "Acme Supplies"
    assert wire["AcctNum"] == "ACC-7"
    assert wire["Active"] is True
    qbo.id, qbo.sync_token = "56", "0"
    assert mapper.from_qbo(qbo, Links({("Vendor", "56"): "v1"})) == local
    assert mapper.match_keys(LocalVendor(id="x", display_name="  ACME   supplies")) == \
        mapper.qbo_match_keys(qbo)


def test_a_purchase_carries_accounts_tax_codes_job_costs_class_and_location() -> None:
    """Credit card purchase: card account, per-line accounts, customer, class, department."""
    qbo = PurchaseMapper().to_qbo(EXPENSE, ctx(TRACKED, **RESOLVED))
    wire = models.to_qbo(qbo)
    assert (wire["PaymentType"], wire["AccountRef"]) == ("CreditCard", {"value": "12"})
    assert wire["EntityRef"] == {"value": "56", "type": "Vendor"}
    assert wire["DepartmentRef"] == {"value": "2"}
    assert wire["GlobalTaxCalculation"] == "TaxExcluded"
    assert wire["PrivateNote"] == "receipt in the van"
    first, second = (ln["AccountBasedExpenseLineDetail"] for ln in wire["Line"])
    assert first == {"AccountRef": {"value": "9"}, "TaxCodeRef": {"value": "3"},
                     "ClassRef": {"value": "200"}}
    assert second == {"AccountRef": {"value": "30"}, "CustomerRef": {"value": "58"},
                      "BillableStatus": "NotBillable", "TaxCodeRef": {"value": "4"}}
    assert "TotalAmt" not in wire
    assert list(PurchaseMapper().dependencies(EXPENSE)) == [
        Dependency("Vendor", "v1"), Dependency("Customer", "c1"), Dependency("Class", "res"),
        Dependency("Department", "north")]


def test_a_bill_needs_accounts_payable_and_a_vendor() -> None:
    """A bill goes on the A/P account with its due date; no vendor is an invalid record."""
    bill = LocalExpense(id="b1", vendor_id="v1", due_date=dt.date(2026, 2, 9),
                        lines=[LocalExpenseLine(amount="5")])
    wire = models.to_qbo(BillMapper().to_qbo(bill, ctx(**RESOLVED)))
    assert (wire["VendorRef"], wire["APAccountRef"], wire["DueDate"]) == \
        ({"value": "56"}, {"value": "7"}, "2026-02-09")
    with pytest.raises(MappingError) as error:
        BillMapper().to_qbo(LocalExpense(id="b2", lines=[LocalExpenseLine(amount="5")]),
                            ctx(**RESOLVED))
    assert (error.value.reason, error.value.field) == ("invalid_record", "vendor_id")


def test_us_expense_lines_say_tax_or_non_and_carry_no_tax_detail() -> None:
    """In the US a rate code on an expense line goes out as TAX; nothing on the transaction."""
    us = CompanySetup(country="US", class_tracking="line", location_tracking=True)
    wire = models.to_qbo(PurchaseMapper().to_qbo(EXPENSE, ctx(us, **RESOLVED)))
    assert wire["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert "TxnTaxDetail" not in wire
    assert "GlobalTaxCalculation" not in wire


def test_tax_inclusive_lines_are_split_with_the_codes_purchase_rate() -> None:
    """TaxInclusive: Amount is the net (purchase rate 20 %), TaxInclusiveAmt the gross."""
    setup = CompanySetup(country="GB", tax_calculation="TaxInclusive",
                         tax_rates={"3": (Decimal(20), Decimal(20))})
    expense = LocalExpense(id="e2", lines=[LocalExpenseLine(amount="10.00", tax_code="std"),
                                           LocalExpenseLine(amount="1.00", tax_code="std")])
    lines = models.to_qbo(PurchaseMapper().to_qbo(expense, ctx(setup)))["Line"]
    assert [(ln["Amount"], ln["AccountBasedExpenseLineDetail"]["TaxInclusiveAmt"])
            for ln in lines] == [(Decimal("8.33"), Decimal("10.00")),
                                 (Decimal("0.83"), Decimal("1.00"))]
    unknown = CompanySetup(country="GB", tax_calculation="TaxInclusive")
    with pytest.raises(MappingError, match="line 1: TaxCode 3 has no purchase rate"):
        PurchaseMapper().to_qbo(expense, ctx(unknown))


def test_mapping_errors_name_the_line() -> None:
    """An unmapped category, tax code or class: mapping_missing with the line in field."""
    bad = LocalExpense(id="e3", lines=[LocalExpenseLine(amount="1"),
                                       LocalExpenseLine(amount="1", account_role="fuel")])
    with pytest.raises(MappingError) as error:
        PurchaseMapper().to_qbo(bad, ctx())
    assert error.value.field == "lines[1].account_role"
    assert error.value.message.startswith("line 2: no QBO account is mapped for 'fuel'")
    classy = LocalExpense(id="e4", lines=[LocalExpenseLine(amount="1", class_id="garden")])
    with pytest.raises(MappingError) as error:
        PurchaseMapper().to_qbo(classy, ctx(TRACKED))
    assert (error.value.reason, error.value.field) == ("mapping_missing", "lines[0].class_id")


def test_purchases_and_bills_come_back_as_expenses_with_local_ids() -> None:
    """from_qbo: the entity, QBO's account ids, and the product's vendor, class and location."""
    qbo = PurchaseMapper().to_qbo(EXPENSE, ctx(TRACKED, **RESOLVED))
    qbo.id, qbo.total_amt = "90", Decimal("52.50")
    back = PurchaseMapper().from_qbo(qbo, Links({
        ("Purchase", "90"): "e1", ("Vendor", "56"): "v1", ("Customer", "58"): "c1",
        ("Class", "200"): "res", ("Department", "2"): "north"}))
    assert (back.id, back.entity, back.vendor_id, back.payment_account_id) == \
        ("e1", "Purchase", "v1", "12")
    assert back.lines[0].class_id == "res"
    assert back.lines[1].customer_id == "c1"
    assert back.lines[1].billable is False
    assert (back.department_id, back.total) == ("north", Decimal("52.50"))


def test_expenses_match_by_number_and_date_only() -> None:
    """Both are needed: a number alone is not unique across vendors."""
    mapper = PurchaseMapper()
    assert mapper.match_keys(EXPENSE) == ("doc:R-1|2026-01-10",)
    assert mapper.match_keys(LocalExpense(id="x", number="R-1", lines=())) == ()
    queries = mapper.candidate_queries([EXPENSE, LocalExpense(id="y", number="R-2", lines=())])
    assert [q.to_sql() for q in queries] == ["SELECT * FROM Purchase WHERE DocNumber IN ('R-1')"]


def test_expense_records_round_trip_through_json_dicts() -> None:
    """The codec knows vendors and expenses ("Expense"), money as text, dates as ISO."""
    data = json.loads(json.dumps(record_to_dict(EXPENSE)))
    assert data["lines"][0]["amount"] == "40.00"
    assert record_from_dict("Expense", data) == EXPENSE
    with pytest.raises(MappingError, match="payment_type"):
        record_from_dict("Expense", {**data, "payment_type": "Barter"})
    vendor = LocalVendor(id="v1", display_name="Acme")
    assert record_from_dict("Vendor", record_to_dict(vendor)) == vendor


def _link(entity: str, local_id: str) -> EntityLink:
    return EntityLink(realm_id="r", entity_type=entity, local_id=local_id, qbo_id="1",
                      status=LinkStatus.SYNCED)


def test_routing_keeps_linked_expenses_and_otherwise_follows_record_then_setting() -> None:
    """Linked entity first, then the record's ``entity``, then the engine's choice."""
    mappers = default_mappers()
    linked = {"Bill": {"old": _link("Bill", "old")}}
    records = [LocalExpense(id="old", lines=()), LocalExpense(id="own", entity="Bill", lines=()),
               LocalExpense(id="new", lines=())]
    grouped = route(records, mappers, lambda e, ids: {k: v for k, v in linked.get(e, {}).items()
                                                      if k in ids},
                    preferred=lambda kind: "Purchase")
    by_entity = {m.entity: [r.id for r in rs] for m, rs in grouped.items() if rs}
    assert by_entity == {"Bill": ["old", "own"], "Purchase": ["new"]}
    with pytest.raises(ConfigurationError, match="given twice"):
        route([records[0], records[0]], mappers, lambda e, ids: {}, preferred=lambda k: None)


def test_tax_code_suggestions_pair_only_unambiguous_rates() -> None:
    """One code at a rate: paired; several: left out; in a US company TAX/NON fill in."""
    def code(code_id: str, rate: int | None) -> TaxCodeInfo:
        rates = () if rate is None else (TaxRateInfo(id=f"r{code_id}", name=None,
                                                     rate=Decimal(rate)),)
        return TaxCodeInfo(id=code_id, name=code_id, sales_rates=rates)

    vat = [code("1", 20), code("2", 0), code("3", 0)]
    assert suggest_tax_codes(vat, {"std": Decimal("20.0"), "zero": Decimal(0)}) == {"std": "1"}
    us = [code("TAX", None), code("NON", None), code("7", 8)]
    assert suggest_tax_codes(us, {"ca": Decimal(8), "ny": Decimal(4), "none": Decimal(0)}) == \
        {"ca": "7", "ny": "TAX", "none": "NON"}


def test_matching_expenses_can_be_turned_off() -> None:
    """``match_by_number=False``: no keys, no candidate query."""
    mapper = BillMapper(match_by_number=False)
    assert mapper.match_keys(EXPENSE) == ()
    assert mapper.candidate_queries([EXPENSE]) == []
