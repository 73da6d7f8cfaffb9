"""The canonical local records as JSON-ready dicts, and back.

For products (and the demo, the CLI and the examples) that keep the canonical
records as JSON: money as its text (``"337.50"``, never a float), dates as
ISO text. Reading is strict: an unknown field or a bad value raises one
:class:`~qbo_sync.errors.MappingError` that names every field at fault
(``Invoice[3].lines[0].amount``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception

from qbo_sync.errors import MappingError
from qbo_sync.mapping._records import (
    LocalCreditMemo,
    LocalCustomer,
    LocalExpense,
    LocalInvoice,
    LocalItem,
    LocalPayment,
    LocalVendor,
)

__all__ = ["LOCAL_RECORD_TYPES", "record_from_dict", "record_to_dict"]

#: The canonical record class of each synced entity, in push order. ``"Expense"``
#: stands for QBO's ``Purchase`` and ``Bill`` (the engine routes each expense).
LOCAL_RECORD_TYPES: Mapping[str, type[Any]] = {
    "Item": LocalItem,
    "Customer": LocalCustomer,
    "Vendor": LocalVendor,
    "Invoice": LocalInvoice,
    "CreditMemo": LocalCreditMemo,
    "Payment": LocalPayment,
    "Expense": LocalExpense,
}


def _amount(value: Any, _: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise TypeError(f"expected an amount (a number or a numeric string), got {value!r}")


def _date(value: Any, _: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date as 'YYYY-MM-DD', got {value!r}")
    return dt.date.fromisoformat(value)


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(Decimal, _amount)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(dt.date, _date)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    return conv


_CONVERTER = _converter()


def _problem(exc: BaseException, type_: Any) -> str:
    if type(exc) in (ValueError, TypeError):
        return f"invalid value: {exc}"
    return format_exception(exc, type_)


def record_to_dict(record: Any) -> dict[str, Any]:
    """A canonical record as a JSON-ready dict (money as text, dates as ISO text).

    Raises:
        TypeError: ``record`` is not an attrs record.
    """
    if not attrs.has(type(record)):
        raise TypeError(f"expected a Local* record, got {type(record).__name__}")
    data: dict[str, Any] = _CONVERTER.unstructure(record)
    return data


def record_from_dict(entity: str, data: Mapping[str, Any], *, where: str | None = None) -> Any:
    """The canonical record of ``entity`` (``"Invoice"``) from a dict.

    Args:
        entity: The QBO entity name; see :data:`LOCAL_RECORD_TYPES`.
        data: The record's fields, as :func:`record_to_dict` writes them
            (amounts may also be JSON numbers).
        where: Names the record in errors (default: ``entity``).

    Raises:
        MappingError: ``invalid_record``, naming every field at fault.
    """
    cls = LOCAL_RECORD_TYPES.get(entity)
    label = where or entity
    if cls is None:
        raise MappingError(
            f"{label}: no canonical record for {entity!r}; one of "
            f"{', '.join(LOCAL_RECORD_TYPES)}", reason="invalid_record", entity=entity,
        )
    try:
        return _CONVERTER.structure(dict(data), cls)
    except cattrs.BaseValidationError as exc:
        problems = cattrs.transform_error(exc, path=label, format_exception=_problem)
        raise MappingError("; ".join(problems), reason="invalid_record", entity=entity,
                           field=problems[0].rpartition(" @ ")[2] if problems else None) from None
    except (ValueError, TypeError) as exc:  # the record's own validators
        raise MappingError(f"invalid value: {exc} @ {label}", reason="invalid_record",
                           entity=entity, field=label) from None
