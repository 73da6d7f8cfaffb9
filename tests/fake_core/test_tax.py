"""The fake's tax arithmetic: US manual and automated sales tax, VAT/GST, purchases."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from qbo_sync.errors import DuplicateNameError


def _line(api: Any, amount: str, code: str | None, **detail: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ItemRef": {"value": api.services_id}, **detail}
    if code is not None:
        body["TaxCodeRef"] = {"value": code}
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": Decimal(amount),
        "SalesItemLineDetail": body,
    }


def _invoice(api: Any, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    customer = api.customer(f"Taxed {len(api.events)}")
    return api.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": list(lines), **extra}
    )


def _tax_code(api: Any, name: str, **sides: dict[str, str]) -> str:
    details = [
        {"TaxRateName": rate, "RateValue": value, "TaxAgencyId": "1", "TaxApplicableOn": side}
        for side, rates in sides.items()
        for rate, value in rates.items()
    ]
    answer = api.ok("POST", "taxservice/taxcode", body={"TaxCode": name, "TaxRateDetails": details})
    assert answer["TaxCode"] == name
    assert [d["TaxRateName"] for d in answer["TaxRateDetails"]] == [
        d["TaxRateName"] for d in details
    ]
    return str(answer["TaxCodeId"])


@pytest.fixture
def manual_us(make_api: Callable[..., Any]) -> Any:
    return make_api(automated_sales_tax=False)


@pytest.fixture
def gb(make_api: Callable[..., Any]) -> Any:
    return make_api(country="GB", company_name="Sandbox Company_GB_1")


def test_default_us_company_keeps_totals_without_tax_detail(api: Any) -> None:
    """The default (AST, rate 0) company charges no tax: totals are the line sums, as before."""
    invoice = _invoice(api, _line(api, "100.00", "TAX"), _line(api, "20.00", None))
    assert invoice["TxnTaxDetail"] == {"TotalTax": 0}
    assert invoice["TotalAmt"] == Decimal("120.00")
    assert invoice["Line"][1]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}


def test_us_manual_tax_code_with_two_rates(manual_us: Any) -> None:
    """TAX lines are taxed at each rate of TxnTaxCodeRef's code; NON lines are not."""
    api = manual_us
    code = _tax_code(api, "Oakland", Sales={"CA State": "6.25", "Oakland City": "2"})
    stored = api.get("TaxCode", code)
    rates = stored["SalesTaxRateList"]["TaxRateDetail"]
    assert [r["TaxRateRef"]["name"] for r in rates] == ["CA State", "Oakland City"]
    assert stored["PurchaseTaxRateList"] == {"TaxRateDetail": []}
    invoice = _invoice(
        api,
        _line(api, "100.00", "TAX"),
        _line(api, "50.00", "NON"),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": code}},
    )
    detail = invoice["TxnTaxDetail"]
    assert detail["TotalTax"] == Decimal("8.25")
    assert detail["TxnTaxCodeRef"] == {"value": code, "name": "Oakland"}
    state, city = detail["TaxLine"]
    assert state["Amount"] == Decimal("6.25")
    assert state["DetailType"] == "TaxLineDetail"
    assert state["TaxLineDetail"]["TaxRateRef"]["value"] == rates[0]["TaxRateRef"]["value"]
    assert state["TaxLineDetail"]["PercentBased"] is True
    assert state["TaxLineDetail"]["TaxPercent"] == Decimal("6.25")
    assert state["TaxLineDetail"]["NetAmountTaxable"] == Decimal("100.00")
    assert city["Amount"] == Decimal("2.00")
    assert invoice["TotalAmt"] == Decimal("158.25")
    assert invoice["Balance"] == Decimal("158.25")


def test_us_tax_rounds_half_up_and_follows_line_changes(manual_us: Any) -> None:
    """0.50 at 5 % is 0.03 (half up); a sparse line change recomputes the tax it carried."""
    api = manual_us
    code = _tax_code(api, "Five", Sales={"Five percent": "5"})
    invoice = _invoice(
        api, _line(api, "0.50", "TAX"), TxnTaxDetail={"TxnTaxCodeRef": {"value": code}}
    )
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("0.03")
    assert invoice["TotalAmt"] == Decimal("0.53")
    lines = [_line(api, "200.00", "TAX")]
    body = {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "Line": lines}
    updated = api.ok("POST", "invoice", body=body)["Invoice"]
    assert updated["TxnTaxDetail"]["TotalTax"] == Decimal("10.00")
    assert updated["TotalAmt"] == Decimal("210.00")


def test_explicit_total_tax_is_kept(manual_us: Any) -> None:
    """A TotalTax sent explicitly overrides the computed one and survives later updates."""
    api = manual_us
    code = _tax_code(api, "Ten", Sales={"Ten percent": "10"})
    invoice = _invoice(
        api,
        _line(api, "100.00", "TAX"),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": code}, "TotalTax": Decimal("7.77")},
    )
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("7.77")
    assert invoice["TotalAmt"] == Decimal("107.77")
    body = {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "kept"}
    assert api.ok("POST", "invoice", body=body)["Invoice"]["TotalAmt"] == Decimal("107.77")


def test_automated_sales_tax_uses_the_fake_rate(api: Any) -> None:
    """With AST on, the fake charges its configured percent on TAX lines, whatever code is sent."""
    api.ledger.set_automated_sales_tax(api.realm, rate="8.5")
    invoice = _invoice(
        api,
        _line(api, "100.00", "TAX"),
        _line(api, "40.00", "NON"),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": "TAX"}},
    )
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("8.50")
    assert invoice["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == Decimal(
        "100.00"
    )
    assert invoice["TotalAmt"] == Decimal("148.50")
    # AST honours an explicit amount (Intuit's 2017 AST blog post).
    explicit = _invoice(api, _line(api, "100.00", "TAX"), TxnTaxDetail={"TotalTax": 3})
    assert explicit["TotalAmt"] == Decimal("103.00")
    api.ledger.set_automated_sales_tax(api.realm, enabled=False)
    prefs = api.get("Preferences", "1")
    assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is False
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True


def test_gb_company_has_no_pseudo_codes_and_pounds(gb: Any) -> None:
    """A GB company has GBP as home currency and neither TAX nor NON."""
    assert gb.get("Preferences", "1")["CurrencyPrefs"]["HomeCurrency"] == {"value": "GBP"}
    assert gb.get("Preferences", "1")["TaxPrefs"]["PartnerTaxEnabled"] is False
    assert gb.query("SELECT * FROM TaxCode") == {}
    standard = _tax_code(gb, "20.0% S", Sales={"20.0% S (sales)": "20"})
    invoice = _invoice(gb, _line(gb, "10.00", standard), GlobalTaxCalculation="TaxExcluded")
    assert invoice["CurrencyRef"] == {"value": "GBP", "name": "British Pound Sterling"}
    pseudo = gb.fault(
        "POST",
        "invoice",
        body={
            "CustomerRef": invoice["CustomerRef"],
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [_line(gb, "10.00", "TAX")],
        },
    )
    assert pseudo["code"] == "610"
    assert pseudo["element"] == "Line.SalesItemLineDetail.TaxCodeRef"


def test_gb_tax_excluded(gb: Any) -> None:
    """TaxExcluded adds each code's rate on top; one TaxLine per rate; a missing code is refused."""
    standard = _tax_code(gb, "20.0% S", Sales={"20.0% S (sales)": "20"})
    zero = _tax_code(gb, "0.0% Z", Sales={"0.0% Z (sales)": "0"})
    invoice = _invoice(
        gb,
        _line(gb, "100.00", standard),
        _line(gb, "50.00", zero),
        _line(gb, "25.00", standard),
        GlobalTaxCalculation="TaxExcluded",
    )
    detail = invoice["TxnTaxDetail"]
    assert detail["TotalTax"] == Decimal("25.00")
    assert [t["Amount"] for t in detail["TaxLine"]] == [Decimal("25.00"), 0]
    assert [t["TaxLineDetail"]["NetAmountTaxable"] for t in detail["TaxLine"]] == [
        Decimal("125.00"),
        Decimal("50.00"),
    ]
    assert invoice["TotalAmt"] == Decimal("200.00")
    customer = invoice["CustomerRef"]
    missing_mode = gb.fault(
        "POST", "invoice", body={"CustomerRef": customer, "Line": [_line(gb, "1.00", standard)]}
    )
    assert missing_mode["element"] == "GlobalTaxCalculation"
    no_code = gb.fault(
        "POST",
        "invoice",
        body={
            "CustomerRef": customer,
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [_line(gb, "1.00", None)],
        },
    )
    assert no_code["element"] == "Line.SalesItemLineDetail.TaxCodeRef"


def test_gb_tax_inclusive_and_not_applicable(gb: Any) -> None:
    """TaxInclusive takes the gross from the line: net = gross / 1.2; NotApplicable adds nothing."""
    standard = _tax_code(gb, "20.0% S", Sales={"20.0% S (sales)": "20"})
    invoice = _invoice(
        gb,
        _line(gb, "120.00", standard),
        _line(gb, "0", standard, TaxInclusiveAmt=Decimal("10.00")),
        GlobalTaxCalculation="TaxInclusive",
    )
    first, second = invoice["Line"][:2]
    assert first["Amount"] == Decimal("100.00")
    assert first["SalesItemLineDetail"]["TaxInclusiveAmt"] == Decimal("120.00")
    assert second["Amount"] == Decimal("8.33")
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("21.67")
    assert invoice["TotalAmt"] == Decimal("130.00")
    plain = _invoice(gb, _line(gb, "120.00", None), GlobalTaxCalculation="NotApplicable")
    assert plain["TxnTaxDetail"] == {"TotalTax": 0}
    assert plain["TotalAmt"] == Decimal("120.00")
    bad = gb.fault(
        "POST",
        "invoice",
        body={
            "CustomerRef": plain["CustomerRef"],
            "GlobalTaxCalculation": "TaxIncluded",
            "Line": [_line(gb, "1.00", standard)],
        },
    )
    assert bad["code"] == "2170"


def test_gb_purchase_and_bill_use_purchase_rates(gb: Any) -> None:
    """Bills and expenses are taxed at the code's PurchaseTaxRateList, not its sales rates."""
    code = _tax_code(
        gb, "20.0% S", Sales={"20.0% S (sales)": "20"}, Purchase={"20.0% S (purchases)": "20"}
    )
    reduced = _tax_code(gb, "5.0% R", Sales={"5.0% R (sales)": "5"})
    vendor = gb.create("Vendor", {"DisplayName": "Supplier Ltd"})
    expense = gb.query("SELECT * FROM Account WHERE AccountType = 'Expense'")["Account"][0]
    bank = gb.query("SELECT * FROM Account WHERE AccountType = 'Bank'")["Account"][0]

    def line(amount: str, tax_code: str) -> dict[str, Any]:
        return {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": Decimal(amount),
            "AccountBasedExpenseLineDetail": {
                "AccountRef": {"value": expense["Id"]},
                "TaxCodeRef": {"value": tax_code},
            },
        }

    bill = gb.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [line("100.00", code)]})
    assert bill["GlobalTaxCalculation"] == "TaxExcluded"
    assert bill["TxnTaxDetail"]["TotalTax"] == Decimal("20.00")
    purchase_rate = gb.get("TaxCode", code)["PurchaseTaxRateList"]["TaxRateDetail"][0]
    assert bill["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["TaxRateRef"] == {
        "value": purchase_rate["TaxRateRef"]["value"]
    }
    assert bill["TotalAmt"] == Decimal("120.00")
    assert bill["Balance"] == Decimal("120.00")
    # A code with no purchase rates charges nothing on a purchase.
    purchase = gb.create(
        "Purchase",
        {
            "PaymentType": "Cash",
            "AccountRef": {"value": bank["Id"]},
            "GlobalTaxCalculation": "TaxInclusive",
            "Line": [line("60.00", code), line("10.00", reduced)],
        },
    )
    assert purchase["Line"][0]["Amount"] == Decimal("50.00")
    assert purchase["TxnTaxDetail"]["TotalTax"] == Decimal("10.00")
    assert purchase["TotalAmt"] == Decimal("70.00")


def test_us_purchases_carry_no_computed_tax(manual_us: Any) -> None:
    """A US expense's total is the sum of its lines; no TxnTaxDetail is made up."""
    api = manual_us
    bank = api.query("SELECT * FROM Account WHERE AccountType = 'Bank'")["Account"][0]
    expense = api.query("SELECT * FROM Account WHERE AccountType = 'Expense'")["Account"][0]
    purchase = api.create(
        "Purchase",
        {
            "PaymentType": "Check",
            "AccountRef": {"value": bank["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("12.34"),
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": expense["Id"]},
                        "TaxCodeRef": {"value": "TAX"},
                    },
                }
            ],
        },
    )
    assert purchase["TotalAmt"] == Decimal("12.34")
    assert "TxnTaxDetail" not in purchase


def test_tax_service_rules(gb: Any) -> None:
    """Duplicate names are 6240 with QBO's recorded text; reused and unknown rate ids."""
    _tax_code(gb, "Std", Sales={"Std rate": "20"})
    again = gb.fault(
        "POST",
        "taxservice/taxcode",
        body={
            "TaxCode": "Other",
            "TaxRateDetails": [
                {"TaxRateName": "std RATE", "RateValue": 5, "TaxAgencyId": "1"},
            ],
        },
    )
    assert again["code"] == "6240"
    assert "Another tax rate is already using this" in again["Detail"]
    rate_id = gb.query("SELECT * FROM TaxRate WHERE Name = 'Std rate'")["TaxRate"][0]["Id"]
    reuse = gb.ok(
        "POST",
        "taxservice/taxcode",
        body={
            "TaxCode": "Std purchases",
            "TaxRateDetails": [{"TaxRateId": rate_id, "TaxApplicableOn": "Purchase"}],
        },
    )
    assert reuse["TaxRateDetails"][0]["RateValue"] == Decimal("20")
    unknown = gb.fault(
        "POST",
        "taxservice/taxcode",
        body={"TaxCode": "X", "TaxRateDetails": [{"TaxRateId": "999"}]},
    )
    assert unknown["code"] == "610"
    with pytest.raises(DuplicateNameError):
        gb.ledger.add_tax_code(gb.realm, {"TaxCode": "std", "TaxRateDetails": [{"TaxRateId": "1"}]})
