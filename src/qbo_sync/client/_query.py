r"""A small, safe builder for QBO's SQL-like query language.

QBO queries are one entity, ``AND``-joined conditions, ``ORDERBY`` and paging
(``STARTPOSITION`` / ``MAXRESULTS``); there is no ``OR``, no projection and no
join. The builder is immutable: every method returns a new :class:`Query`, so
a base query can be shared and refined safely.

Values are always rendered by the builder, never pasted: strings are quoted
with single quotes and their ``'`` and ``\\`` escaped with a backslash (QBO's
own escape), numbers, dates and datetimes are quoted too (QBO rejects bare
numeric comparisons), booleans are bare. Field and entity names are checked
against a strict pattern, so a name can never smuggle an operator in.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

import attrs

from qbo_sync.errors import QueryError

__all__ = ["Condition", "Query", "quote_value"]

_ENTITY = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}(?:\.[A-Za-z][A-Za-z0-9_]{0,63}){0,4}")
_OPERATORS: Final = frozenset({"=", "<", ">", "<=", ">=", "IN", "LIKE"})
# Control characters have no business in a filter value and some break
# QBO's parser; refuse them rather than send something surprising.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Scalar = str | bool | int | Decimal | dt.date | dt.datetime | enum.Enum


def _check_field(name: object, what: str = "field") -> str:
    if not isinstance(name, str) or not _FIELD.fullmatch(name):
        raise QueryError(
            f"invalid query {what} name {name!r}: use QBO field names such as "
            "'DisplayName' or 'MetaData.LastUpdatedTime'"
        )
    return name


def quote_value(value: object) -> str:
    r"""Render one comparison value as QBO query text.

    Args:
        value: A ``str``, ``bool``, ``int``, ``Decimal``, ``date``, timezone-aware
            ``datetime`` or an ``Enum`` whose value is one of those.

    Returns:
        The literal, e.g. ``'Adam\\'s'``, ``true``, ``'100.00'``,
        ``'2024-01-31T10:00:00+00:00'``.

    Raises:
        QueryError: For ``None``, floats, naive datetimes, control characters
            and any other type.
    """
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"'{value}'"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QueryError(f"cannot compare with non-finite number {value!r}")
        return f"'{value}'"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise QueryError(
                f"datetime {value.isoformat()} has no time zone; QBO would read it in an "
                "unknown zone, so pass an aware datetime (e.g. tzinfo=timezone.utc)"
            )
        return f"'{format_datetime(value)}'"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise QueryError(f"query value {value!r} contains control characters")
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    if isinstance(value, float):
        raise QueryError(
            f"float {value!r} is not accepted in queries (money is exact): pass a Decimal"
        )
    if value is None:
        raise QueryError("None cannot be compared in a QBO query; leave the condition out")
    raise QueryError(f"cannot use a {type(value).__name__} as a query value")


def format_datetime(value: dt.datetime) -> str:
    """Format an aware datetime the way QBO writes them (seconds, with offset)."""
    return value.isoformat(timespec="seconds")


@attrs.frozen
class Condition:
    """One ``field op value`` term of a WHERE clause (already rendered)."""

    field: str
    op: str
    literal: str

    def render(self) -> str:
        """The term as query text."""
        return f"{self.field} {self.op} {self.literal}"


def _condition(field: str, op: object, value: object) -> Condition:
    field = _check_field(field)
    op_norm = op.strip().upper() if isinstance(op, str) else op
    if op_norm not in _OPERATORS:
        raise QueryError(
            f"unsupported query operator {op!r} for {field}: QBO accepts "
            f"{', '.join(sorted(_OPERATORS))} (there is no OR or !=)"
        )
    if op_norm == "IN":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise QueryError(f"IN on {field} needs a list of values, got {value!r}")
        items = [quote_value(v) for v in value]
        if not items:
            raise QueryError(f"IN on {field} needs at least one value")
        return Condition(field, "IN", f"({', '.join(items)})")
    if op_norm == "LIKE" and not isinstance(value, str):
        raise QueryError(f"LIKE on {field} needs a string pattern, got {value!r}")
    return Condition(field, op_norm, quote_value(value))


_MISSING: Final = object()


@attrs.frozen
class Query:
    r"""An immutable QBO query for one entity.

    Example:
        ``Query("Customer").where(DisplayName="Adam's").where_gt(
        "MetaData.LastUpdatedTime", since).order_by("Id")`` renders
        ``SELECT * FROM Customer WHERE DisplayName = 'Adam\\'s' AND
        MetaData.LastUpdatedTime > '...' ORDERBY Id ASC``.

    Attributes:
        entity: The entity as QBO spells it (``"Customer"``).
        conditions: The WHERE terms, AND-joined, in the order added.
        ordering: ``(field, "ASC" | "DESC")`` pairs.
    """

    entity: str = attrs.field()
    conditions: tuple[Condition, ...] = ()
    ordering: tuple[tuple[str, str], ...] = ()

    @entity.validator
    def _check_entity(self, _attr: object, value: object) -> None:
        if not isinstance(value, str) or not _ENTITY.fullmatch(value):
            raise QueryError(f"invalid query entity name {value!r}")

    def where(
        self,
        field: str | None = None,
        op: str | None = None,
        value: object = _MISSING,
        /,
        **equals: object,
    ) -> Query:
        """Add conditions.

        Either ``where("TotalAmt", ">=", Decimal("10"))`` (one condition with an
        explicit operator) or ``where(DisplayName="Bob", Active=True)``
        (equality; a list, tuple, set or frozenset value means ``IN``).

        Raises:
            QueryError: For an unknown operator, a bad field name or value.
        """
        added: list[Condition] = []
        if field is not None:
            if op is None or value is _MISSING:
                raise QueryError("where(field, op, value) needs all three arguments")
            added.append(_condition(field, op, value))
        elif op is not None or value is not _MISSING:
            raise QueryError("where(field, op, value) needs all three arguments")
        for name, val in equals.items():
            if isinstance(val, list | tuple | set | frozenset):
                items = sorted(val, key=repr) if isinstance(val, set | frozenset) else val
                added.append(_condition(name, "IN", items))
            else:
                added.append(_condition(name, "=", val))
        return attrs.evolve(self, conditions=(*self.conditions, *added))

    def where_eq(self, field: str, value: object) -> Query:
        """Add ``field = value``."""
        return self.where(field, "=", value)

    def where_lt(self, field: str, value: object) -> Query:
        """Add ``field < value``."""
        return self.where(field, "<", value)

    def where_le(self, field: str, value: object) -> Query:
        """Add ``field <= value``."""
        return self.where(field, "<=", value)

    def where_gt(self, field: str, value: object) -> Query:
        """Add ``field > value``."""
        return self.where(field, ">", value)

    def where_ge(self, field: str, value: object) -> Query:
        """Add ``field >= value``."""
        return self.where(field, ">=", value)

    def where_in(self, field: str, values: Iterable[object]) -> Query:
        """Add ``field IN (v1, v2, ...)``."""
        return self.where(field, "IN", list(values))

    def where_like(self, field: str, pattern: str) -> Query:
        """Add ``field LIKE 'pattern'`` (``%`` is QBO's only wildcard)."""
        return self.where(field, "LIKE", pattern)

    def updated_since(self, when: dt.datetime) -> Query:
        """Add ``MetaData.LastUpdatedTime > when`` (the incremental-sync filter)."""
        return self.where("MetaData.LastUpdatedTime", ">", when)

    def include_inactive(self) -> Query:
        """Return inactive name-list records too (``Active IN (true, false)``).

        QBO returns only active customers, vendors, items ... unless asked.
        """
        return self.where("Active", "IN", [True, False])

    def order_by(self, field: str, direction: object = "ASC") -> Query:
        """Add a sort key; call again for secondary keys.

        Args:
            field: A sortable field name.
            direction: ``"ASC"`` or ``"DESC"`` (any case).
        """
        field = _check_field(field)
        norm = direction.strip().upper() if isinstance(direction, str) else ""
        if norm not in ("ASC", "DESC"):
            raise QueryError(f"order direction must be 'ASC' or 'DESC', got {direction!r}")
        return attrs.evolve(self, ordering=(*self.ordering, (field, norm)))

    def where_clause(self) -> str:
        """The rendered WHERE clause (with the keyword), or ``""``."""
        if not self.conditions:
            return ""
        return " WHERE " + " AND ".join(c.render() for c in self.conditions)

    def to_sql(self, *, start_position: int | None = None, max_results: int | None = None) -> str:
        """Render the statement.

        Args:
            start_position: 1-based position of the first row, if paging.
            max_results: Page size, if paging (QBO caps it at 1000).
        """
        # Safe: the entity and field names are validated and every value is quoted.
        text = f"SELECT * FROM {self.entity}{self.where_clause()}"  # noqa: S608
        if self.ordering:
            text += " ORDERBY " + ", ".join(f"{f} {d}" for f, d in self.ordering)
        if start_position is not None:
            if start_position < 1:
                raise QueryError(f"start_position is 1-based, got {start_position}")
            text += f" STARTPOSITION {start_position}"
        if max_results is not None:
            if not 1 <= max_results <= 1000:
                raise QueryError(f"max_results must be 1..1000, got {max_results}")
            text += f" MAXRESULTS {max_results}"
        return text

    def count_sql(self) -> str:
        """Render ``SELECT COUNT(*) FROM ...`` with the same conditions."""
        return f"SELECT COUNT(*) FROM {self.entity}{self.where_clause()}"  # noqa: S608

    def __str__(self) -> str:
        return self.to_sql()
