"""The mapper contract: one class per entity, pure, no I/O.

A :class:`Mapper` turns a product record into the QBO entity to write (push)
and a QBO entity into a product record (pull), and tells the engine what it
needs to plan: the record's id and state, what it depends on, its match keys,
the queries that find match candidates, and a fingerprint of the fields that
matter. The engine does every bit of I/O; a mapper asks the engine for QBO ids
and mappings through the :class:`MapContext` it is given.

:class:`BaseMapper` implements the generic parts (fingerprint, field groups);
the bundled mappers for the canonical ``Local*`` records derive from it, and so
can a product's own mapper over its own classes.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from qbo_sync.client import Query
from qbo_sync.mapping._company import CompanySetup

__all__ = [
    "BaseMapper",
    "Dependency",
    "FieldGroup",
    "MapContext",
    "Mapper",
    "PullContext",
    "RecordState",
    "fingerprint_of",
    "normalise_name",
]

L = TypeVar("L")
E = TypeVar("E")


class RecordState(str, enum.Enum):
    """What the product says about a record's life."""

    ACTIVE = "active"
    VOIDED = "voided"
    DELETED = "deleted"


@attrs.frozen
class Dependency:
    """Another record that must be in QBO before this one can be written."""

    entity: str
    local_id: str


@attrs.frozen
class FieldGroup:
    """Fields that belong together for ownership (who wins on a conflict).

    Attributes:
        name: The group's name (``"contact"``).
        local: Field names on the product's record.
        qbo: Attribute names on the QBO model that carry them.
    """

    name: str
    local: tuple[str, ...]
    qbo: tuple[str, ...]


@runtime_checkable
class MapContext(Protocol):
    """What a mapper may ask the engine while mapping a record for push."""

    def qbo_id(self, entity: str, local_id: str) -> str:
        """The QBO id linked to a product record.

        Raises:
            MappingError: ``dependency_missing`` when it is not in QBO.
        """
        ...

    def account(self, role: str) -> str:
        """The QBO account id mapped to a role (``"income"``, ``"accounts_receivable"``).

        Raises:
            MappingError: ``mapping_missing`` when the role is not mapped.
        """
        ...

    def tax_code(self, local_code: str) -> str:
        """The QBO TaxCode id mapped to the product's tax code.

        Raises:
            MappingError: ``mapping_missing`` when it is not mapped.
        """
        ...

    def item(self, local_item_id: str | None) -> str:
        """The QBO item id for a line: item mapping, then link, then the default item.

        Raises:
            MappingError: ``dependency_missing`` when the item is not in QBO.
        """
        ...

    def company(self) -> CompanySetup:
        """What the company has switched on: tax rules, class and location tracking.

        Read from QBO at most once per run, and only when a mapper asks.

        Raises:
            MappingError: ``read_failed`` when QBO did not answer.
        """
        ...

    def warn(self, message: str) -> None:
        """Note something about the record being mapped; it becomes its outcome's message."""
        ...


@runtime_checkable
class PullContext(Protocol):
    """What a mapper may ask while turning a QBO entity into a product record."""

    def local_id(self, entity: str, qbo_id: str) -> str | None:
        """The product's id linked to a QBO id, or ``None``."""
        ...

    def local_tax_code(self, qbo_code: str) -> str:
        """The product's tax code mapped to a QBO TaxCode id (``map_tax_codes``).

        When no product code, or more than one, maps to ``qbo_code`` (two
        product rates both sent as ``TAX``), QBO's id comes back unchanged.
        """
        ...


@runtime_checkable
class Mapper(Protocol[L, E]):
    """Maps one entity type between the product and QBO.

    ``entity``, ``record_type`` and ``field_groups`` are read-only: a class
    attribute satisfies them (as in :class:`BaseMapper` subclasses).
    """

    @property
    def entity(self) -> str:
        """The QBO entity name (``"Customer"``)."""
        ...

    @property
    def record_type(self) -> type[L]:
        """The product's record class the engine routes to this mapper."""
        ...

    @property
    def field_groups(self) -> tuple[FieldGroup, ...]:
        """Ownership groups; every pushed field is in one."""
        ...

    def local_id(self, record: L) -> str:
        """The product's id of ``record``."""
        ...

    def state(self, record: L) -> RecordState:
        """Active, voided or deleted."""
        ...

    def dependencies(self, record: L) -> Sequence[Dependency]:
        """Records that must be in QBO first (an invoice's customer and items)."""
        ...

    def to_qbo(self, record: L, ctx: MapContext) -> E:
        """The QBO entity to write (no ``Id``/``SyncToken``: the engine adds them).

        Raises:
            MappingError: The record cannot be mapped; nothing is sent.
        """
        ...

    def from_qbo(self, entity: E, ctx: PullContext) -> L:
        """The product record a QBO entity stands for (``id``: linked local id or QBO id)."""
        ...

    def match_keys(self, record: L) -> Sequence[str]:
        """Keys, strongest first, that find the record's twin in QBO (``"email:a@b.c"``)."""
        ...

    def qbo_match_keys(self, entity: E) -> Sequence[str]:
        """The same keys, read off a QBO entity."""
        ...

    def candidate_queries(self, records: Sequence[L]) -> Sequence[Query]:
        """Few paged queries that read every QBO entity the records could match."""
        ...

    def fingerprint(self, record: L, fields: Collection[str]) -> str:
        """A stable hash of ``record``'s ``fields`` (the ones the product owns)."""
        ...


def _plain(value: Any) -> Any:
    # Unset (None) fields are left out, so a new optional field on a record
    # (``LocalLine.class_id``) does not change the fingerprint of every link.
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()
                if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # Decimal, date: their text is stable ("337.50" != "337.5" on purpose)


def fingerprint_of(values: Mapping[str, Any]) -> str:
    """A stable SHA-256 (hex, 32 characters) of plain values.

    Key order never matters, and neither does a key whose value is ``None``;
    ``Decimal("1.50")`` and ``Decimal("1.5")`` differ (the text QBO gets
    differs too).
    """
    text = json.dumps(_plain(values), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def normalise_name(name: str | None) -> str | None:
    """A name as compared for matching: case-folded, inner spaces collapsed."""
    if name is None:
        return None
    folded = " ".join(name.split()).casefold()
    return folded or None


class BaseMapper(Generic[L, E]):
    """Generic parts of a mapper; subclasses set the class attributes and map.

    A subclass sets ``entity``, ``record_type`` and ``field_groups`` and
    implements :meth:`to_qbo` and :meth:`from_qbo`; the rest has defaults a
    subclass may override. Records are read with ``getattr``, so the product's
    own classes (attrs, dataclasses, ORM rows) work as they are.
    """

    entity: ClassVar[str] = ""
    record_type: type[L]
    field_groups: ClassVar[tuple[FieldGroup, ...]] = ()

    def local_id(self, record: L) -> str:
        """``record.id`` as text."""
        return str(getattr(record, "id"))  # noqa: B009 - records are duck-typed

    def state(self, record: L) -> RecordState:
        """``DELETED`` if ``record.deleted``, ``VOIDED`` if ``record.voided``."""
        if getattr(record, "deleted", False):
            return RecordState.DELETED
        if getattr(record, "voided", False):
            return RecordState.VOIDED
        return RecordState.ACTIVE

    def dependencies(self, record: L) -> Sequence[Dependency]:
        """None by default."""
        return ()

    def match_keys(self, record: L) -> Sequence[str]:
        """None by default: the record is never matched, only created."""
        return ()

    def qbo_match_keys(self, entity: E) -> Sequence[str]:
        """None by default."""
        return ()

    def candidate_queries(self, records: Sequence[L]) -> Sequence[Query]:
        """None by default."""
        return ()

    def owned_fields(self, groups: Iterable[str] | None = None) -> frozenset[str]:
        """The local fields of ``groups`` (all groups when ``None``)."""
        wanted = None if groups is None else set(groups)
        return frozenset(
            f for g in self.field_groups if wanted is None or g.name in wanted for f in g.local
        )

    def fingerprint(self, record: L, fields: Collection[str]) -> str:
        """Hash of the record's state and of ``fields`` (so voiding changes it)."""
        values = {name: getattr(record, name, None) for name in sorted(fields)}
        values["__state__"] = self.state(record).value
        return fingerprint_of(values)
