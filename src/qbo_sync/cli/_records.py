"""The product's records in and QuickBooks' changes out, as JSON, for ``qbo-sync sync``.

A company's command line has no product database to read, so the records to
push come from a file, and what a pull finds goes to a file (or stdout):

- **In** (``--records FILE``, ``-`` for stdin): one JSON object whose keys
  are entity names as QBO spells them (``Item``, ``Customer``, ``Invoice``,
  ``CreditMemo``, ``Payment``) and whose values are lists of the canonical
  local records of :mod:`qbo_sync.mapping` (``LocalCustomer`` ...), field
  for field. Amounts are JSON numbers or strings (never read as floats),
  dates ISO ``YYYY-MM-DD``. An unknown field is an error, not ignored.
- **Out** (a pull): JSON lines, one :class:`~qbo_sync.sync.Change` a line:
  ``entity``, ``kind``, ``qbo_id``, ``local_id``, ``sync_token``, ``fields``
  (what the product should take), ``record`` (the object as a local record,
  or ``null``) and ``payment`` (for ``paid``). Nothing is linked: the
  command line does not own the product's ids.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import cattrs
from cattrs.v import format_exception

from qbo_sync._json import dumps, loads
from qbo_sync.cli._errors import EXIT_USAGE, CLIError
from qbo_sync.mapping import (
    LocalCreditMemo,
    LocalCustomer,
    LocalInvoice,
    LocalItem,
    LocalPayment,
)
from qbo_sync.sync import Change

__all__ = ["ENTITIES", "JsonLinesSink", "change_json", "entity_name", "load_records"]

#: The record class of each entity, in push order.
ENTITIES: dict[str, type[Any]] = {
    "Item": LocalItem,
    "Customer": LocalCustomer,
    "Invoice": LocalInvoice,
    "CreditMemo": LocalCreditMemo,
    "Payment": LocalPayment,
}


def entity_name(text: str) -> str:
    """``"invoice"`` / ``"Invoices"`` / ``"credit-memo"`` -> the QBO name.

    Raises:
        ValueError: Not an entity the engine syncs.
    """
    key = text.replace("-", "").replace("_", "").lower()
    for name in ENTITIES:
        if key in (name.lower(), name.lower() + "s"):
            return name
    raise ValueError(f"{text!r} is not one of {', '.join(ENTITIES)}")


def _amount(value: Any, _: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    raise TypeError(f"expected an amount (a number or a numeric string), got {value!r}")


def _date(value: Any, _: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date as 'YYYY-MM-DD', got {value!r}")
    return dt.date.fromisoformat(value)


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(Decimal, _amount)
    conv.register_structure_hook(dt.date, _date)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    return conv


_CONVERTER = _converter()


def _problem(exc: BaseException, type_: Any) -> str:
    if type(exc) in (ValueError, TypeError):
        return f"invalid value: {exc}"
    return format_exception(exc, type_)


def _structure(item: Any, entity: str, n: int) -> tuple[Any, list[str]]:
    """One record, or what is wrong with it (``"... @ Invoice[3].lines[0].amount"``)."""
    try:
        return _CONVERTER.structure(item, ENTITIES[entity]), []
    except cattrs.BaseValidationError as exc:
        return None, cattrs.transform_error(exc, path=f"{entity}[{n}]",
                                            format_exception=_problem)
    except (ValueError, TypeError) as exc:  # the record's own checks
        return None, [f"invalid value: {exc} @ {entity}[{n}]"]


def load_records(source: str, *, stdin: TextIO | None = None) -> list[Any]:
    """Read and check the records file (``-``: standard input).

    Returns:
        The records, in the file's order.

    Raises:
        CLIError: (exit 2) The file is missing or not JSON of the shape
            above; the message names the record and the field at fault.
    """
    label = "standard input" if source == "-" else source
    try:
        text = (stdin or sys.stdin).read() if source == "-" else Path(source).read_text("utf-8")
    except OSError as exc:
        raise CLIError(f"--records {label}: {exc.strerror or exc}", exit_code=EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CLIError(f"--records {label}: not UTF-8 text", exit_code=EXIT_USAGE) from None
    try:
        data = loads(text)
    except ValueError as exc:
        raise CLIError(f"--records {label}: not JSON ({exc})", exit_code=EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CLIError(
            f"--records {label}: expected a JSON object of entity name -> list of records, "
            f'e.g. {{"Customer": [{{"id": "42", "display_name": "Ada"}}]}}', exit_code=EXIT_USAGE)
    records: list[Any] = []
    problems: list[str] = []
    for key, items in data.items():
        if key not in ENTITIES:
            problems.append(f"{key!r} is not an entity (use {', '.join(ENTITIES)})")
            continue
        if not isinstance(items, list):
            problems.append(f"{key}: expected a list of records")
            continue
        for n, item in enumerate(items):
            record, problem = _structure(item, key, n)
            if record is not None:
                records.append(record)
            problems.extend(problem)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise CLIError(f"--records {label}: {'; '.join(problems[:3])}{more}",
                       exit_code=EXIT_USAGE)
    return records


def change_json(change: Change) -> dict[str, Any]:
    """One pulled change as plain JSON data (amounts stay ``Decimal``)."""
    payment = change.payment
    return {
        "entity": change.entity,
        "kind": change.kind.value,
        "qbo_id": change.qbo_id,
        "local_id": change.local_id,
        "sync_token": change.sync_token,
        "fields": sorted(change.fields),
        "record": _CONVERTER.unstructure(change.record) if change.record is not None else None,
        "payment": None if payment is None else {
            "invoice_local_id": payment.invoice_local_id,
            "invoice_qbo_id": payment.invoice_qbo_id,
            "payment_qbo_id": payment.payment_qbo_id,
            "amount": payment.amount,
            "date": payment.date.isoformat() if payment.date else None,
            "balance": payment.balance,
            "paid_in_full": payment.paid_in_full,
            "note": payment.note,
        },
    }


class JsonLinesSink:
    """A :class:`~qbo_sync.sync.ChangeSink` writing each change as a JSON line.

    It links nothing (returns no new ids): the product that reads the lines
    owns its ids, and its next push of a record matches the QBO object.

    Args:
        out: Where to write.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.written = 0
        self.by_kind: dict[str, int] = {}

    def apply(self, changes: Sequence[Change]) -> Mapping[str, str]:
        """Write a chunk, flushed, so a reader sees it at once."""
        for change in changes:
            self._out.write(dumps(change_json(change)).decode("utf-8") + "\n")
            self.by_kind[change.kind.value] = self.by_kind.get(change.kind.value, 0) + 1
        self.written += len(changes)
        self._out.flush()
        return {}
