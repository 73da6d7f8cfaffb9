"""Sales and purchase tax for the simple cases, so tests see the totals QBO would send.

QBO has two tax models [QBO-TAX-US][QBO-TAX-NONUS] and the fake follows
both where the rules are plain arithmetic:

- **US, manual sales tax** (``Preferences.TaxPrefs.PartnerTaxEnabled`` false):
  lines carry the pseudo codes ``TAX``/``NON``; ``TxnTaxDetail.TxnTaxCodeRef``
  (else ``TaxPrefs.TaxGroupCodeRef``) names a TaxCode whose
  ``SalesTaxRateList`` lists TaxRates. Each rate taxes the sum of the ``TAX``
  lines; one ``TaxLine`` per rate.
- **US, automated sales tax** (AST, ``PartnerTaxEnabled`` true): QBO picks
  the code itself from the addresses and overrides any code sent
  [QBO-AST-BLOG]. The fake cannot know real rates: it charges one
  configurable percent (``Realm.ast_rate``, default 0) on ``TAX`` lines and
  leaves ``TxnTaxCodeRef`` as sent. A fake simplification.
- **Other countries** (VAT/GST): every line names a real TaxCode (no pseudo
  codes); the code's ``SalesTaxRateList`` (sales) or ``PurchaseTaxRateList``
  (bills, expenses) gives the rates; ``GlobalTaxCalculation`` says whether
  line amounts exclude tax (``TaxExcluded``), include it (``TaxInclusive``)
  or carry none (``NotApplicable``).

An explicit ``TxnTaxDetail.TotalTax`` (sent on create, or changed on update)
is kept instead of the computed one: the AST engine "honors the amount"
[QBO-AST-BLOG]. UNCERTAIN for manual US tax and VAT/GST companies, where a
2013 report says overrides were ignored [SO-19300885]; the fake honours them
everywhere, as it did before it computed tax. Tax is charged before discounts
(``ApplyTaxAfterDiscount`` is not modelled). US purchases carry no computed tax.

Sources (developer.intuit.com pages under ``app/developer/qbo/docs/workflows/``):
    [QBO-TAX-US] ``manage-sales-tax-for-us-locales``
    [QBO-TAX-NONUS] ``manage-sales-tax-for-non-us-locales``
    [QBO-AST-BLOG] developer.intuit.com/hub/blog/2017/12/11/
    using-quickbooks-online-api-automated-sales-tax/
    [SO-19300885] stackoverflow.com/questions/19300885 (QuickBooks IPP v3 sales tax issue)
    [QBRUBY-346] github.com/ruckus/quickbooks-ruby/issues/346 (TaxInclusiveAmt)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_values import (
    ZERO,
    as_dict,
    as_str,
    money,
    opt_decimal,
    ref_value,
)
from qbo_sync.testing._fake._core_view import RealmView, resolve_ref
from qbo_sync.testing._fake._entities import TAX_PSEUDO, EntitySpec, Ref

__all__ = ["GLOBAL_TAX_MODES", "TAX_OVERRIDE", "txn_tax"]

#: Key the rules set on a candidate whose TotalTax is an explicit override;
#: the realm pops it before storing and remembers the override.
TAX_OVERRIDE = "__fake_tax_override__"
GLOBAL_TAX_MODES = ("TaxExcluded", "TaxInclusive", "NotApplicable")
_SALES_FORMS = ("Invoice", "CreditMemo", "SalesReceipt", "Estimate")
_TAX_CODE = Ref("TaxCodeRef", ("TaxCode",))
_TXN_TAX_CODE = Ref("TxnTaxCodeRef", ("TaxCode",))
_HUNDRED = Decimal(100)


def txn_tax(
    view: RealmView,
    spec: EntitySpec,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    lines: list[dict[str, Any]],
) -> tuple[Decimal, Decimal]:
    """Compute a transaction's tax; set ``TxnTaxDetail`` (and line nets when tax-inclusive).

    Args:
        view: The company.
        spec: The transaction's entity (sales form, ``Bill`` or ``Purchase``).
        obj: The candidate; ``TxnTaxDetail`` and ``GlobalTaxCalculation`` are set.
        old: The stored version on update.
        lines: The candidate's lines (already validated); tax-inclusive lines
            get their net ``Amount`` and ``TaxInclusiveAmt``.

    Returns:
        (the sum of the taxable-kind lines' amounts after any tax-inclusive
        conversion, the tax to add to it).
    """
    purchase = not spec.sales_lines
    country = view.country()
    if country == "US" and purchase:
        return _line_sum(lines, purchase), ZERO
    sent = as_dict(obj.get("TxnTaxDetail") or {}, "TxnTaxDetail")
    override = _override(view, spec, sent, old)
    if country == "US":
        detail, tax = _us_sales(view, sent, lines)
        subtotal = _line_sum(lines, purchase)
    else:
        mode = _global_mode(spec, obj)
        subtotal, detail, tax = _by_line(view, mode, lines, purchase=purchase)
    if override is not None:
        obj[TAX_OVERRIDE] = True
        detail = {**sent, "TotalTax": money(override)}
        tax = override
    obj["TxnTaxDetail"] = detail
    return subtotal, tax


def _override(
    view: RealmView, spec: EntitySpec, sent: dict[str, Any], old: dict[str, Any] | None
) -> Decimal | None:
    value = opt_decimal(sent, "TotalTax", "TxnTaxDetail.TotalTax")
    if value is None:
        return None
    if old is None or view.tax_overridden(spec.name, old["Id"]):
        return value
    before = (old.get("TxnTaxDetail") or {}).get("TotalTax")
    # The TotalTax a client read back and sends unchanged is not an override.
    return None if before is not None and Decimal(before) == value else value


def _line_sum(lines: list[dict[str, Any]], purchase: bool) -> Decimal:
    kinds = _EXPENSE if purchase else ("SalesItemLineDetail", "GroupLineDetail")
    return sum((Decimal(line["Amount"]) for line in lines if line["DetailType"] in kinds), ZERO)


_EXPENSE = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")


def _us_sales(
    view: RealmView, sent: dict[str, Any], lines: list[dict[str, Any]]
) -> tuple[dict[str, Any], Decimal]:
    taxable = ZERO
    for line in lines:
        if line["DetailType"] == "SalesItemLineDetail":
            code = line["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value")
            if code == "TAX":
                taxable += Decimal(line["Amount"])
    detail: dict[str, Any] = dict(sent)
    detail.pop("TaxLine", None)
    tax_prefs = view.preferences().get("TaxPrefs") or {}
    if tax_prefs.get("PartnerTaxEnabled") is True:
        rate = view.automated_sales_tax_rate()
        tax = _round(taxable * rate / _HUNDRED)
        if tax:
            detail["TaxLine"] = [_tax_line(None, rate, taxable, tax)]
        detail["TotalTax"] = money(tax)
        return detail, tax
    if detail.get("TxnTaxCodeRef") is None and isinstance(tax_prefs.get("TaxGroupCodeRef"), dict):
        # UNCERTAIN: that QBO falls back to the company's default sales tax
        # code (TaxPrefs.TaxGroupCodeRef) when a transaction names none.
        detail["TxnTaxCodeRef"] = {"value": tax_prefs["TaxGroupCodeRef"].get("value")}
    code = resolve_ref(view, detail, _TXN_TAX_CODE, "TxnTaxDetail.TxnTaxCodeRef")
    if code is None:
        detail["TotalTax"] = 0
        return detail, ZERO
    tax_lines, tax = _rate_lines(view, _rates(view, code, "SalesTaxRateList"), taxable)
    if tax_lines:
        detail["TaxLine"] = tax_lines
    detail["TotalTax"] = money(tax)
    return detail, tax


def _global_mode(spec: EntitySpec, obj: dict[str, Any]) -> str:
    raw = obj.get("GlobalTaxCalculation")
    if raw is None:
        # Non-US sales forms must say how tax applies [REF-INVOICE]; for bills
        # and expenses the fake assumes TaxExcluded (UNCERTAIN).
        if spec.name in _SALES_FORMS:
            raise faults.required("GlobalTaxCalculation")
        raw = "TaxExcluded"
    mode = as_str(raw, "GlobalTaxCalculation")
    if mode not in GLOBAL_TAX_MODES:
        raise faults.FaultError(
            "2170",
            "Invalid Enumeration",
            f"Invalid Enumeration : {mode}",
            element="GlobalTaxCalculation",
        )
    obj["GlobalTaxCalculation"] = mode
    return mode


def _by_line(
    view: RealmView, mode: str, lines: list[dict[str, Any]], *, purchase: bool
) -> tuple[Decimal, dict[str, Any], Decimal]:
    list_key = "PurchaseTaxRateList" if purchase else "SalesTaxRateList"
    kinds = _EXPENSE if purchase else ("SalesItemLineDetail",)
    subtotal = ZERO
    per_rate: dict[str, tuple[Decimal, Decimal]] = {}  # rate id -> (percent, net taxable)
    order: list[str] = []
    for line in lines:
        kind = line["DetailType"]
        if kind == "GroupLineDetail" and not purchase:
            subtotal += Decimal(line["Amount"])
            continue
        if kind not in kinds:
            continue
        detail = line[kind]
        element = f"Line.{kind}.TaxCodeRef"
        amount = Decimal(line["Amount"])
        code_id = _line_code(detail, element, mode)
        if code_id is None:
            subtotal += amount
            continue
        code = view.target(_TAX_CODE, code_id, element)[1]
        rates = _rates(view, code, list_key)
        if mode == "TaxInclusive":
            # UNCERTAIN: a quickbooks-ruby maintainer found QBO reads Amount as
            # net whatever GlobalTaxCalculation says, the gross going in
            # TaxInclusiveAmt [QBRUBY-346]. The fake takes TaxInclusiveAmt as
            # the gross when sent, else Amount, and stores QBO's shape: net
            # Amount plus TaxInclusiveAmt.
            gross = opt_decimal(detail, "TaxInclusiveAmt", f"Line.{kind}.TaxInclusiveAmt")
            gross = amount if gross is None else gross
            percent = sum((value for _, value in rates), ZERO)
            amount = _round(gross / (1 + percent / _HUNDRED))
            line["Amount"] = money(amount)
            detail["TaxInclusiveAmt"] = money(gross)
        subtotal += amount
        for rate_id, percent in rates:
            if rate_id not in per_rate:
                order.append(rate_id)
            _, net = per_rate.get(rate_id, (percent, ZERO))
            per_rate[rate_id] = (percent, net + amount)
    detail_out: dict[str, Any] = {}
    tax = ZERO
    if mode != "NotApplicable":
        tax_lines = []
        for rate_id in order:
            percent, net = per_rate[rate_id]
            rate_tax = _round(net * percent / _HUNDRED)
            tax += rate_tax
            tax_lines.append(_tax_line(rate_id, percent, net, rate_tax))
        if tax_lines:
            detail_out["TaxLine"] = tax_lines
    detail_out["TotalTax"] = money(tax)
    return subtotal, detail_out, tax


def _line_code(detail: dict[str, Any], element: str, mode: str) -> str | None:
    raw = detail.get("TaxCodeRef")
    if raw is None:
        if mode == "NotApplicable":
            return None
        # UNCERTAIN: the fault code QBO uses for a VAT/GST line without a tax
        # code; the rule itself is in [QBO-TAX-NONUS] ("for each taxable line").
        raise faults.business("every line needs a TaxCodeRef in this company", element)
    code = ref_value(raw, element)
    if code in TAX_PSEUDO:
        # TAX/NON exist in US companies only [QBO-TAX-US].
        raise faults.not_found(element)
    return None if mode == "NotApplicable" else code


def _rates(view: RealmView, code: dict[str, Any], list_key: str) -> list[tuple[str, Decimal]]:
    """(TaxRate id, percent) for each rate of ``code``'s sales or purchase list."""
    found: list[tuple[str, Decimal]] = []
    for item in (code.get(list_key) or {}).get("TaxRateDetail") or []:
        rate_id = str((item.get("TaxRateRef") or {}).get("value", ""))
        rate = view.live("TaxRate", rate_id) if rate_id else None
        if rate is not None:
            found.append((rate_id, Decimal(rate.get("RateValue", 0))))
    return found


def _rate_lines(
    view: RealmView, rates: list[tuple[str, Decimal]], taxable: Decimal
) -> tuple[list[dict[str, Any]], Decimal]:
    lines = []
    tax = ZERO
    for rate_id, percent in rates:
        rate_tax = _round(taxable * percent / _HUNDRED)
        tax += rate_tax
        lines.append(_tax_line(rate_id, percent, taxable, rate_tax))
    return lines, tax


def _tax_line(
    rate_id: str | None, percent: Decimal, net: Decimal, tax: Decimal
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "PercentBased": True,
        "TaxPercent": percent,
        "NetAmountTaxable": money(net),
    }
    if rate_id is not None:
        detail = {"TaxRateRef": {"value": rate_id}, **detail}
    return {"Amount": money(tax), "DetailType": "TaxLineDetail", "TaxLineDetail": detail}


def _round(value: Decimal) -> Decimal:
    return Decimal(money(value))
