"""Base classes and field helpers shared by every model class."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = ["Model", "to_decimal", "wire"]


def wire(name: str) -> Mapping[str, str]:
    """Field metadata naming a wire key that is not the PascalCase of the field name."""
    return {"wire": name}


def to_decimal(value: Decimal | float | str | None) -> Decimal | None:
    """Convert what a user may pass for a money or quantity field to ``Decimal``.

    A ``float`` goes through ``repr`` so ``12.1`` becomes ``Decimal("12.1")``,
    not the binary expansion; an ``int`` or numeric ``str`` is taken exactly.

    Raises:
        TypeError: For a ``bool`` or a non-numeric type.
        ValueError: For a string that is not a finite number.
    """
    if value is None or type(value) is Decimal:
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a decimal number, got bool {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, Decimal | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
    else:
        raise TypeError(f"expected a decimal number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite decimal number, got {value!r}")
    return result


@attrs.define(kw_only=True, repr=False)
class Model:
    """Root of every model class: holds the keys this version does not model.

    Attributes:
        extra: Wire keys (PascalCase, exactly as QBO sent them) that have no
            field on this class. They are written back unchanged by ``to_qbo``.
    """

    extra: dict[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        # Entities have dozens of optional fields; show only the ones set.
        parts = [
            f"{a.name}={getattr(self, a.name)!r}"
            for a in attrs.fields(type(self))
            if a.repr and getattr(self, a.name) not in (None, {})
        ]
        return f"{type(self).__name__}({', '.join(parts)})"
