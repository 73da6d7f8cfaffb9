"""The vendor side: bill payments and the bills they pay.

A bill payment (XSD ``BillPayment``) pays one vendor's bills by check
(``CheckPayment.BankAccountRef``) or credit card
(``CreditCardPayment.CCAccountRef``), one line per bill it links
[REF-BILLPAYMENT]. The bill's ``Balance`` is its total less what live bill
payments apply to it; the realm refreshes it after every write, as it does
for invoices and customer payments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_lines import linked_lines
from qbo_sync.testing._fake._core_values import (
    ZERO,
    as_decimal,
    as_dict,
    as_str,
    money,
)
from qbo_sync.testing._fake._core_view import RealmView, resolve_ref
from qbo_sync.testing._fake._entities import Ref

__all__ = ["bill_balance", "bill_payment"]

_PAY_TYPES = {
    "Check": ("CheckPayment", Ref("BankAccountRef", ("Account",))),
    "CreditCard": ("CreditCardPayment", Ref("CCAccountRef", ("Account",))),
}
# VendorCredit and JournalEntry may be linked too in QBO; the fake models neither.
_LINKABLE = ("Bill",)


def bill_payment(view: RealmView, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Validate a bill payment and its lines; fill the A/P account QBO defaults to."""
    pay_type = as_str(obj["PayType"], "PayType")
    if pay_type not in _PAY_TYPES:
        raise faults.FaultError(
            "2170", "Invalid Enumeration", f"Invalid Enumeration : {pay_type}", element="PayType"
        )
    holder, account_ref = _PAY_TYPES[pay_type]
    other = next(key for key, _ in _PAY_TYPES.values() if key != holder)
    obj.pop(other, None)
    detail = as_dict(obj.get(holder) or {}, holder)
    element = f"{holder}.{account_ref.key}"
    if detail.get(account_ref.key) is None:
        raise faults.required(element)
    resolve_ref(view, detail, account_ref, element)
    obj[holder] = detail
    if pay_type == "Check":
        detail.setdefault("PrintStatus", "NotSet")
    total = as_decimal(obj["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business("TotalAmt cannot be negative", "TotalAmt")
    applied = _lines(view, obj, old)
    # UNCERTAIN: the reference calls TotalAmt "the total of all the payments
    # from the BillPayment details"; whether QBO refuses a difference (or keeps
    # it as vendor credit) is not documented. The fake refuses it.
    if applied != total:
        raise faults.business(
            f"the lines of this bill payment add up to {money(applied)} but its TotalAmt is "
            f"{money(total)}",
            "TotalAmt",
        )
    obj["TotalAmt"] = money(total)
    if obj.get("APAccountRef") is None:
        account = view.payables_account()
        if account is not None:
            obj["APAccountRef"] = {"value": account["Id"], "name": account.get("Name")}


def _lines(view: RealmView, obj: dict[str, Any], old: dict[str, Any] | None) -> Decimal:
    lines, per_bill = linked_lines(
        view, obj, old, party="VendorRef", targets=_LINKABLE, what="bill payment", others=False
    )
    obj["Line"] = lines
    return sum(per_bill.values(), ZERO)


def bill_balance(view: RealmView, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Set a bill's Balance (its total less what bill payments apply) and keep its links."""
    total = Decimal(obj["TotalAmt"])
    applied = ZERO if old is None else view.applied("Bill", old["Id"], excluding=None)
    if total < applied:
        raise faults.business(
            f"the new total {money(total)} is less than the {money(applied)} already paid on it",
            "Line",
        )
    obj["Balance"] = money(total - applied)
    if old is not None and old.get("LinkedTxn"):
        obj["LinkedTxn"] = list(old["LinkedTxn"])
