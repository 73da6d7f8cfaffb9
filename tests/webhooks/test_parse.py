"""Parsing both webhook formats into the one event model, and naming bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from tests.conftest import REAL_SAMPLES

from qbo_sync.errors import WebhookError, WebhookPayloadError
from qbo_sync.webhooks import (
    Operation,
    WebhookEvent,
    WebhookFormat,
    parse_events,
    qbo_entity_name,
)

DOTNET = REAL_SAMPLES / "QuickBooks-V3-DotNET-SDK" / "WebhooksService.Test"
JAVA = REAL_SAMPLES / "QuickBooks-V3-Java-SDK"
BALLERINA = REAL_SAMPLES / "ballerina-asyncapi-triggers"
#: A legacy Account merge, written here in the shape of real deliveries (the
#: merged-away id in ``deletedId``).
LEGACY_MERGE = (
    b'{"eventNotifications":[{"realmId":"9130355377293516","dataChangeEvent":{"entities":['
    b'{"name":"Account","id":"91","deletedId":"135","operation":"Merge",'
    b'"lastUpdated":"2019-06-27T17:12:40.000Z"}]}}]}'
)

PAYLOAD_FILES = [
    DOTNET / "WebhooksServiceTest.cs.eventNotifications_payload.json",
    DOTNET / "WebhooksServiceTest.cs.cloudevents_payload.json",
    DOTNET / "WebhooksServiceTest.cs.signature_vector.json",
    JAVA / "WebhooksServiceTest.java.signature_vector.json",
    *sorted(BALLERINA.glob("*.json")),
]


def _body(path: Path) -> bytes:
    """The delivery body of a sample; some files wrap it with _source/_note keys."""
    raw = path.read_bytes()
    document = json.loads(raw)
    if isinstance(document, dict) and "body" in document:
        return str(document["body"]).encode("utf-8")
    return raw


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    """Every recorded or published payload parses into complete, aware events."""
    events = parse_events(_body(path))
    assert events
    for event in events:
        assert event.realm_id
        assert event.entity[:1].isupper()
        assert event.entity_id
        assert event.operation is not Operation.UNKNOWN
        assert event.time is not None
        assert event.time.tzinfo is not None
        assert event.event_id


def test_legacy_sample_fields() -> None:
    """Intuit's .NET legacy sample gives two events with the documented values."""
    events = parse_events(_body(DOTNET / "WebhooksServiceTest.cs.eventNotifications_payload.json"))
    assert [(e.entity, e.entity_id, e.operation) for e in events] == [
        ("Vendor", "40", Operation.UPDATE),
        ("Customer", "43", Operation.CREATE),
    ]
    first = events[0]
    assert first.realm_id == "1269959970"
    assert first.format is WebhookFormat.LEGACY
    assert first.time == datetime(2016, 10, 5, 3, 9, 4, tzinfo=timezone.utc)
    assert first.event_type is None
    assert first.event_id.startswith("legacy-")
    assert events[0].event_id != events[1].event_id


def test_legacy_offset_without_colon() -> None:
    """The Java sample's ``-0700`` offset is read as UTC-7."""
    (event,) = parse_events(_body(JAVA / "WebhooksServiceTest.java.signature_vector.json"))
    assert event.time == datetime(2015, 10, 5, 21, 42, 19, tzinfo=timezone.utc)
    assert event.time is not None
    assert event.time.utcoffset() == timedelta(hours=-7)


def test_legacy_event_id_is_deterministic_and_sensitive() -> None:
    """The legacy id repeats for a redelivery and changes when lastUpdated changes."""
    body = _body(DOTNET / "WebhooksServiceTest.cs.eventNotifications_payload.json")
    assert [e.event_id for e in parse_events(body)] == [e.event_id for e in parse_events(body)]
    later = body.replace(b"03:09:04.000Z", b"03:09:05.000Z")
    assert parse_events(later)[0].event_id != parse_events(body)[0].event_id
    assert parse_events(later)[1].event_id == parse_events(body)[1].event_id


def test_cloudevents_sample_fields() -> None:
    """Intuit's CloudEvents sample maps type, account, entity id, id and time."""
    (event,) = parse_events(_body(DOTNET / "WebhooksServiceTest.cs.cloudevents_payload.json"))
    assert event == WebhookEvent(
        realm_id="310687",
        entity="Class",
        entity_id="1234",
        operation=Operation.CREATE,
        raw_operation="created",
        time=datetime(2025, 10, 7, 19, 59, 7, 34359, tzinfo=timezone.utc),
        event_id="d1a3aedd-9670-41bf-a4f9-c148a1cc4e03",
        format=WebhookFormat.CLOUDEVENTS,
        event_type="qbo.class.created.v1",
    )


def test_merge_deleted_id_both_formats() -> None:
    """Merges carry the merged-away id: legacy ``deletedId`` and CloudEvents ``data.deletedId``."""
    (legacy,) = parse_events(LEGACY_MERGE)
    assert (legacy.entity, legacy.entity_id, legacy.operation) == ("Account", "91", Operation.MERGE)
    assert legacy.deleted_id == "135"
    (cloud,) = parse_events(_body(BALLERINA / "qbo.customer.merged.v1.json"))
    assert cloud.operation is Operation.MERGE
    assert cloud.deleted_id == "1030"


def test_legacy_deleted_id_uppercase_spelling() -> None:
    """The ``deletedID`` spelling is read too."""
    body = (
        b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":['
        b'{"name":"Customer","id":"5","deletedID":"6","operation":"Merge",'
        b'"lastUpdated":"2020-01-01T00:00:00Z"}]}}]}'
    )
    assert parse_events(body)[0].deleted_id == "6"


def test_event_is_frozen() -> None:
    """Events are immutable values."""
    (event,) = parse_events(_body(BALLERINA / "qbo.customer.created.v1.json"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.entity = "Vendor"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("type_", "entity", "operation", "raw"),
    [
        ("qbo.billpayment.updated.v1", "BillPayment", Operation.UPDATE, "updated"),
        ("qbo.journal_entry.deleted.v1", "JournalEntry", Operation.DELETE, "deleted"),
        ("qbo.invoice.voided.v1", "Invoice", Operation.VOID, "voided"),
        ("qbo.invoice.emailed.v2", "Invoice", Operation.EMAILED, "emailed"),
        ("qbo.creditmemo.created", "CreditMemo", Operation.CREATE, "created"),
        ("qbo.widget.teleported.v1", "widget", Operation.UNKNOWN, "teleported"),
    ],
)
def test_cloudevents_types(type_: str, entity: str, operation: Operation, raw: str) -> None:
    """Type names map to QBO spellings; unknown entities and operations are kept, not fatal."""
    body = json.dumps(
        [
            {
                "id": "e1",
                "type": type_,
                "intuitaccountid": "9",
                "intuitentityid": "7",
                "time": "2026-01-01T00:00:00Z",
            }
        ]
    ).encode()
    (event,) = parse_events(body)
    assert (event.entity, event.operation, event.raw_operation) == (entity, operation, raw)


def test_unknown_legacy_entity_and_operation_kept() -> None:
    """A legacy notification with a new entity and operation parses, keeping both names."""
    body = (
        b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":['
        b'{"name":"Gizmo","id":5,"operation":"Archive"}]}}]}'
    )
    (event,) = parse_events(body)
    assert (event.entity, event.entity_id, event.operation, event.raw_operation) == (
        "Gizmo",
        "5",
        Operation.UNKNOWN,
        "Archive",
    )
    assert event.time is None


def test_cloudevents_batch_mixing_companies_and_single_object() -> None:
    """One array may hold several companies; a lone structured-mode event is accepted."""
    events = [
        {
            "id": "a",
            "type": "qbo.customer.created.v1",
            "intuitaccountid": "1",
            "intuitentityid": "2",
        },
        {
            "id": "b",
            "type": "qbo.invoice.updated.v1",
            "intuitaccountid": "3",
            "intuitentityid": "4",
        },
    ]
    parsed = parse_events(json.dumps(events).encode())
    assert [(e.realm_id, e.entity) for e in parsed] == [("1", "Customer"), ("3", "Invoice")]
    single = dict(events[0], specversion="1.0")
    assert parse_events(json.dumps(single).encode())[0].event_id == "a"


def test_empty_notifications() -> None:
    """Empty bodies of the right shape give no events rather than an error."""
    assert parse_events(b"[]") == []
    assert parse_events(b'{"eventNotifications":[]}') == []
    assert parse_events(b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{}}]}') == []


def test_byte_order_mark_is_ignored() -> None:
    """A UTF-8 BOM in front of the JSON does not break parsing."""
    assert parse_events(b"\xef\xbb\xbf[]") == []


LEGACY_ENTITY = (
    '{"name":"Customer","id":"1","operation":"Create","lastUpdated":"2020-01-01T00:00:00Z"}'
)


@pytest.mark.parametrize(
    ("body", "reason", "where"),
    [
        (b"", "not_json", None),
        (b"{not json", "not_json", None),
        (b"\xff\xfe", "not_json", None),
        (b"[" * 100_000, "not_json", None),
        (b"42", "unknown_format", None),
        (b'{"foo":1}', "unknown_format", None),
        (b'{"eventNotifications":{}}', "invalid_field", "eventNotifications"),
        (b'{"eventNotifications":[1]}', "invalid_field", "eventNotifications[0]"),
        (
            b'{"eventNotifications":[{"dataChangeEvent":{}}]}',
            "missing_field",
            "eventNotifications[0].realmId",
        ),
        (
            b'{"eventNotifications":[{"realmId":"1"}]}',
            "missing_field",
            "eventNotifications[0].dataChangeEvent",
        ),
        (
            b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":{}}}]}',
            "invalid_field",
            "eventNotifications[0].dataChangeEvent.entities",
        ),
        (
            (
                '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":['
                + LEGACY_ENTITY
                + ","
                + LEGACY_ENTITY
                + ',{"name":"Customer","operation":"Create"}]}}]}'
            ).encode(),
            "missing_field",
            "eventNotifications[0].dataChangeEvent.entities[2].id",
        ),
        (
            b'{"eventNotifications":[{"realmId":true,"dataChangeEvent":{}}]}',
            "invalid_field",
            "eventNotifications[0].realmId",
        ),
        (
            b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":'
            b'[{"name":"Customer","id":1.5,"operation":"Create"}]}}]}',
            "invalid_field",
            "eventNotifications[0].dataChangeEvent.entities[0].id",
        ),
        (
            b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":'
            b'[{"name":"Customer","id":"1","operation":"Create","lastUpdated":"yesterday"}]}}]}',
            "invalid_field",
            "eventNotifications[0].dataChangeEvent.entities[0].lastUpdated",
        ),
        (b"[1]", "invalid_field", "[0]"),
        (b'[{"id":"a","intuitaccountid":"1","intuitentityid":"2"}]', "missing_field", "[0].type"),
        (
            b'[{"id":"a","type":"customer.created","intuitaccountid":"1","intuitentityid":"2"}]',
            "invalid_field",
            "[0].type",
        ),
        (
            b'[{"id":"a","type":"qbo.customer.created.v1","intuitentityid":"2"}]',
            "missing_field",
            "[0].intuitaccountid",
        ),
        (
            b'[{"id":"a","type":"qbo.customer.created.v1","intuitaccountid":"1"}]',
            "missing_field",
            "[0].intuitentityid",
        ),
        (
            b'[{"type":"qbo.customer.created.v1","intuitaccountid":"1","intuitentityid":"2"}]',
            "missing_field",
            "[0].id",
        ),
        (
            b'[{"id":"a","type":"qbo.customer.created.v1","intuitaccountid":"1","intuitentityid":"2",'
            b'"time":"2025-13-40T00:00:00Z"}]',
            "invalid_field",
            "[0].time",
        ),
        (
            b'[{"id":"a","type":"qbo.customer.created.v1","intuitaccountid":"1",'
            b'"intuitentityid":" "}]',
            "invalid_field",
            "[0].intuitentityid",
        ),
    ],
)
def test_malformed_bodies_name_reason_and_place(
    body: bytes, reason: str, where: str | None
) -> None:
    """Malformed bodies raise WebhookPayloadError saying what is wrong and where."""
    with pytest.raises(WebhookPayloadError) as info:
        parse_events(body)
    assert info.value.reason == reason
    assert info.value.element == where
    if where is not None:
        assert where in str(info.value)
    assert isinstance(info.value, WebhookError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("customer", "Customer"),
        ("CUSTOMER", "Customer"),
        ("purchase-order", "PurchaseOrder"),
        ("Gadget", "Gadget"),
    ],
)
def test_qbo_entity_name(name: str, expected: str) -> None:
    """Entity names are restored to QBO spelling; unknown ones are returned unchanged."""
    assert qbo_entity_name(name) == expected
