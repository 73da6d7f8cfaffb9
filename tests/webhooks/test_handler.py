"""The framework-agnostic handler and the deduplicator it relies on."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence

import pytest
from tests.conftest import REAL_SAMPLES

from qbo_sync.errors import ConfigurationError
from qbo_sync.webhooks import (
    Deduplicator,
    HandlerResult,
    MemoryDeduplicator,
    WebhookEvent,
    WebhookHandler,
    compute_signature,
    find_header,
    parse_events,
)

VECTOR = (
    REAL_SAMPLES
    / "QuickBooks-V3-DotNET-SDK/WebhooksService.Test/WebhooksServiceTest.cs.signature_vector.json"
)
TOKEN = "test-verifier-token"


class Recorder:
    """A callback that records every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[tuple[WebhookEvent, ...]] = []

    def __call__(self, events: Sequence[WebhookEvent]) -> None:
        self.batches.append(tuple(events))

    @property
    def events(self) -> list[WebhookEvent]:
        return [e for batch in self.batches for e in batch]


def _cloud(*ids: str, realm: str = "310687") -> bytes:
    return json.dumps(
        [
            {
                "id": i,
                "type": "qbo.customer.updated.v1",
                "intuitaccountid": realm,
                "intuitentityid": "1",
            }
            for i in ids
        ]
    ).encode()


def _signed(body: bytes) -> dict[str, str]:
    return {"intuit-signature": compute_signature(body, TOKEN)}


def test_intuit_vector_accepted_with_any_header_case() -> None:
    """Intuit's signed sample is accepted; the header name is matched without regard to case."""
    vector = json.loads(VECTOR.read_text())
    body = vector["body"].encode()
    for name in ("intuit-signature", "Intuit-Signature", "INTUIT-SIGNATURE"):
        recorder = Recorder()
        handler = WebhookHandler(verifier_token=vector["verifier_token"], on_events=recorder)
        result = handler.handle(
            body, {"Content-Type": "application/json", name: vector["intuit-signature"]}
        )
        assert (result.status, result.reason, result.ok) == (200, "ok", True)
        assert [e.entity for e in result.events] == ["Vendor", "Customer"]
        assert recorder.batches == [result.events]


def test_bad_signature_is_401_and_nothing_delivered() -> None:
    """Tampered, missing and malformed signatures answer 401 and never reach the callback."""
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder)
    body = _cloud("a")
    tampered = body.replace(b'"1"', b'"2"')
    cases = [
        (tampered, _signed(body), "signature_mismatch"),
        (body, {}, "missing_signature"),
        (body, {"intuit-signature": "%%%"}, "malformed_signature"),
    ]
    for raw, headers, reason in cases:
        result = handler.handle(raw, headers)
        assert (result.status, result.reason) == (401, reason)
        assert result.events == ()
    assert recorder.batches == []


def test_signature_checked_before_parsing() -> None:
    """An unsigned garbage body is a 401 (signature), not a 400 (parse)."""
    handler = WebhookHandler(verifier_token=TOKEN, on_events=Recorder())
    assert handler.handle(b"not json", {}).status == 401


def test_malformed_signed_body_is_400_by_default_and_configurable() -> None:
    """A signed but unreadable body answers malformed_status with the parse reason."""
    body = b'{"eventNotifications":[{"dataChangeEvent":{}}]}'
    result = WebhookHandler(verifier_token=TOKEN, on_events=Recorder()).handle(body, _signed(body))
    assert (result.status, result.reason) == (400, "missing_field")
    lenient = WebhookHandler(verifier_token=TOKEN, on_events=Recorder(), malformed_status=200)
    assert lenient.handle(body, _signed(body)).status == 200


def test_duplicates_applied_once() -> None:
    """A redelivered body, and a repeated id within a body, reach the callback once."""
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder)
    first = handler.handle(_cloud("a", "b", "a"), _signed(_cloud("a", "b", "a")))
    assert [e.event_id for e in first.events] == ["a", "b"]
    assert [e.event_id for e in first.duplicates] == ["a"]
    again = handler.handle(_cloud("a", "b"), _signed(_cloud("a", "b")))
    assert (again.status, again.events, len(again.duplicates)) == (200, (), 2)
    assert [e.event_id for e in recorder.events] == ["a", "b"]
    assert len(recorder.batches) == 1


def test_legacy_redelivery_applied_once() -> None:
    """A legacy delivery repeated by Intuit's retry is recognised by its derived id."""
    vector = json.loads(VECTOR.read_text())
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=vector["verifier_token"], on_events=recorder)
    headers = {"intuit-signature": vector["intuit-signature"]}
    for _ in range(3):
        assert handler.handle(vector["body"].encode(), headers).status == 200
    assert len(recorder.events) == 2


def test_same_event_id_in_two_realms_is_not_a_duplicate() -> None:
    """Event identity is scoped by realm."""
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder)
    for realm in ("1", "2"):
        body = _cloud("same", realm=realm)
        handler.handle(body, _signed(body))
    assert [e.realm_id for e in recorder.events] == ["1", "2"]


def test_callback_failure_answers_500_and_the_retry_is_applied(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A callback failure asks Intuit to retry (500); the retry is not dropped as a duplicate."""
    calls: list[Sequence[WebhookEvent]] = []

    def flaky(events: Sequence[WebhookEvent]) -> None:
        calls.append(events)
        if len(calls) == 1:
            raise RuntimeError("queue unavailable")

    handler = WebhookHandler(verifier_token=TOKEN, on_events=flaky)
    body = _cloud("a")
    with caplog.at_level(logging.ERROR, logger="qbo_sync.webhooks"):
        failed = handler.handle(body, _signed(body))
    assert (failed.status, failed.reason, failed.events) == (500, "callback_failed", ())
    assert isinstance(failed.error, RuntimeError)
    assert "callback failed" in caplog.text
    assert TOKEN not in caplog.text
    retried = handler.handle(body, _signed(body))
    assert (retried.status, [e.event_id for e in retried.events]) == (200, ["a"])
    assert len(calls) == 2


def test_callback_error_status_configurable() -> None:
    """A product that prefers to swallow callback errors can answer 200."""

    def broken(events: Sequence[WebhookEvent]) -> None:
        raise ValueError("boom")

    handler = WebhookHandler(verifier_token=TOKEN, on_events=broken, callback_error_status=200)
    result = handler.handle(_cloud("a"), _signed(_cloud("a")))
    assert (result.status, result.reason) == (200, "callback_failed")


def test_callback_not_called_without_new_events() -> None:
    """An empty delivery answers 200 without calling the callback."""
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder)
    assert handler.handle(b"[]", _signed(b"[]")) == HandlerResult(status=200, reason="ok")
    assert recorder.batches == []


def test_empty_verifier_token_is_a_configuration_error() -> None:
    """The handler refuses to start without a verifier token, rather than failing every delivery."""
    with pytest.raises(ConfigurationError):
        WebhookHandler(verifier_token="", on_events=Recorder())


def test_repr_hides_verifier_token() -> None:
    """The handler's repr never shows the verifier token."""
    handler = WebhookHandler(verifier_token=TOKEN, on_events=Recorder())
    assert TOKEN not in repr(handler)


def test_custom_deduplicator_is_used() -> None:
    """A storage-backed deduplicator can replace the in-memory one through the Protocol."""

    class DenyAll:
        def __init__(self) -> None:
            self.released: list[WebhookEvent] = []

        def claim(self, event: WebhookEvent) -> bool:
            return False

        def release(self, event: WebhookEvent) -> None:
            self.released.append(event)

    dedup = DenyAll()
    assert isinstance(dedup, Deduplicator)
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder, deduplicator=dedup)
    result = handler.handle(_cloud("a"), _signed(_cloud("a")))
    assert (result.events, len(result.duplicates)) == ((), 1)
    assert handler.deduplicator is dedup
    assert recorder.batches == []


def test_find_header() -> None:
    """Header lookup ignores case and answers None when absent."""
    assert find_header({"Intuit-Signature": "x"}, "intuit-signature") == "x"
    assert find_header({"other": "y"}, "intuit-signature") is None


class FakeClock:
    """Monotonic seconds that tests move by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _events(*ids: str) -> list[WebhookEvent]:
    return parse_events(_cloud(*ids))


def test_memory_deduplicator_ttl() -> None:
    """An identity is forgotten once its TTL has passed, not before."""
    clock = FakeClock()
    dedup = MemoryDeduplicator(ttl_seconds=60, clock=clock)
    (event,) = _events("a")
    assert dedup.claim(event) is True
    clock.now = 59.9
    assert dedup.claim(event) is False
    clock.now = 60.0
    assert dedup.claim(event) is True
    assert len(dedup) == 1


def test_memory_deduplicator_max_size_forgets_oldest() -> None:
    """Memory is bounded: beyond max_events the oldest identity goes first."""
    dedup = MemoryDeduplicator(max_events=2, clock=FakeClock())
    a, b, c = _events("a", "b", "c")
    assert [dedup.claim(e) for e in (a, b, c)] == [True, True, True]
    assert len(dedup) == 2
    assert dedup.claim(c) is False
    assert dedup.claim(b) is False
    assert dedup.claim(a) is True


def test_memory_deduplicator_release() -> None:
    """A released identity can be claimed again."""
    dedup = MemoryDeduplicator()
    (event,) = _events("a")
    assert dedup.claim(event)
    dedup.release(event)
    assert dedup.claim(event)
    dedup.release(event)
    dedup.release(event)  # releasing what is not remembered is a no-op, not an error
    assert len(dedup) == 0


def test_memory_deduplicator_claim_is_atomic_across_threads() -> None:
    """Many threads claiming the same event: exactly one wins."""
    dedup = MemoryDeduplicator()
    (event,) = _events("a")
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        wins.append(dedup.claim(event))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


@pytest.mark.parametrize("kwargs", [{"max_events": 0}, {"ttl_seconds": 0}])
def test_memory_deduplicator_rejects_bad_bounds(kwargs: dict[str, float]) -> None:
    """Nonsensical bounds are configuration errors."""
    with pytest.raises(ConfigurationError):
        MemoryDeduplicator(**kwargs)  # type: ignore[arg-type]


def test_failing_deduplicator_answers_500_and_releases_claims() -> None:
    """A shared deduplicator that breaks mid-delivery gives a 500 and leaves nothing claimed."""

    class Flaky:
        def __init__(self) -> None:
            self.claimed: list[str] = []

        def claim(self, event: WebhookEvent) -> bool:
            if len(self.claimed) == 1:
                raise OSError("database unavailable")
            self.claimed.append(event.event_id)
            return True

        def release(self, event: WebhookEvent) -> None:
            self.claimed.remove(event.event_id)

    dedup = Flaky()
    recorder = Recorder()
    handler = WebhookHandler(verifier_token=TOKEN, on_events=recorder, deduplicator=dedup)
    result = handler.handle(_cloud("a", "b"), _signed(_cloud("a", "b")))
    assert (result.status, result.reason) == (500, "deduplicator_failed")
    assert isinstance(result.error, OSError)
    assert dedup.claimed == []
    assert recorder.batches == []


def test_exports_are_sorted_and_complete() -> None:
    """qbo_sync.webhooks.__all__ is sorted and lists exactly the public names."""
    import qbo_sync.webhooks as module

    public = {n for n in dir(module) if n.isidentifier() and not n.startswith("_")}
    assert module.__all__ == sorted(module.__all__)
    assert set(module.__all__) == public
