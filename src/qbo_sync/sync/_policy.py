"""Field ownership: which side wins for which group of fields.

The default, as the issue asks: what the product pushes, it owns. A product
that lets its accountant fix addresses in QBO declares
``FieldPolicy(qbo_owns={"Customer": {"addresses"}})``: then

- push sends those fields when it *creates* the customer, never on updates,
  and they are left out of the fingerprint (a change in QBO never makes the
  product push them back);
- pull hands them to the product for linked customers (``Change.fields``),
  while QBO's edits to product-owned fields are ignored and overwritten by
  the next change the product pushes.

Fields QBO computes (an invoice's ``total`` and ``balance``) are not in any
group: they are always QBO's and always pulled.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from qbo_sync.mapping import Mapper

__all__ = ["FieldPolicy"]


def _owns(value: Mapping[str, Collection[str]] | None) -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in (value or {}).items()}


def _groups(mapper: Mapper[Any, Any]) -> tuple[Any, ...]:
    return tuple(getattr(mapper, "field_groups", ()))


@attrs.frozen(kw_only=True)
class FieldPolicy:
    """Per entity, the field groups QBO owns (all others: the product).

    Attributes:
        qbo_owns: QBO entity name -> names of the mapper's field groups in
            which QBO's value wins.
    """

    qbo_owns: dict[str, frozenset[str]] = attrs.field(factory=dict, converter=_owns)

    def check(self, mappers: Collection[Mapper[Any, Any]]) -> None:
        """Refuse groups no mapper declares (a typo would silently do nothing).

        Raises:
            ValueError: Naming the entity and the unknown groups.
        """
        known = {m.entity: {g.name for g in _groups(m)} for m in mappers}
        for entity, groups in self.qbo_owns.items():
            unknown = groups - known.get(entity, set())
            if unknown:
                raise ValueError(
                    f"FieldPolicy: {entity} has no field group(s) {sorted(unknown)}; "
                    f"known: {sorted(known.get(entity, set()))}"
                )

    def push_fields(self, mapper: Mapper[Any, Any]) -> frozenset[str]:
        """Local fields the product owns (what the fingerprint covers)."""
        mine = self.qbo_owns.get(mapper.entity, frozenset())
        return frozenset(f for g in _groups(mapper) if g.name not in mine for f in g.local)

    def qbo_attributes(self, mapper: Mapper[Any, Any]) -> frozenset[str]:
        """QBO model attributes QBO owns (left out of updates)."""
        mine = self.qbo_owns.get(mapper.entity, frozenset())
        return frozenset(a for g in _groups(mapper) if g.name in mine for a in g.qbo)

    def pull_fields(
        self, mapper: Mapper[Any, Any], record_fields: Collection[str]
    ) -> frozenset[str]:
        """Local fields a pulled change of a *linked* record may set in the product."""
        product = self.push_fields(mapper)
        # ``deleted`` is in no group: a customer made inactive in QBO reaches the
        # product as an update with ``deleted=True``.
        return frozenset(f for f in record_fields if f not in product and f != "id")
