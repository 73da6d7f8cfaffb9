"""The client's bridge to :mod:`qbo_sync.models`.

Services accept model entities (attrs classes) and, as an escape hatch, plain
wire dicts (PascalCase, as QBO spells them). Everything that turns one into
the other goes through here, so the rules (what a sparse body holds, how an
``Id``/``SyncToken`` pair is read) are stated once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_sync import models
from qbo_sync.errors import ValidationError

__all__ = [
    "decode",
    "encode",
    "encode_sparse",
    "entity_name_of",
    "id_and_sync_token",
    "key_body",
    "sparse_update_body",
    "update_body",
    "wire_get",
]


def wire_get(data: Mapping[str, Any], key: str) -> Any:
    """``data[key]``, else the first key equal to it ignoring case, else ``None``.

    QBO's answers are not consistent about case (``BatchItemResponse`` items,
    the gateway's ``fault``), so response envelopes are read through this.
    """
    if key in data:
        return data[key]
    lower = key.lower()
    for name, value in data.items():
        if name.lower() == lower:
            return value
    return None


def entity_name_of(entity: object, expected: str | None = None) -> str:
    """The QBO entity name of ``entity`` (``QBO_NAME``), checked against ``expected``.

    Raises:
        ValidationError: For a dict without ``expected``, or a model of
            another entity than the service's.
    """
    if isinstance(entity, Mapping):
        if expected is None:
            raise ValidationError(
                "a plain dict payload needs its entity name (pass entity_name='Invoice')"
            )
        return expected
    name = getattr(type(entity), "QBO_NAME", None)
    if not isinstance(name, str):
        raise ValidationError(
            f"{type(entity).__name__} is not a qbo_sync model entity (no QBO_NAME)"
        )
    if expected is not None and name != expected:
        raise ValidationError(f"expected a {expected} entity, got a {name}")
    return name


def encode(entity: object) -> dict[str, Any]:
    """The full wire body of ``entity`` (a model or a wire dict)."""
    if isinstance(entity, Mapping):
        return dict(entity)
    return models.to_qbo(_model(entity))


def encode_sparse(entity: object, original: object | None = None) -> dict[str, Any]:
    """The sparse-update body: ``Id``, ``SyncToken``, ``sparse: true`` and what changed.

    For a model, :func:`qbo_sync.models.to_qbo_sparse` decides what "changed"
    means (fields set since construction, or differing from ``original``);
    constructor defaults are never sent. A wire dict is sent as given.
    """
    if isinstance(entity, Mapping):
        body = dict(entity)
        body["sparse"] = True
        return body
    base = original if original is None or isinstance(original, Mapping) else _model(original)
    return models.to_qbo_sparse(_model(entity), base)


def _model(entity: object) -> models.Entity:
    if not isinstance(entity, models.Entity):
        raise ValidationError(
            f"expected a qbo_sync.models entity or a wire dict, got {type(entity).__name__}"
        )
    return entity


def decode(entity_name: str, data: Mapping[str, Any]) -> Any:
    """A wire object as a model entity (``from_qbo``)."""
    return models.from_qbo(entity_name, data)


def id_and_sync_token(entity: object, *, entity_name: str, operation: str) -> tuple[str, str]:
    """Read ``Id`` and ``SyncToken`` from a model or a wire dict.

    Raises:
        ValidationError: When either is missing (``"0"`` is a valid SyncToken).
    """
    if isinstance(entity, Mapping):
        raw_id, token = entity.get("Id"), entity.get("SyncToken")
    else:
        raw_id, token = getattr(entity, "id", None), getattr(entity, "sync_token", None)
    missing = [n for n, v in (("Id", raw_id), ("SyncToken", token)) if v is None or v == ""]
    if missing:
        raise ValidationError(
            f"{operation} {entity_name}: {' and '.join(missing)} missing; "
            "read the object first (an update needs its current SyncToken)"
        )
    return str(raw_id), str(token)


# The write bodies below are shared by the services and batch operations, so a
# single-object write and its batch twin always send the same JSON.


def update_body(entity: object, *, entity_name: str) -> dict[str, Any]:
    """A full-update body; ``Id`` and ``SyncToken`` are required, ``sparse`` is dropped.

    Raises:
        ValidationError: When ``Id`` or ``SyncToken`` is missing.
    """
    id_and_sync_token(entity, entity_name=entity_name, operation="update")
    body = encode(entity)
    # A full update must not turn sparse because a read entity carried the flag.
    body.pop("sparse", None)
    return body


def sparse_update_body(
    entity: object, original: object | None, *, entity_name: str
) -> dict[str, Any]:
    """A sparse-update body (see :func:`encode_sparse`), ``Id``/``SyncToken`` checked.

    Raises:
        ValidationError: When ``Id`` or ``SyncToken`` is missing.
    """
    body = encode_sparse(entity, original)
    id_and_sync_token(body, entity_name=entity_name, operation="sparse update")
    return body


def key_body(
    entity: object, *, entity_name: str, operation: str, sparse: bool = False
) -> dict[str, Any]:
    """``{"Id", "SyncToken"}`` (plus ``"sparse": true``): the body of delete and void.

    Raises:
        ValidationError: When ``Id`` or ``SyncToken`` is missing.
    """
    rid, token = id_and_sync_token(entity, entity_name=entity_name, operation=operation)
    body: dict[str, Any] = {"Id": rid, "SyncToken": token}
    if sparse:
        body["sparse"] = True
    return body
