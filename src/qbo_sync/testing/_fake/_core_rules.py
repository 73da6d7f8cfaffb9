"""Per-entity rules: validate a candidate body and fill QBO's defaults and derived fields.

Every function takes the candidate (the body for a create or full update,
the old object overlaid with the body for a sparse update) and returns the
object to store, or raises the fault QBO would send. Cross-object rules
(names, document numbers, balances) live in the realm; these functions ask
it through the :class:`RealmView` protocol.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_lines import payment_lines, plain_lines, sales_lines
from qbo_sync.testing._fake._core_tax import txn_tax
from qbo_sync.testing._fake._core_values import (
    ZERO,
    as_bool,
    as_dict,
    as_list,
    as_str,
    money,
    opt_decimal,
    opt_str,
    ref_value,
)
from qbo_sync.testing._fake._core_vendor import bill_balance, bill_payment
from qbo_sync.testing._fake._core_view import (
    RealmView,
    check_text,
    currency_ref,
    parse_date,
    resolve_ref,
)
from qbo_sync.testing._fake._entities import PARTY, EntitySpec

__all__ = ["normalize"]

_PAYMENT_TYPES = ("Cash", "Check", "CreditCard")
_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
_ITEM_TYPES = ("Service", "Inventory", "NonInventory", "Category")
_CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}


def normalize(
    view: RealmView, spec: EntitySpec, obj: dict[str, Any], old: dict[str, Any] | None
) -> dict[str, Any]:
    """Validate ``obj`` (a fresh dict the caller owns) and complete it for storage."""
    for key in spec.required:
        if obj.get(key) is None:
            raise faults.required(key)
    for ref in spec.refs:
        resolve_ref(view, obj, ref, ref.key)
    if "Active" in obj and obj["Active"] is not None:
        obj["Active"] = as_bool(obj["Active"], "Active")
    if spec.kind == "list":
        obj.setdefault("Active", True)
        if obj["Active"] is None:
            obj["Active"] = True
    if spec.name in PARTY:
        _party(view, spec, obj, old)
    elif spec.name == "Item":
        _item(view, obj)
    elif spec.name == "Account":
        _account(view, obj)
    elif spec.name == "Term":
        _term(obj)
    elif spec.name in _TRACKING:
        _tracking(view, spec, obj)
    elif spec.name == "PaymentMethod":
        _payment_method(obj)
    elif spec.kind == "txn":
        _transaction(view, spec, obj, old)
    return obj


def _party(
    view: RealmView, spec: EntitySpec, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    for key in _NAME_PARTS:
        check_text(obj, key, 100, plain=True)
    display = check_text(obj, "DisplayName", 500, plain=True)
    if not display:
        parts = [str(obj[key]) for key in _NAME_PARTS if obj.get(key)]
        if not parts:
            raise faults.required("DisplayName")
        display = " ".join(parts)
        obj["DisplayName"] = display
    if not check_text(obj, "PrintOnCheckName", 110):
        obj["PrintOnCheckName"] = display
    email = obj.get("PrimaryEmailAddr")
    if email is not None:
        address = opt_str(as_dict(email, "PrimaryEmailAddr"), "Address", "PrimaryEmailAddr.Address")
        if address is not None and ("@" not in address or "." not in address):
            raise faults.business(
                "Email Address does not conform to the syntax rules of RFC 822",
                "PrimaryEmailAddr.Address",
            )
    if spec.name == "Customer":
        # Recorded vendors and employees carry no FullyQualifiedName (all/vendors_by_5.yml).
        obj["FullyQualifiedName"] = display
    else:
        obj.pop("FullyQualifiedName", None)
    if spec.name == "Vendor":
        obj.setdefault("Vendor1099", False)
    if spec.name in ("Customer", "Vendor"):
        obj["Balance"] = (old or {}).get("Balance", 0)
        currency = obj.get("CurrencyRef")
        home = currency_ref(view.home_currency())
        if currency is None:
            obj["CurrencyRef"] = home
        elif old is not None and ref_value(currency, "CurrencyRef") != ref_value(
            old.get("CurrencyRef", home), "CurrencyRef"
        ):
            raise faults.business(
                "the currency of a customer or vendor cannot change", "CurrencyRef"
            )
    if spec.name == "Customer":
        _customer(view, obj, old)


def _customer(view: RealmView, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    parent_ref = obj.get("ParentRef")
    level = 0
    if parent_ref is not None:
        parent = view.live("Customer", parent_ref["value"]) or {}
        if old is not None and parent_ref["value"] == old.get("Id"):
            raise faults.business("a customer cannot be its own parent", "ParentRef")
        level = int(parent.get("Level", 0)) + 1
        if level > 4:
            raise faults.business("sub-customers nest at most 4 levels", "ParentRef")
        obj["FullyQualifiedName"] = f"{parent.get('FullyQualifiedName')}:{obj['DisplayName']}"
        obj.setdefault("Job", True)
    for key in ("Job", "BillWithParent", "Taxable"):
        if obj.get(key) is not None:
            obj[key] = as_bool(obj[key], key)
    obj.setdefault("Job", False)
    obj.setdefault("BillWithParent", False)
    # Recorded top-level customers carry no Level at all (get/id.yml); jobs do.
    if level:
        obj["Level"] = level
    else:
        obj.pop("Level", None)
    obj["BalanceWithJobs"] = (old or {}).get("BalanceWithJobs", 0)
    obj.setdefault("PreferredDeliveryMethod", "Print")
    # QBO refuses to inactivate a customer with an open balance
    # (recorded: qbo_rails/customer/delete.yml -> 6220).
    if old is not None and old.get("Active", True) and not obj["Active"] and old.get("Balance"):
        raise faults.FaultError(
            "6220",
            "Delete List Has Balance Error",
            "The entity you are trying to delete has an open balance. : This customer cannot "
            "be deleted because it has a non-zero balance.",
        )


def _item(view: RealmView, obj: dict[str, Any]) -> None:
    name = check_text(obj, "Name", 100, plain=True) or ""
    if not name:
        raise faults.required("Name")
    kind = as_str(obj["Type"], "Type")
    if kind not in _ITEM_TYPES:
        raise faults.FaultError(
            "2170", "Invalid Enumeration", f"Invalid Enumeration : {kind}", element="Type"
        )
    if kind in ("Service", "Inventory") and obj.get("IncomeAccountRef") is None:
        raise faults.required("IncomeAccountRef")
    if kind == "Inventory":
        for key in ("AssetAccountRef", "InvStartDate", "QtyOnHand"):
            if obj.get(key) is None:
                raise faults.required(key)
        obj["TrackQtyOnHand"] = True
    for key in ("UnitPrice", "PurchaseCost", "QtyOnHand"):
        value = opt_decimal(obj, key)
        if value is not None:
            obj[key] = value
    obj.setdefault("UnitPrice", 0)
    obj.setdefault("PurchaseCost", 0)
    obj.setdefault("TrackQtyOnHand", False)
    obj.setdefault("Taxable", False)
    if obj.get("ParentRef") is not None:
        obj["SubItem"] = True
    obj["FullyQualifiedName"] = _parent_path(view, "Item", obj, name)


def _parent_path(view: RealmView, entity: str, obj: dict[str, Any], name: str) -> str:
    parent_ref = obj.get("ParentRef")
    if parent_ref is None:
        obj.pop("Level", None)  # as recorded (deactivate/account.yml): top level has none
        return name
    parent = view.live(entity, parent_ref["value"]) or {}
    if obj.get("Id") is not None and parent_ref["value"] == obj.get("Id"):
        raise faults.business(f"an {entity} cannot be its own parent", "ParentRef")
    level = int(parent.get("Level", 0)) + 1
    if level > 4:
        raise faults.business("sub-levels nest at most 5 deep", "ParentRef")
    obj["Level"] = level
    return f"{parent.get('FullyQualifiedName', parent_ref['value'])}:{name}"


def _account(view: RealmView, obj: dict[str, Any]) -> None:
    name = check_text(obj, "Name", 100) or ""
    if not name:
        raise faults.required("Name")
    if ":" in name or '"' in name:
        raise faults.business('an account Name may not contain ":" or a double quote', "Name")
    kind = opt_str(obj, "AccountType")
    if kind is None and obj.get("AccountSubType") is None:
        raise faults.required("AccountType")
    if kind is not None and kind not in _CLASSIFICATION:
        raise faults.FaultError(
            "2170", "Invalid Enumeration", f"Invalid Enumeration : {kind}", element="AccountType"
        )
    obj["Classification"] = _CLASSIFICATION.get(kind or "", "Asset")
    obj["SubAccount"] = obj.get("ParentRef") is not None
    obj["FullyQualifiedName"] = _parent_path(view, "Account", obj, name)
    obj.setdefault("CurrentBalance", 0)
    obj.setdefault("CurrentBalanceWithSubAccounts", 0)
    obj.setdefault("CurrencyRef", currency_ref(view.home_currency()))


#: Class and Department: name lists with parents; the flag naming a child.
_TRACKING = {"Class": "SubClass", "Department": "SubDepartment"}
_PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")


def _tracking(view: RealmView, spec: EntitySpec, obj: dict[str, Any]) -> None:
    name = check_text(obj, "Name", 100, plain=True) or ""
    if not name:
        raise faults.required("Name")
    parent_ref = obj.get("ParentRef")
    path = name
    if parent_ref is not None:
        parent = view.live(spec.name, parent_ref["value"]) or {}
        own = obj.get("Id")
        parent_path = str(parent.get("FullyQualifiedName", parent_ref["value"]))
        if own is not None:
            own_path = str((view.live(spec.name, str(own)) or {}).get("FullyQualifiedName"))
            if parent_ref["value"] == own or parent_path.startswith(f"{own_path}:"):
                raise faults.business(
                    f"a {spec.name} cannot be its own parent or its descendant's child",
                    "ParentRef",
                )
        path = f"{parent_path}:{name}"
    # UNCERTAIN: how deep QBO lets classes and departments nest is not
    # documented; the fake sets no limit. Renaming a parent does not rename
    # its children's FullyQualifiedName here (as for items).
    obj["FullyQualifiedName"] = path
    obj[_TRACKING[spec.name]] = parent_ref is not None


def _payment_method(obj: dict[str, Any]) -> None:
    # UNCERTAIN: the 31-character limit and the NON_CREDIT_CARD default are
    # what the QBO UI does; the API reference does not state them.
    if not check_text(obj, "Name", 31):
        raise faults.required("Name")
    kind = opt_str(obj, "Type") or "NON_CREDIT_CARD"
    if kind not in _PAYMENT_METHOD_TYPES:
        raise faults.FaultError(
            "2170", "Invalid Enumeration", f"Invalid Enumeration : {kind}", element="Type"
        )
    obj["Type"] = kind


def _term(obj: dict[str, Any]) -> None:
    check_text(obj, "Name", 31)
    if not obj.get("Name"):
        raise faults.required("Name")
    due = opt_decimal(obj, "DueDays")
    day = opt_decimal(obj, "DayOfMonthDue")
    if due is not None:
        if not 0 <= due <= 999:
            raise faults.business("DueDays must be between 0 and 999", "DueDays")
        obj["DueDays"], obj["Type"] = int(due), "STANDARD"
    elif day is not None:
        if not 1 <= day <= 31:
            raise faults.business("DayOfMonthDue must be between 1 and 31", "DayOfMonthDue")
        obj["DayOfMonthDue"], obj["Type"] = int(day), "DATE_DRIVEN"
    else:
        raise faults.required("DueDays")


def _transaction(
    view: RealmView, spec: EntitySpec, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    txn_date = parse_date(obj, "TxnDate") or view.today()
    obj["TxnDate"] = txn_date.isoformat()
    check_text(obj, "PrivateNote", 4000)
    _currency(view, obj)
    if spec.sales_lines:
        sales_lines(view, spec, obj, old, txn_date)
    elif spec.name == "Payment":
        payment_lines(view, obj, old)
    elif spec.name == "BillPayment":
        bill_payment(view, obj, old)
    else:
        lines = plain_lines(view, spec, as_list(obj.get("Line"), "Line"), old)
        obj["Line"] = lines
        total = sum((line["Amount"] for line in lines), ZERO)
        if spec.name in ("Purchase", "Bill"):
            subtotal, tax = txn_tax(view, spec, obj, old, lines)
            total = subtotal + tax
        obj["TotalAmt"] = money(total)
        if spec.name == "Purchase":
            kind = as_str(obj["PaymentType"], "PaymentType")
            if kind not in _PAYMENT_TYPES:
                raise faults.FaultError(
                    "2170",
                    "Invalid Enumeration",
                    f"Invalid Enumeration : {kind}",
                    element="PaymentType",
                )
        if spec.name == "Bill":
            bill_balance(view, obj, old)
            due = parse_date(obj, "DueDate")
            obj["DueDate"] = (due or txn_date).isoformat()


def _currency(view: RealmView, obj: dict[str, Any]) -> None:
    currency = obj.get("CurrencyRef")
    home = view.home_currency()
    if currency is None:
        obj["CurrencyRef"] = currency_ref(home)
        return
    code = ref_value(currency, "CurrencyRef")
    if code != home and not view.multicurrency():
        raise faults.business(
            f"multicurrency is off; CurrencyRef {code!r} is not the home currency", "CurrencyRef"
        )
    obj["CurrencyRef"] = {"value": code, "name": currency.get("name") or code}
    rate = opt_decimal(obj, "ExchangeRate")
    if rate is not None and rate <= 0:
        raise faults.business("ExchangeRate must be positive", "ExchangeRate")
