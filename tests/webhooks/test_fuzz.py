"""Fuzzing: arbitrary bodies and signatures only ever produce the documented errors."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_sync.errors import SignatureError, WebhookPayloadError
from qbo_sync.webhooks import (
    WebhookEvent,
    WebhookHandler,
    check_signature,
    compute_signature,
    parse_events,
    verify_signature,
)

TOKEN = "fuzz-verifier-token"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "realmId",
        "dataChangeEvent",
        "entities",
        "name",
        "id",
        "operation",
        "lastUpdated",
        "deletedId",
        "deletedID",
        "type",
        "intuitaccountid",
        "intuitentityid",
        "time",
        "data",
        "specversion",
    ]
)
field_values = st.one_of(
    json_scalars,
    st.sampled_from(
        ["qbo.customer.created.v1", "qbo..x", "2020-01-01T00:00:00Z", "2020-02-30T00:00Z", "Merge"]
    ),
)
entity_like = st.dictionaries(keys, field_values, max_size=8)
legacy_like = st.builds(
    lambda realm, entities, extra: {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}, **extra}
        ]
    },
    field_values,
    st.lists(entity_like | json_values, max_size=3),
    st.dictionaries(keys, json_values, max_size=2),
)
documents: st.SearchStrategy[Any] = st.one_of(
    json_values, legacy_like, st.lists(entity_like, max_size=3), entity_like
)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_payload_error(body: bytes) -> None:
    """Any byte string either parses or raises WebhookPayloadError, nothing else."""
    try:
        events: list[WebhookEvent] | None = parse_events(body)
        error = None
    except WebhookPayloadError as exc:
        events, error = None, exc
    if error is not None:
        assert error.reason in {"not_json", "unknown_format", "missing_field", "invalid_field"}
    else:
        assert isinstance(events, list)


@SETTINGS
@given(documents)
def test_structured_documents_only_raise_payload_error(document: Any) -> None:
    """JSON shaped almost like a notification parses or raises a reasoned WebhookPayloadError."""
    body = json.dumps(document).encode()
    try:
        events = parse_events(body)
        error = None
    except WebhookPayloadError as exc:
        events, error = [], exc
    if error is not None:
        assert error.reason in {"unknown_format", "missing_field", "invalid_field"}
        assert error.element is None or isinstance(error.element, str)
    else:
        for event in events:
            assert event.realm_id
            assert event.entity
            assert event.entity_id
            assert event.event_id
            assert event.time is None or event.time.tzinfo is not None


@SETTINGS
@given(st.binary(max_size=200), st.text(max_size=60) | st.none(), st.text(max_size=20) | st.none())
def test_random_signatures_only_raise_signature_error(
    body: bytes, signature: str | None, token: str | None
) -> None:
    """Any signature/token pair verifies False or raises SignatureError, never anything else."""
    ok = verify_signature(body, signature, token)
    try:
        check_signature(body, signature, token)
        error = None
    except SignatureError as exc:
        error = exc
    if error is not None:
        assert not ok
        assert error.reason in {
            "missing_signature",
            "malformed_signature",
            "signature_mismatch",
            "missing_verifier_token",
        }
    else:
        assert ok


@SETTINGS
@given(st.binary(min_size=1, max_size=200), st.data())
def test_any_bit_flip_fails_verification(body: bytes, data: st.DataObject) -> None:
    """Flipping any bit of a signed body makes the signature fail."""
    signature = compute_signature(body, TOKEN)
    index = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(body)
    flipped[index] ^= 1 << bit
    assert verify_signature(body, signature, TOKEN)
    assert not verify_signature(bytes(flipped), signature, TOKEN)


@SETTINGS
@given(documents | st.binary(max_size=100), st.text(max_size=50) | st.none())
def test_handler_answers_only_documented_statuses(document: Any, signature: str | None) -> None:
    """Fuzzed deliveries (signed or not) always get 200, 400 or 401, never an exception."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=lambda events: None)
    unsigned = handler.handle(
        body, {"intuit-signature": signature} if signature is not None else {}
    )
    assert unsigned.status in {200, 401}
    assert unsigned.status == 401 or signature == compute_signature(body, TOKEN)
    signed = handler.handle(body, {"intuit-signature": compute_signature(body, TOKEN)})
    assert signed.status in {200, 400}
