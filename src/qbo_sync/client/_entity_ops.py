"""Per-entity operations as sans-I/O flows (see :mod:`qbo_sync.client._calls`).

The sync services (:mod:`qbo_sync.client._services`) and the async ones
(:mod:`qbo_sync.client._async_services`) are thin: each method checks nothing
and builds nothing itself, it drives one of these flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_sync.client import _codec
from qbo_sync.client._calls import Flow, entity_from, read_entity, write_entity
from qbo_sync.client._query import Query
from qbo_sync.client._request import read_request, resource_path, write_request
from qbo_sync.client._types import Deletion, is_deleted
from qbo_sync.errors import ValidationError

__all__ = [
    "check_id",
    "create",
    "delete",
    "get",
    "inactivate",
    "pdf",
    "send",
    "service_query",
    "sparse_update",
    "update",
    "void",
    "void_by_update",
]


def check_id(entity_id: object, what: str) -> str:
    """An entity ``Id`` as text.

    Raises:
        ValidationError: When it is not a QBO Id (letters and digits).
    """
    if isinstance(entity_id, int) and not isinstance(entity_id, bool):
        entity_id = str(entity_id)
    if not isinstance(entity_id, str) or not entity_id.isalnum():
        raise ValidationError(f"{what}: {entity_id!r} is not a QBO Id")
    return entity_id


def service_query(entity_name: str, query: Query | None, equals: Mapping[str, object]) -> Query:
    """The query a service runs: ``query`` (on this entity) or all, narrowed by ``equals``.

    Raises:
        ValidationError: For a query on another entity.
    """
    base = Query(entity_name) if query is None else query
    if base.entity != entity_name:
        raise ValidationError(f"{entity_name} service got a query on {base.entity}")
    return base.where(**equals) if equals else base


def get(entity_name: str, entity_id: object) -> Flow[Any]:
    """Read one object by ``Id``."""
    rid = check_id(entity_id, f"{entity_name}.get")
    return read_entity(entity_name, f"{resource_path(entity_name)}/{rid}")


def create(entity_name: str, entity: object, request_id: str | None) -> Flow[Any]:
    """Create ``entity`` (a model of this entity or a wire dict)."""
    _codec.entity_name_of(entity, entity_name)
    return write_entity(entity_name, _codec.encode(entity), request_id=request_id)


def update(entity_name: str, entity: object, request_id: str | None) -> Flow[Any]:
    """Full update of ``entity``."""
    _codec.entity_name_of(entity, entity_name)
    body = _codec.update_body(entity, entity_name=entity_name)
    return write_entity(entity_name, body, request_id=request_id)


def sparse_update(
    entity_name: str, entity: object, original: object, request_id: str | None
) -> Flow[Any]:
    """Sparse update: ``Id``, ``SyncToken`` and what was set or changed."""
    _codec.entity_name_of(entity, entity_name)
    body = _codec.sparse_update_body(entity, original, entity_name=entity_name)
    return write_entity(entity_name, body, request_id=request_id)


def inactivate(entity_name: str, entity: object, request_id: str | None) -> Flow[Any]:
    """Sparse ``Active=false`` (a name list's "delete")."""
    body = _codec.key_body(entity, entity_name=entity_name, operation="inactivate", sparse=True)
    body["Active"] = False
    if entity_name == "Account":
        # QBO validates Account.Name on every update, sparse included.
        name = entity.get("Name") if isinstance(entity, Mapping) else getattr(entity, "name", None)
        if name:
            body["Name"] = name
    return write_entity(entity_name, body, request_id=request_id)


def delete(entity_name: str, entity: object, request_id: str | None) -> Flow[Deletion]:
    """``POST {entity}?operation=delete`` with ``Id`` and ``SyncToken``; the confirmed deletion."""
    body = _codec.key_body(entity, entity_name=entity_name, operation="delete")
    response = yield write_request(
        resource_path(entity_name), body, request_id=request_id, params=[("operation", "delete")]
    )
    raw = entity_from(entity_name, response)
    tid = response.intuit_tid
    if is_deleted(raw):
        return Deletion.from_wire(entity_name, raw, intuit_tid=tid)
    return Deletion(entity=entity_name, id=str(raw.get("Id", body["Id"])), intuit_tid=tid)


def void(entity_name: str, entity: object, request_id: str | None) -> Flow[Any]:
    """Void with ``operation=void`` (invoices)."""
    body = _codec.key_body(entity, entity_name=entity_name, operation="void")
    return write_entity(entity_name, body, request_id=request_id, params=[("operation", "void")])


def void_by_update(entity_name: str, entity: object, request_id: str | None) -> Flow[Any]:
    """Void with a sparse update and ``include=void`` (payments, sales receipts)."""
    body = _codec.key_body(entity, entity_name=entity_name, operation="void", sparse=True)
    return write_entity(
        entity_name, body, request_id=request_id,
        params=[("operation", "update"), ("include", "void")],
    )


def pdf(entity_name: str, entity_id: object) -> Flow[bytes]:
    """``GET {entity}/{id}/pdf`` with ``Accept: application/pdf``; the PDF bytes."""
    rid = check_id(entity_id, f"{entity_name}.pdf")
    response = yield read_request(
        f"{resource_path(entity_name)}/{rid}/pdf", accept="application/pdf"
    )
    return response.content


def send(entity_name: str, entity_id: object, to: str | None, request_id: str | None) -> Flow[Any]:
    """``POST {entity}/{id}/send[?sendTo=...]``; the document as sent."""
    rid = check_id(entity_id, f"{entity_name}.send")
    if to is not None and ("@" not in to or any(c.isspace() for c in to)):
        raise ValidationError(f"{entity_name}.send: {to!r} is not an e-mail address")
    params = [("sendTo", to)] if to is not None else []
    return write_entity(
        entity_name, None, request_id=request_id,
        path=f"{resource_path(entity_name)}/{rid}/send", params=params,
    )
