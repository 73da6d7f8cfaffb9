"""Typed reads of raw JSON values, failing with the fault QBO would send.

QBO parses request bodies with a strict JSON binder: a value of the wrong
type is fault 2010, never a crash, so every read of client data goes
through these helpers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults

__all__ = [
    "ZERO",
    "as_bool",
    "as_decimal",
    "as_dict",
    "as_list",
    "as_str",
    "clone",
    "money",
    "opt_decimal",
    "opt_str",
    "ref_value",
]

ZERO = Decimal(0)
_CENT = Decimal("0.01")
#: QBO's line Amount limit is 15 digits ("10.5 format"); anything much larger is junk.
_MAX = Decimal("1e15")


def as_dict(value: object, element: str) -> dict[str, Any]:
    """``value`` as a JSON object, else fault 2010 naming ``element``."""
    if not isinstance(value, dict):
        raise faults.bad_property(f"{element} must be an object", element)
    return value


def as_list(value: object, element: str) -> list[Any]:
    """``value`` as a JSON array, else fault 2010."""
    if not isinstance(value, list):
        raise faults.bad_property(f"{element} must be an array", element)
    return value


def as_str(value: object, element: str) -> str:
    """``value`` as a string (numbers are coerced, as QBO's binder does), else 2010."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise faults.bad_property(f"{element} must be a string", element)


def opt_str(obj: dict[str, Any], key: str, element: str | None = None) -> str | None:
    """``obj[key]`` as a string, None when absent or null."""
    value = obj.get(key)
    return None if value is None else as_str(value, element or key)


def as_bool(value: object, element: str) -> bool:
    """``value`` as a boolean (``"true"``/``"false"`` strings accepted), else 2010."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise faults.bad_property(f"{element} must be a boolean", element)


def as_decimal(value: object, element: str) -> Decimal:
    """``value`` as a finite Decimal (numeric strings accepted), else 2010."""
    if isinstance(value, bool):
        raise faults.bad_property(f"{element} must be a number", element)
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int | float | str):
            number = Decimal(str(value).strip())
        else:
            raise faults.bad_property(f"{element} must be a number", element)
    except InvalidOperation:
        raise faults.bad_property(f"{element} must be a number", element) from None
    if not number.is_finite() or abs(number) >= _MAX:
        raise faults.bad_property(f"{element} is out of range", element)
    return number


def opt_decimal(obj: dict[str, Any], key: str, element: str | None = None) -> Decimal | None:
    """``obj[key]`` as a Decimal, None when absent or null."""
    value = obj.get(key)
    return None if value is None else as_decimal(value, element or key)


def money(value: Decimal) -> Decimal | int:
    """An amount as QBO writes it: ``0`` for zero, else two places (``100.00``)."""
    if value == 0:
        return 0
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def ref_value(value: object, element: str) -> str:
    """The id inside a ``{"value": ...}`` reference.

    Raises:
        FaultError: 2010 if the reference is not an object, 2500 if its value
            is missing or empty.
    """
    ref = as_dict(value, element)
    raw = ref.get("value")
    if raw is None or isinstance(raw, bool | dict | list):
        raise faults.invalid_reference(element, raw)
    text = as_str(raw, element).strip()
    if not text:
        raise faults.invalid_reference(element, raw)
    return text


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, immutable scalars).

    Much cheaper than ``copy.deepcopy`` (no memo), which dominated the cost of
    every response the fake renders.
    """
    if type(value) is dict:
        return {key: clone(item) for key, item in value.items()}
    if type(value) is list:
        return [clone(item) for item in value]
    return value
