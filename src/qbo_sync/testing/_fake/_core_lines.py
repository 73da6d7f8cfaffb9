"""Transaction lines: sales, expense, deposit and payment lines, and the totals they make."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_tax import txn_tax
from qbo_sync.testing._fake._core_values import (
    ZERO,
    as_decimal,
    as_dict,
    as_list,
    as_str,
    money,
    opt_decimal,
)
from qbo_sync.testing._fake._core_view import RealmView, parse_date, resolve_ref
from qbo_sync.testing._fake._entities import CLASS_REF, TAX_PSEUDO, EntitySpec, Ref

__all__ = ["payment_lines", "plain_lines", "sales_lines", "sales_subtotal"]

_SALES_TYPES = (
    "SalesItemLineDetail",
    "GroupLineDetail",
    "DescriptionOnly",
    "DiscountLineDetail",
    "SubTotalLineDetail",
)
_EXPENSE_TYPES = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
_LINKABLE = ("Invoice", "CreditMemo")
_ITEM_REF = Ref("ItemRef", ("Item",))
_TAX_CODE_REF = Ref("TaxCodeRef", ("TaxCode",), TAX_PSEUDO)
_CUSTOMER_REF = Ref("CustomerRef", ("Customer",))


def _line_class(view: RealmView, detail: dict[str, Any], element: str) -> None:
    # UNCERTAIN: whether QBO ignores or refuses a ClassRef when the company's
    # class tracking (Preferences.AccountingInfoPrefs) is off is not documented;
    # the fake checks the class exists and stores it either way.
    if detail.get("ClassRef") is not None:
        resolve_ref(view, detail, CLASS_REF, f"{element}.ClassRef")


def _line_ids(lines: Iterable[dict[str, Any]], old: dict[str, Any] | None) -> None:
    # Line Id > 0 that exists keeps its Id; missing/unknown Ids become new lines.
    known = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    taken = {int(i) for i in known if i.isdigit()}
    used: set[str] = set()
    for line in lines:
        raw = line.get("Id")
        text = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        if text in known and text not in used:
            used.add(text)
        else:
            line.pop("Id", None)
    next_id = max(taken | {int(i) for i in used}, default=0) + 1
    for number, line in enumerate(lines, start=1):
        if "Id" not in line:
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = number


def _amount(line: dict[str, Any], element: str) -> Decimal:
    value = opt_decimal(line, "Amount", f"{element}.Amount")
    if value is None:
        raise faults.required(f"{element}.Amount")
    return value


def sales_lines(
    view: RealmView,
    spec: EntitySpec,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    txn_date: date,
) -> None:
    raw_lines = as_list(obj.get("Line"), "Line")
    lines: list[dict[str, Any]] = []
    for raw in raw_lines:
        line = dict(as_dict(raw, "Line"))
        kind = as_str(line.get("DetailType") or "", "Line.DetailType")
        if not kind:
            raise faults.required("Line.DetailType")
        if kind not in _SALES_TYPES:
            raise faults.FaultError(
                "2170",
                "Invalid Enumeration",
                f"Invalid Enumeration : {kind}",
                element="Line.DetailType",
            )
        if kind == "SubTotalLineDetail":
            continue  # QBO adds its own subtotal line to every response
        lines.append(line)
    if not lines:
        raise faults.required("Line")
    subtotal = ZERO
    discount = ZERO
    for line in lines:
        kind = line["DetailType"]
        if kind == "SalesItemLineDetail":
            subtotal += _sales_item(view, line)
        elif kind == "GroupLineDetail":
            amount = opt_decimal(line, "Amount", "Line.Amount") or ZERO
            line["Amount"] = money(amount)
            subtotal += amount
        elif kind == "DescriptionOnly":
            line.pop("Amount", None)
            line.setdefault("DescriptionLineDetail", {})
    for line in lines:
        if line["DetailType"] == "DiscountLineDetail":
            detail = as_dict(line.setdefault("DiscountLineDetail", {}), "Line.DiscountLineDetail")
            _line_class(view, detail, "Line.DiscountLineDetail")
            percent = opt_decimal(
                detail, "DiscountPercent", "Line.DiscountLineDetail.DiscountPercent"
            )
            if detail.get("PercentBased") and percent is not None:
                amount = subtotal * percent / 100
            else:
                amount = _amount(line, "Line")
            line["Amount"] = money(amount)
            discount += amount
    _line_ids(lines, old)
    obj["Line"] = lines
    subtotal, tax = txn_tax(view, spec, obj, old, lines)
    total = subtotal - discount + tax
    if total < 0:
        raise faults.business("the transaction total cannot be negative", "Line")
    obj["TotalAmt"] = money(total)
    obj.setdefault("ApplyTaxAfterDiscount", False)
    obj.setdefault("PrintStatus", "NotSet")
    obj.setdefault("EmailStatus", "NotSet")
    customer = view.live("Customer", obj["CustomerRef"]["value"]) if "CustomerRef" in obj else None
    for key in ("BillAddr", "ShipAddr"):
        if obj.get(key) is None and customer and customer.get(key) is not None:
            obj[key] = dict(customer[key])
    if spec.name == "SalesReceipt":
        obj["Balance"] = 0
        if obj.get("DepositToAccountRef") is None:
            account = view.deposit_account()
            if account is not None:
                obj["DepositToAccountRef"] = {"value": account["Id"], "name": account.get("Name")}
        return
    applied = ZERO if old is None else view.applied(spec.name, old["Id"], excluding=None)
    if total < applied:
        raise faults.business(
            f"the new total {money(total)} is less than the {money(applied)} already applied to it",
            "Line",
        )
    obj["Balance"] = money(total - applied)
    obj["LinkedTxn"] = list((old or {}).get("LinkedTxn", []))
    if spec.name == "CreditMemo":
        obj["RemainingCredit"] = obj["Balance"]
    else:
        for key in (
            "AllowIPNPayment",
            "AllowOnlinePayment",
            "AllowOnlineCreditCardPayment",
            "AllowOnlineACHPayment",
        ):
            obj.setdefault(key, False)
        due = parse_date(obj, "DueDate")
        if due is None:
            days = _term_days(view, obj) or 0
            due = txn_date + timedelta(days=days)
        obj["DueDate"] = due.isoformat()


def _term_days(view: RealmView, obj: dict[str, Any]) -> int | None:
    ref = obj.get("SalesTermRef")
    if ref is not None:
        term = view.live("Term", ref["value"]) or {}
        days = term.get("DueDays")
        return int(days) if isinstance(days, int) else None
    return view.default_terms_days()


def _sales_item(view: RealmView, line: dict[str, Any]) -> Decimal:
    detail = as_dict(line.setdefault("SalesItemLineDetail", {}), "Line.SalesItemLineDetail")
    element = "Line.SalesItemLineDetail"
    if detail.get("ItemRef") is None:
        item = view.default_item()
        if item is not None:
            detail["ItemRef"] = {"value": item["Id"], "name": item.get("Name")}
    if detail.get("ItemRef") is not None:
        resolve_ref(view, detail, _ITEM_REF, f"{element}.ItemRef")
    _line_class(view, detail, element)
    if detail.get("TaxCodeRef") is None:
        # US lines default to the pseudo code NON; elsewhere the tax rules
        # decide whether a line without a code is acceptable.
        if view.country() == "US":
            detail["TaxCodeRef"] = {"value": "NON"}
    else:
        resolve_ref(view, detail, _TAX_CODE_REF, f"{element}.TaxCodeRef")
    qty = opt_decimal(detail, "Qty", f"{element}.Qty")
    price = opt_decimal(detail, "UnitPrice", f"{element}.UnitPrice")
    amount = opt_decimal(line, "Amount", "Line.Amount")
    if amount is None:
        if qty is None or price is None:
            raise faults.required("Line.Amount")
        amount = qty * price
    elif qty is not None and price is not None and money(qty * price) != money(amount):
        raise faults.FaultError(
            "6070",
            "Amount is not equal to UnitPrice * Qty",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
            element="Line.Amount",
        )
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    line["Amount"] = money(amount)
    return Decimal(line["Amount"])


def plain_lines(
    view: RealmView, spec: EntitySpec, raw_lines: list[Any], old: dict[str, Any] | None
) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for raw in raw_lines:
        line = dict(as_dict(raw, "Line"))
        line["Amount"] = _amount(line, "Line")
        kind = as_str(line.get("DetailType") or "", "Line.DetailType")
        if spec.expense_lines:
            if kind not in _EXPENSE_TYPES:
                raise faults.FaultError(
                    "2170",
                    "Invalid Enumeration",
                    f"Invalid Enumeration : {kind!r}",
                    element="Line.DetailType",
                )
            detail = as_dict(line.get(kind) or {}, f"Line.{kind}")
            target = "AccountRef" if kind == "AccountBasedExpenseLineDetail" else "ItemRef"
            if detail.get(target) is None:
                raise faults.required(f"Line.{kind}.{target}")
            entity = "Account" if target == "AccountRef" else "Item"
            resolve_ref(view, detail, Ref(target, (entity,)), f"Line.{kind}.{target}")
            _line_class(view, detail, f"Line.{kind}")
            for ref in (_TAX_CODE_REF, _CUSTOMER_REF):
                if detail.get(ref.key) is not None:
                    resolve_ref(view, detail, ref, f"Line.{kind}.{ref.key}")
            line[kind] = detail
        elif kind == "DepositLineDetail" or "DepositLineDetail" in line:
            line["DetailType"] = "DepositLineDetail"
            detail = as_dict(line.get("DepositLineDetail") or {}, "Line.DepositLineDetail")
            if detail.get("AccountRef") is not None:
                resolve_ref(
                    view,
                    detail,
                    Ref("AccountRef", ("Account",)),
                    "Line.DepositLineDetail.AccountRef",
                )
            _line_class(view, detail, "Line.DepositLineDetail")
            line["DepositLineDetail"] = detail
        elif line.get("LinkedTxn") is None:
            raise faults.required("Line.DepositLineDetail")
        if line["Amount"] < 0:
            raise faults.business("a line Amount cannot be negative", "Line.Amount")
        line["Amount"] = money(line["Amount"])
        lines.append(line)
    if not lines:
        raise faults.required("Line")
    _line_ids(lines, old)
    return lines


def linked_lines(
    view: RealmView,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    party: str,
    targets: tuple[str, ...],
    what: str,
    others: bool,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], Decimal]]:
    """Check the lines of a payment that apply amounts to linked transactions.

    Shared by customer payments (invoices, credit memos) and bill payments
    (bills): each line has a non-negative ``Amount`` and ``LinkedTxn``; a
    linked transaction of a ``targets`` type must be live and belong to the
    same ``party`` (``CustomerRef``/``VendorRef``), and no transaction may be
    paid beyond its open balance (payments of this object excluded).

    Args:
        view: The realm.
        obj: The payment being written.
        old: Its stored version, on an update.
        party: The party reference both sides carry.
        targets: Linked types whose amounts are checked and applied.
        what: The payment's name in messages (``payment``).
        others: Whether links of other types pass through unchecked (else refused).

    Returns:
        The clean lines, and the amount applied per (type, id).
    """
    party_id = obj[party]["value"]
    party_noun = party.removesuffix("Ref").lower()
    own_id = old["Id"] if old else None
    lines: list[dict[str, Any]] = []
    per_target: dict[tuple[str, str], Decimal] = {}
    for raw in as_list(obj.get("Line") or [], "Line"):
        line = dict(as_dict(raw, "Line"))
        amount = _amount(line, "Line")
        if amount < 0:
            raise faults.business(f"a {what} line Amount cannot be negative", "Line.Amount")
        links = as_list(line.get("LinkedTxn"), "Line.LinkedTxn")
        if not links:
            raise faults.required("Line.LinkedTxn")
        clean_links = []
        for raw_link in links:
            link = as_dict(raw_link, "Line.LinkedTxn")
            txn_id = as_str(link.get("TxnId") or "", "Line.LinkedTxn.TxnId")
            txn_type = as_str(link.get("TxnType") or "", "Line.LinkedTxn.TxnType")
            if not txn_id:
                raise faults.required("Line.LinkedTxn.TxnId")
            if txn_type in targets:
                target = view.live(txn_type, txn_id)
                if target is None:
                    raise faults.not_found("Line.LinkedTxn.TxnId")
                if target.get(party, {}).get("value") != party_id:
                    raise faults.business(
                        f"{txn_type} {txn_id} belongs to another {party_noun}",
                        "Line.LinkedTxn.TxnId",
                    )
                key = (txn_type, txn_id)
                per_target[key] = per_target.get(key, ZERO) + amount
            elif not others:
                raise faults.unsupported(f"a {what} linking a {txn_type!r} (fake QBO)")
            clean_links.append({**link, "TxnId": txn_id, "TxnType": txn_type})
        line["LinkedTxn"] = clean_links
        line["Amount"] = money(amount)
        lines.append(line)
    for (txn_type, txn_id), amount in per_target.items():
        target = view.live(txn_type, txn_id) or {}
        open_amount = Decimal(target.get("TotalAmt", 0)) - view.applied(
            txn_type, txn_id, excluding=own_id
        )
        if amount > open_amount:
            raise faults.business(
                f"the {money(amount)} applied to {txn_type} {txn_id} exceeds its open balance "
                f"{money(open_amount)}",
                "Line.Amount",
            )
    return lines, per_target


def payment_lines(view: RealmView, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    total = as_decimal(obj["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business("TotalAmt cannot be negative", "TotalAmt")
    lines, _ = linked_lines(
        view, obj, old, party="CustomerRef", targets=_LINKABLE, what="payment", others=True
    )
    applied = ZERO
    for line in lines:
        sign = -1 if line["LinkedTxn"][0]["TxnType"] == "CreditMemo" else 1
        applied += sign * Decimal(line["Amount"])
    if applied > total:
        raise faults.business(
            f"the payment applies {money(applied)} but its TotalAmt is {money(total)}", "TotalAmt"
        )
    obj["Line"] = lines
    obj["TotalAmt"] = money(total)
    obj["UnappliedAmt"] = money(total - applied)
    obj.setdefault("ProcessPayment", False)
    if obj.get("DepositToAccountRef") is None:
        account = view.deposit_account()
        if account is not None:
            obj["DepositToAccountRef"] = {"value": account["Id"], "name": account.get("Name")}


def sales_subtotal(obj: dict[str, Any]) -> Decimal | int:
    """The amount of the SubTotalLineDetail line QBO appends to sales forms."""
    total = ZERO
    for line in obj.get("Line", []):
        if line.get("DetailType") in ("SalesItemLineDetail", "GroupLineDetail"):
            total += Decimal(line.get("Amount", 0))
    return money(total)
