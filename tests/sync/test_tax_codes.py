"""Tax codes: reading and suggesting them, and the US, automated and VAT/GST cases on the fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from qbo_sync import MemoryStore, SyncEngine
from qbo_sync.mapping import (
    LocalCustomer,
    LocalExpense,
    LocalExpenseLine,
    LocalInvoice,
    LocalLine,
    LocalVendor,
)
from qbo_sync.storage import RunStatus
from qbo_sync.testing import FakeClock, FakeQBO

from .conftest import RecordingSink, make_client, make_engine
from .test_expenses import Spy

AMY = LocalCustomer(id="c-amy", display_name="Amy's Bird Sanctuary")
ACME = LocalVendor(id="v-acme", display_name="Acme Supplies")


def invoice(*lines: tuple[str, str | None], n: int = 1) -> LocalInvoice:
    """An invoice for Amy with (amount, tax code) lines."""
    return LocalInvoice(id=f"inv-{n}", customer_id=AMY.id, number=f"T-{n}",
                        date=dt.date(2026, 1, 10),
                        lines=[LocalLine(description=f"line {k}", amount=Decimal(a), tax_code=c)
                               for k, (a, c) in enumerate(lines)])


def bill(*lines: tuple[str, str | None], n: int = 1) -> LocalExpense:
    """A bill from Acme with (amount, tax code) lines."""
    return LocalExpense(id=f"bill-{n}", vendor_id=ACME.id, entity="Bill",
                        lines=[LocalExpenseLine(amount=Decimal(a), tax_code=c) for a, c in lines])


class Company:
    """One fake company with its own client, store and a spy on the batches sent."""

    def __init__(self, fake: FakeQBO, clock: FakeClock, **company: Any) -> None:
        self.fake = fake
        self.realm = fake.add_company(company_name="Tax Test", **company)
        self.spy = Spy(fake.transport())
        self.client = make_client(fake, clock, self.realm, transport=self.spy)
        self.clock = clock

    def engine(self, **options: Any) -> SyncEngine:
        return make_engine(self.client, MemoryStore(), self.clock, **options)

    def stored(self, entity: str) -> dict[str, Any]:
        [obj] = self.fake.objects(self.realm, entity)
        return obj


@pytest.fixture
def companies(fake_qbo: FakeQBO, qbo_clock: FakeClock) -> Iterator[list[Company]]:
    made: list[Company] = []
    yield made
    for company in made:
        company.client.close()


@pytest.fixture
def uk(fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]) -> Company:
    """A UK company with VAT codes: 20 % standard, 5 % reduced, and two 0 % codes."""
    company = Company(fake_qbo, qbo_clock, country="GB")
    for name, rate in (("20.0% S", 20), ("5.0% R", 5), ("0.0% Z", 0), ("Exempt", 0)):
        fake_qbo.add_tax_code(company.realm, name, sales={f"{name} (sales)": rate},
                              purchase={f"{name} (purchases)": rate})
    companies.append(company)
    return company


def code_id(company: Company, name: str) -> str:
    return next(c["Id"] for c in company.fake.objects(company.realm, "TaxCode")
                if c["Name"] == name)


def test_tax_codes_come_with_their_rates_and_suggestions_pair_unambiguous_ones(
    uk: Company
) -> None:
    """Two queries read every code with its sales and purchase rate; 0 % has two candidates."""
    engine = uk.engine()
    codes = {c.name: c for c in engine.tax_codes()}
    assert codes["20.0% S"].sales_rate == Decimal(20)
    assert codes["5.0% R"].purchase_rate == Decimal(5)
    assert [r.name for r in codes["20.0% S"].sales_rates] == ["20.0% S (sales)"]
    suggested = engine.suggest_tax_codes({"standard": Decimal(20), "reduced": Decimal("5.0"),
                                          "zero": Decimal(0), "odd": Decimal(7)})
    assert suggested == {"standard": code_id(uk, "20.0% S"), "reduced": code_id(uk, "5.0% R")}


def test_a_us_company_pairs_rates_with_its_sales_tax_code_or_tax_non(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]
) -> None:
    """US: a rate a code carries pairs with it; other rates go to TAX, zero to NON."""
    us = Company(fake_qbo, qbo_clock, automated_sales_tax=False)
    companies.append(us)
    california = fake_qbo.add_tax_code(us.realm, "California", sales={"CA 8%": 8})["Id"]
    suggested = us.engine().suggest_tax_codes({"ca": Decimal(8), "ny": Decimal("8.875"),
                                               "none": Decimal(0)})
    assert suggested == {"ca": california, "ny": "TAX", "none": "NON"}


def test_us_manual_sales_tax_sends_tax_non_and_the_rate_code_and_qbo_totals_it(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]
) -> None:
    """Lines say TAX/NON; the transaction names the rate code; 8 % of the taxable 100.00."""
    us = Company(fake_qbo, qbo_clock, automated_sales_tax=False)
    companies.append(us)
    california = fake_qbo.add_tax_code(us.realm, "California", sales={"CA 8%": 8})["Id"]
    engine = us.engine()
    engine.map_tax_codes({"taxable": california, "exempt": "NON"})
    report = engine.push([AMY, invoice(("100.00", "taxable"), ("50.00", "exempt"), ("5", None))])
    assert report.status is RunStatus.SUCCESS, report.failures
    [sent] = us.spy.sent("Invoice")
    assert [ln["SalesItemLineDetail"].get("TaxCodeRef") for ln in sent["Line"]] == \
        [{"value": "TAX"}, {"value": "NON"}, None]
    assert sent["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": california}}
    stored = us.stored("Invoice")
    assert Decimal(str(stored["TxnTaxDetail"]["TotalTax"])) == Decimal("8.00")
    assert Decimal(str(stored["TotalAmt"])) == Decimal("163.00")
    assert engine.push([AMY, invoice(("100.00", "taxable"), ("50.00", "exempt"),
                                     ("5", None))]).write_requests == 0


def test_two_sales_tax_rates_on_one_us_invoice_are_refused(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]
) -> None:
    """A US transaction has one sales-tax code: two mapped rate codes fail the record."""
    us = Company(fake_qbo, qbo_clock, automated_sales_tax=False)
    companies.append(us)
    ca = fake_qbo.add_tax_code(us.realm, "California", sales={"CA 8%": 8})["Id"]
    ny = fake_qbo.add_tax_code(us.realm, "New York", sales={"NY 4%": 4})["Id"]
    engine = us.engine()
    engine.map_tax_codes({"ca": ca, "ny": ny})
    failed = engine.push([AMY, invoice(("1", "ca"), ("1", "ny"))]).outcome("Invoice", "inv-1")
    assert failed.reason == "invalid_record"
    assert "one sales-tax rate" in (failed.message or "")


def test_automated_sales_tax_sends_no_tax_detail_and_qbo_computes_it(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]
) -> None:
    """With AST on, even a product code mapped to a rate code sends no TxnTaxDetail."""
    us = Company(fake_qbo, qbo_clock)  # a new US company has AST on
    companies.append(us)
    fake_qbo.set_automated_sales_tax(us.realm, rate=5)
    california = fake_qbo.add_tax_code(us.realm, "California", sales={"CA 8%": 8})["Id"]
    engine = us.engine()
    engine.map_tax_codes({"taxable": california, "exempt": "NON"})
    report = engine.push([AMY, invoice(("100.00", "taxable"), ("40.00", "exempt"))])
    assert report.status is RunStatus.SUCCESS, report.failures
    [sent] = us.spy.sent("Invoice")
    assert "TxnTaxDetail" not in sent
    assert "GlobalTaxCalculation" not in sent
    assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in sent["Line"]] == \
        ["TAX", "NON"]
    assert Decimal(str(us.stored("Invoice")["TotalAmt"])) == Decimal("145.00")


def test_the_engine_option_overrides_what_preferences_say_about_ast(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, companies: list[Company]
) -> None:
    """``automated_sales_tax=False`` sends the rate code even when PartnerTaxEnabled is on."""
    us = Company(fake_qbo, qbo_clock)
    companies.append(us)
    california = fake_qbo.add_tax_code(us.realm, "California", sales={"CA 8%": 8})["Id"]
    engine = us.engine(automated_sales_tax=False)
    engine.map_tax_codes({"taxable": california})
    engine.push([AMY, invoice(("10", "taxable"))])
    [sent] = us.spy.sent("Invoice")
    assert sent["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": california}}


def test_vat_tax_excluded_invoices_and_bills_carry_real_codes_and_qbo_adds_tax(
    uk: Company
) -> None:
    """Non-US: every line names its TaxCode, GlobalTaxCalculation is TaxExcluded; 20 % on top."""
    engine = uk.engine()
    engine.map_tax_codes({"standard": code_id(uk, "20.0% S"), "zero": code_id(uk, "0.0% Z")})
    report = engine.push([AMY, ACME, invoice(("100.00", "standard"), ("30.00", "zero")),
                          bill(("50.00", "standard"))])
    assert report.status is RunStatus.SUCCESS, report.failures
    [sent] = uk.spy.sent("Invoice")
    assert sent["GlobalTaxCalculation"] == "TaxExcluded"
    assert "TxnTaxDetail" not in sent
    assert sent["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == \
        {"value": code_id(uk, "20.0% S")}
    assert Decimal(str(uk.stored("Invoice")["TotalAmt"])) == Decimal("150.00")
    assert Decimal(str(uk.stored("Bill")["TotalAmt"])) == Decimal("60.00")


def test_vat_tax_inclusive_amounts_are_split_into_net_and_gross(uk: Company) -> None:
    """TaxInclusive: the product's gross goes in TaxInclusiveAmt, the net in Amount; totals hold."""
    engine = uk.engine(tax_calculation="TaxInclusive")
    engine.map_tax_codes({"standard": code_id(uk, "20.0% S"), "reduced": code_id(uk, "5.0% R")})
    report = engine.push([AMY, ACME, invoice(("120.00", "standard"), ("21.00", "reduced")),
                          bill(("60.00", "standard"))])
    assert report.status is RunStatus.SUCCESS, report.failures
    [sent] = uk.spy.sent("Invoice")
    assert sent["GlobalTaxCalculation"] == "TaxInclusive"
    first = sent["Line"][0]
    assert (first["Amount"], first["SalesItemLineDetail"]["TaxInclusiveAmt"]) == \
        (Decimal("100.00"), Decimal("120.00"))
    stored = uk.stored("Invoice")
    assert Decimal(str(stored["TotalAmt"])) == Decimal("141.00")
    assert Decimal(str(stored["TxnTaxDetail"]["TotalTax"])) == Decimal("21.00")
    assert Decimal(str(uk.stored("Bill")["TotalAmt"])) == Decimal("60.00")
    assert engine.push([AMY, ACME, invoice(("120.00", "standard"), ("21.00", "reduced")),
                        bill(("60.00", "standard"))]).requests == 0


def test_an_unmapped_tax_code_fails_the_record_naming_the_line(uk: Company) -> None:
    """Invoice or expense: mapping_missing, 'line 2', the code, and nothing sent for it."""
    engine = uk.engine()
    engine.map_tax_codes({"standard": code_id(uk, "20.0% S")})
    report = engine.push([AMY, ACME, invoice(("10", "standard"), ("5", "zero-rated")),
                          bill(("10", "standard"), ("4", "reverse-charge"))])
    failed = report.outcome("Invoice", "inv-1")
    assert failed.reason == "mapping_missing"
    assert failed.message == ("line 2: tax code 'zero-rated' is not mapped to a QBO TaxCode "
                              "(Settings.tax_code_mapping)")
    assert report.outcome("Bill", "bill-1").message.startswith(  # type: ignore[union-attr]
        "line 2: tax code 'reverse-charge' is not mapped")
    assert uk.spy.sent("Invoice") == []
    assert uk.spy.sent("Bill") == []


def test_the_company_is_read_once_per_run_and_only_when_needed(uk: Company) -> None:
    """Preferences and CompanyInfo: one read each per run that maps transactions, none else."""
    engine = uk.engine()
    engine.map_tax_codes({"standard": code_id(uk, "20.0% S")})
    untaxed = engine.push([AMY, invoice(("5", None), n=1)])
    assert untaxed.status is RunStatus.SUCCESS, untaxed.failures
    [sent] = uk.spy.sent("Invoice")
    assert sent["GlobalTaxCalculation"] == "NotApplicable"  # no code, no tax: still said
    assert Decimal(str(uk.stored("Invoice")["TotalAmt"])) == Decimal(5)
    taxed = engine.push([invoice(*[("1", "standard")] * 3, n=n) for n in range(2, 6)])
    assert taxed.total("created") == 4
    # candidates (1 query) + Preferences + CompanyInfo + 1 batch
    assert taxed.requests == 4
    assert engine.push([AMY]).requests == 0  # unchanged: nothing read


def test_outside_the_us_every_line_or_none_has_a_tax_code(uk: Company) -> None:
    """A VAT company's invoice with one line uncoded fails before sending, naming the line."""
    engine = uk.engine()
    engine.map_tax_codes({"standard": code_id(uk, "20.0% S")})
    failed = engine.push([AMY, invoice(("10", "standard"), ("5", None))]).outcome("Invoice",
                                                                                 "inv-1")
    assert failed.reason == "invalid_record"
    assert (failed.message or "").startswith("line 2 has no tax code")
    assert uk.spy.sent("Invoice") == []


def test_pulled_lines_carry_the_products_tax_codes(uk: Company) -> None:
    """A pull maps each line's TaxCode back to the product's code when exactly one maps to it;
    a QBO code two product codes share (or none) comes back as QBO's id."""
    engine = uk.engine()
    standard, exempt = code_id(uk, "20.0% S"), code_id(uk, "Exempt")
    engine.map_tax_codes({"standard": standard, "exempt-a": exempt, "exempt-b": exempt})
    assert engine.push([AMY]).status is RunStatus.SUCCESS
    customer = engine.store.get_links(uk.realm, "Customer", [AMY.id])[AMY.id].qbo_id
    item = uk.fake.objects(uk.realm, "Item")[0]["Id"]

    def line(amount: str, code: str) -> dict[str, Any]:
        return {"Amount": amount, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item},
                                        "TaxCodeRef": {"value": code}}}

    uk.client.invoices.create({
        "CustomerRef": {"value": customer}, "GlobalTaxCalculation": "TaxExcluded",
        "Line": [line("100.00", standard), line("10.00", exempt),
                 line("5.00", code_id(uk, "5.0% R"))],
    })
    sink = RecordingSink()
    engine.pull(sink)
    [created] = [c for c in sink.changes if c.entity == "Invoice"]
    assert [ln.tax_code for ln in created.record.lines] == \
        ["standard", exempt, code_id(uk, "5.0% R")]
