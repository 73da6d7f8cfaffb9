"""One typed event model for both webhook formats Intuit sends.

Legacy (``eventNotifications``) and CloudEvents (a JSON array) bodies parse
into the same frozen :class:`WebhookEvent`. Notifications carry ids only; the
entity itself must be fetched afterwards.

Parsing is strict about what an event cannot do without (realm, entity name,
entity id) and lenient about everything QBO may add later: unknown entity
names and operations are kept as sent, unknown keys are ignored.
"""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime
from typing import Any

import attrs

from qbo_sync import _json
from qbo_sync._time import parse_timestamp
from qbo_sync.errors import WebhookPayloadError

__all__ = ["Operation", "WebhookEvent", "WebhookFormat", "parse_events", "qbo_entity_name"]


class WebhookFormat(enum.Enum):
    """Which of Intuit's two body formats an event came in."""

    LEGACY = "legacy"
    """``{"eventNotifications": [...]}``, the format before the 2026 migration."""
    CLOUDEVENTS = "cloudevents"
    """A JSON array of CloudEvents 1.0 events (``qbo.<entity>.<op>.v1``)."""


class Operation(enum.Enum):
    """What happened to the entity.

    ``UNKNOWN`` stands for an operation this version does not know; the
    wire name is always kept in :attr:`WebhookEvent.raw_operation`.
    """

    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    MERGE = "Merge"
    VOID = "Void"
    EMAILED = "Emailed"
    UNKNOWN = "Unknown"


# CloudEvents types use the past tense (qbo.customer.created.v1).
_PAST_TENSE = {
    "created": Operation.CREATE,
    "updated": Operation.UPDATE,
    "deleted": Operation.DELETE,
    "merged": Operation.MERGE,
    "voided": Operation.VOID,
    "emailed": Operation.EMAILED,
}
_LEGACY_OPERATIONS = {op.value.lower(): op for op in Operation if op is not Operation.UNKNOWN}

# Entities Intuit lists for webhooks, plus the ones this library syncs or
# reads; CloudEvents spells them in lower case, so the map restores the QBO
# spelling. Names not listed are kept exactly as sent.
_QBO_ENTITY_NAMES = (
    "Account",
    "Attachable",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
    "CompanyCurrency",
    "CompanyInfo",
    "CreditMemo",
    "Currency",
    "Customer",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "Invoice",
    "Item",
    "JournalCode",
    "JournalEntry",
    "Payment",
    "PaymentMethod",
    "Preferences",
    "Purchase",
    "PurchaseOrder",
    "RefundReceipt",
    "SalesReceipt",
    "TaxAgency",
    "TaxCode",
    "TaxRate",
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
)
_ENTITY_BY_KEY = {name.lower(): name for name in _QBO_ENTITY_NAMES}
_VERSION = re.compile(r"v\d+", re.ASCII)


def qbo_entity_name(name: str) -> str:
    """Return the QBO spelling of an entity name (``"billpayment"`` -> ``"BillPayment"``).

    Case, ``_`` and ``-`` are ignored when matching; unknown names are
    returned unchanged.
    """
    key = name.replace("_", "").replace("-", "").lower()
    return _ENTITY_BY_KEY.get(key, name)


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One change notification: which entity of which company changed, and how.

    Attributes:
        realm_id: The company (legacy ``realmId``, CloudEvents ``intuitaccountid``).
        entity: The entity name as QBO spells it (``"Customer"``); unknown
            names are kept as sent.
        entity_id: The changed entity's ``Id``.
        operation: What happened; ``Operation.UNKNOWN`` for names this
            version does not know (see ``raw_operation``).
        raw_operation: The operation as sent (``"Update"`` or ``"updated"``).
        time: When it happened (aware); ``None`` only when the notification
            carried no timestamp. Intuit says to treat it as the source of
            truth for ordering, since deliveries may arrive out of sequence.
        event_id: The delivery-independent identity used for de-duplication:
            the CloudEvents ``id``, or for legacy notifications (which have no
            id) a digest of realm, entity, id, operation and ``lastUpdated``.
        format: The body format the event came in.
        deleted_id: For merges, the ``Id`` of the record merged away.
        event_type: The CloudEvents ``type`` (``qbo.customer.created.v1``);
            ``None`` for legacy notifications.
    """

    realm_id: str
    entity: str
    entity_id: str
    operation: Operation
    raw_operation: str
    time: datetime | None
    event_id: str
    format: WebhookFormat
    deleted_id: str | None = None
    event_type: str | None = None


def parse_events(body: bytes) -> list[WebhookEvent]:
    """Parse a webhook body, in either format, into events.

    Verify the signature first (:func:`check_signature`): parse only bodies
    Intuit signed.

    Args:
        body: The raw request body.

    Returns:
        The events, in the order of the body. An empty notification list
        gives an empty list.

    Raises:
        WebhookPayloadError: When the body is not JSON (``reason="not_json"``),
            is neither format (``"unknown_format"``), lacks a required field
            (``"missing_field"``) or has one of the wrong type or value
            (``"invalid_field"``). ``element`` holds where, e.g.
            ``eventNotifications[0].dataChangeEvent.entities[2].id``.
    """
    try:
        document = _json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: deeply nested arrays make the stdlib parser give up;
        # it is still just a body we cannot read.
        raise WebhookPayloadError(
            "webhook body is not valid UTF-8 JSON", reason="not_json"
        ) from None
    if isinstance(document, dict) and "eventNotifications" in document:
        return _parse_legacy(document["eventNotifications"])
    if isinstance(document, list):
        return [_parse_cloudevent(item, f"[{i}]") for i, item in enumerate(document)]
    if isinstance(document, dict) and "specversion" in document:
        # A single CloudEvent in structured mode; Intuit sends arrays, but a
        # lone event is unambiguous.
        return [_parse_cloudevent(document, "")]
    raise WebhookPayloadError(
        "webhook body is neither an eventNotifications object nor a CloudEvents array",
        reason="unknown_format",
    )


def _problem(reason: str, where: str, what: str) -> WebhookPayloadError:
    return WebhookPayloadError(f"webhook body: {where} {what}", reason=reason, element=where)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _problem("invalid_field", where, f"must be an object, got {_kind(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _problem("invalid_field", where, f"must be an array, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _required_text(obj: dict[str, Any], key: str, prefix: str) -> str:
    where = _join(prefix, key)
    if key not in obj or obj[key] is None:
        raise _problem("missing_field", where, "is missing")
    return _text(obj[key], where)


def _optional_text(obj: dict[str, Any], key: str, prefix: str) -> str | None:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, _join(prefix, key))


def _text(value: Any, where: str) -> str:
    # Ids are strings on the wire; an integer is accepted because it is
    # unambiguous, a float or bool is not.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _problem("invalid_field", where, f"must be a string, got {_kind(value)}")
    if not value.strip():
        raise _problem("invalid_field", where, "is empty")
    return value


def _time(raw: str | None, where: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise _problem("invalid_field", where, "is not an ISO 8601 timestamp") from None


def _deleted_id(obj: dict[str, Any], prefix: str) -> str | None:
    # Both spellings occur in the wild (PHP SDK issue 337 shows deletedId).
    return _optional_text(obj, "deletedId", prefix) or _optional_text(obj, "deletedID", prefix)


def _parse_legacy(notifications: Any) -> list[WebhookEvent]:
    events: list[WebhookEvent] = []
    for n, raw in enumerate(_list(notifications, "eventNotifications")):
        at = f"eventNotifications[{n}]"
        notification = _object(raw, at)
        realm_id = _required_text(notification, "realmId", at)
        change_at = f"{at}.dataChangeEvent"
        if notification.get("dataChangeEvent") is None:
            raise _problem("missing_field", change_at, "is missing")
        change = _object(notification["dataChangeEvent"], change_at)
        entities = _list(change.get("entities", []), f"{change_at}.entities")
        for e, raw_entity in enumerate(entities):
            events.append(_legacy_event(realm_id, raw_entity, f"{change_at}.entities[{e}]"))
    return events


def _legacy_event(realm_id: str, raw: Any, at: str) -> WebhookEvent:
    entity = _object(raw, at)
    name = _required_text(entity, "name", at)
    entity_id = _required_text(entity, "id", at)
    raw_operation = _required_text(entity, "operation", at)
    last_updated = _optional_text(entity, "lastUpdated", at)
    return WebhookEvent(
        realm_id=realm_id,
        entity=qbo_entity_name(name),
        entity_id=entity_id,
        operation=_LEGACY_OPERATIONS.get(raw_operation.strip().lower(), Operation.UNKNOWN),
        raw_operation=raw_operation,
        time=_time(last_updated, _join(at, "lastUpdated")),
        event_id=_legacy_event_id(realm_id, name, entity_id, raw_operation, last_updated),
        format=WebhookFormat.LEGACY,
        deleted_id=_deleted_id(entity, at),
    )


def _legacy_event_id(
    realm_id: str, name: str, entity_id: str, operation: str, last_updated: str | None
) -> str:
    # Legacy notifications have no id; a redelivery repeats these five values
    # exactly, so their digest identifies the event across retries.
    text = "\x1f".join((realm_id, name, entity_id, operation, last_updated or ""))
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"legacy-{digest[:32]}"


def _parse_cloudevent(raw: Any, at: str) -> WebhookEvent:
    event = _object(raw, at or "body")
    event_type = _required_text(event, "type", at)
    entity_name, raw_operation = _split_type(event_type, _join(at, "type"))
    data = event.get("data")
    return WebhookEvent(
        realm_id=_required_text(event, "intuitaccountid", at),
        entity=qbo_entity_name(entity_name),
        entity_id=_required_text(event, "intuitentityid", at),
        operation=_PAST_TENSE.get(raw_operation.lower(), Operation.UNKNOWN),
        raw_operation=raw_operation,
        time=_time(_optional_text(event, "time", at), _join(at, "time")),
        event_id=_required_text(event, "id", at),
        format=WebhookFormat.CLOUDEVENTS,
        deleted_id=_deleted_id(data, _join(at, "data")) if isinstance(data, dict) else None,
        event_type=event_type,
    )


def _split_type(event_type: str, where: str) -> tuple[str, str]:
    # qbo.<entity>.<past-tense op>.v<N>; the version suffix is optional here
    # so that an unversioned type still yields its entity and operation.
    parts = event_type.strip().split(".")
    if parts and _VERSION.fullmatch(parts[-1]):
        parts = parts[:-1]
    if len(parts) < 3 or parts[0].lower() != "qbo" or not all(parts[1:]):
        raise _problem(
            "invalid_field", where, "is not a QBO event type like 'qbo.customer.created.v1'"
        )
    return ".".join(parts[1:-1]), parts[-1]
