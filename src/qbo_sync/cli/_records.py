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
from pathlib import Path
from typing import Any, TextIO

import attrs

from qbo_sync._json import dumps, loads
from qbo_sync.cli._errors import EXIT_USAGE, CLIError
from qbo_sync.errors import MappingError
from qbo_sync.mapping import LOCAL_RECORD_TYPES, record_from_dict
from qbo_sync.sync import Change

__all__ = ["JsonLinesSink", "change_json", "entity_name", "load_records"]


def entity_name(text: str) -> str:
    """``"invoice"`` / ``"Invoices"`` / ``"credit-memo"`` -> the QBO name.

    Raises:
        ValueError: Not an entity the engine syncs.
    """
    key = text.replace("-", "").replace("_", "").lower()
    for name in LOCAL_RECORD_TYPES:
        if key in (name.lower(), name.lower() + "s"):
            return name
    raise ValueError(f"{text!r} is not one of {', '.join(LOCAL_RECORD_TYPES)}")


def _structure(item: Any, entity: str, n: int) -> tuple[Any, str | None]:
    """One record, or what is wrong with it (``"... @ Invoice[3].lines[0].amount"``)."""
    where = f"{entity}[{n}]"
    if not isinstance(item, dict):
        return None, f"expected a JSON object @ {where}"
    try:
        return record_from_dict(entity, item, where=where), None
    except MappingError as exc:
        return None, exc.message


def _json_ready(_: Any, __: Any, value: Any) -> Any:
    # Dates as ISO text; amounts stay Decimal (JSON numbers, as they always were).
    return value.isoformat() if isinstance(value, dt.date) else value


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
        if key not in LOCAL_RECORD_TYPES:
            problems.append(f"{key!r} is not an entity (use {', '.join(LOCAL_RECORD_TYPES)})")
            continue
        if not isinstance(items, list):
            problems.append(f"{key}: expected a list of records")
            continue
        for n, item in enumerate(items):
            record, problem = _structure(item, key, n)
            if problem is not None:
                problems.append(problem)
            else:
                records.append(record)
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
        "record": None if change.record is None else attrs.asdict(
            change.record, value_serializer=_json_ready),
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
