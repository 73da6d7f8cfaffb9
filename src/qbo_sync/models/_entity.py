"""The base class of every QBO entity."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from qbo_sync.models._base import Model, wire
from qbo_sync.models._types import AttachableRef, CustomField, MetaData

__all__ = ["Entity"]


@attrs.define(kw_only=True, repr=False)
class Entity(Model):
    """Fields every QBO entity has (XSD ``IntuitEntity``).

    Attributes:
        QBO_NAME: The entity name as QBO spells it (``"Invoice"``).
        id: Assigned by QBO; required to update or delete.
        sync_token: Version counter; an update must send the current one.
        meta_data: Creation and last-update times (read-only).
        domain: Always ``"QBO"`` in responses.
        status: ``"Deleted"`` for deletions reported by change data capture.
        sparse: ``True`` in a sparse update request body.
    """

    QBO_NAME: ClassVar[str] = ""

    id: str | None = None
    sync_token: str | None = None
    meta_data: MetaData | None = None
    custom_field: list[CustomField] | None = None
    attachable_ref: list[AttachableRef] | None = None
    domain: str | None = attrs.field(default=None, metadata=wire("domain"))
    status: str | None = attrs.field(default=None, metadata=wire("status"))
    sparse: bool | None = attrs.field(default=None, metadata=wire("sparse"))
    # The wire dict from_qbo read this entity from, so to_qbo_sparse can diff.
    _qbo_original: dict[str, Any] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    @property
    def is_deleted(self) -> bool:
        """Whether QBO reported this entity as deleted (``status == "Deleted"``)."""
        return self.status == "Deleted"
