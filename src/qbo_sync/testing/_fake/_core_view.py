"""The realm as the entity rules see it, and the small helpers every rule uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_values import opt_str, ref_value
from qbo_sync.testing._fake._entities import PARTY, Ref

__all__ = ["USD", "RealmView", "check_text", "currency_ref", "parse_date", "resolve_ref"]

USD = {"value": "USD", "name": "United States Dollar"}
_CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "GBP": "British Pound Sterling",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
    "EUR": "Euro",
    "INR": "Indian Rupee",
}


def currency_ref(code: str) -> dict[str, str]:
    """A CurrencyRef as QBO writes it (``{"value": "GBP", "name": "British Pound Sterling"}``)."""
    return {"value": code, "name": _CURRENCY_NAMES.get(code, code)}


class RealmView(Protocol):
    """What the rules may ask the realm."""

    def target(self, ref: Ref, value: str, element: str) -> tuple[str, dict[str, Any]]:
        """The live, active object ``value`` names (610 otherwise): (entity, data)."""
        ...

    def live(self, entity: str, obj_id: str) -> dict[str, Any] | None:
        """The stored object, or None if unknown or deleted."""
        ...

    def applied(self, entity: str, obj_id: str, *, excluding: str | None) -> Decimal:
        """What live payments (other than ``excluding``) apply to a transaction."""
        ...

    def today(self) -> date:
        """The company's current date (Pacific)."""
        ...

    def default_item(self) -> dict[str, Any] | None:
        """The item a sales line without ItemRef uses (the company's ``Services``)."""
        ...

    def default_terms_days(self) -> int | None:
        """Due days of the company's default sales terms, if any."""
        ...

    def deposit_account(self) -> dict[str, Any] | None:
        """The company's Undeposited Funds account (payments' default deposit account)."""
        ...

    def multicurrency(self) -> bool:
        """Whether the company has multicurrency on."""
        ...

    def payables_account(self) -> dict[str, Any] | None:
        """The company's Accounts Payable account (bill payments' default A/P account)."""
        ...

    def country(self) -> str:
        """``CompanyInfo.Country`` (``US``, ``GB``, ``CA``, ``AU``...)."""
        ...

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences object."""
        ...

    def automated_sales_tax_rate(self) -> Decimal:
        """The percent the fake's automated sales tax charges on taxable lines."""
        ...

    def tax_overridden(self, entity: str, obj_id: str) -> bool:
        """Whether the stored transaction's TotalTax was an explicit override."""
        ...

    def home_currency(self) -> str:
        """``Preferences.CurrencyPrefs.HomeCurrency`` (``USD`` when unset)."""
        ...


#: References QBO answers with their value only (recorded: Vendor.TermRef, ParentRef).
_NAMELESS = frozenset({"TermRef", "SalesTermRef", "ParentRef"})


def resolve_ref(
    view: RealmView, obj: dict[str, Any], ref: Ref, element: str
) -> dict[str, Any] | None:
    raw = obj.get(ref.key)
    if raw is None:
        obj.pop(ref.key, None)
        return None
    value = ref_value(raw, element)
    if value in ref.pseudo:
        obj[ref.key] = {"value": value}
        return None
    entity, target = view.target(ref, value, element)
    name = target.get("DisplayName") if entity in PARTY else None
    name = name or target.get("Name")
    if ref.key in _NAMELESS:
        name = None
    obj[ref.key] = {"value": value, "name": name} if name else {"value": value}
    if ref.key == "EntityRef":
        obj[ref.key]["type"] = entity
    return target


def check_text(obj: dict[str, Any], key: str, limit: int, *, plain: bool = False) -> str | None:
    text = opt_str(obj, key)
    if text is None:
        obj.pop(key, None)
        return None
    if len(text) > limit:
        raise faults.FaultError(
            "2050",
            "String length is either shorter or longer than supported by specification",
            f"{key} may hold at most {limit} characters, got {len(text)}",
            element=key,
        )
    if plain and any(ch in text for ch in ":\t\n"):
        raise faults.business(f"{key} may not contain a colon, tab or newline", key)
    obj[key] = text
    return text


def parse_date(obj: dict[str, Any], key: str) -> date | None:
    text = opt_str(obj, key)
    if text is None:
        obj.pop(key, None)
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise faults.bad_property(f"{key} must be a date (YYYY-MM-DD), got {text!r}", key) from None
