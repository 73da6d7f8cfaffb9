"""A framework-agnostic webhook endpoint: verify, parse, de-duplicate, hand on.

Intuit wants an answer within 3 seconds, so the handler does only the cheap,
certain part of the work. Fetching entities and syncing them belongs in a
queue or worker that the ``on_events`` callback feeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import attrs

from qbo_sync.errors import ConfigurationError, SignatureError, WebhookPayloadError
from qbo_sync.webhooks._dedup import Deduplicator, MemoryDeduplicator
from qbo_sync.webhooks._events import WebhookEvent, parse_events
from qbo_sync.webhooks._signature import check_signature

__all__ = ["HandlerResult", "WebhookHandler", "find_header"]

SIGNATURE_HEADER = "intuit-signature"


@attrs.frozen(kw_only=True)
class HandlerResult:
    """What happened to one delivery, and what to answer Intuit.

    Attributes:
        status: The HTTP status to answer: 200 accepted, 401 bad signature,
            400 malformed body (configurable), 500 when the callback failed
            (configurable), so that Intuit retries.
        reason: ``"ok"``, a :class:`~qbo_sync.errors.SignatureError` or
            :class:`~qbo_sync.errors.WebhookPayloadError` reason,
            ``"callback_failed"`` or ``"deduplicator_failed"`` (status 500).
        events: The new events handed to the callback (none when it failed).
        duplicates: Events dropped because they had been handed on before.
        error: The exception behind a non-``ok`` reason, if any.
    """

    status: int
    reason: str
    events: tuple[WebhookEvent, ...] = ()
    duplicates: tuple[WebhookEvent, ...] = ()
    error: Exception | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        """``True`` when the delivery was accepted (status 200)."""
        return self.status == 200


class WebhookHandler:
    """Handles one POSTed webhook delivery, whatever the web framework.

    Give it the raw body bytes and the request headers; answer with
    ``result.status``. The callback receives the new events of a delivery
    in one call, and must be quick (enqueue them); it is not called when a
    delivery holds only duplicates or no events.

    If the callback raises, the events are released from the deduplicator
    and the handler answers ``callback_error_status`` (500 by default):
    answering 200 would tell Intuit the events were taken when they were
    lost, while a 500 makes Intuit redeliver them later. The exception is
    logged on the ``qbo_sync.webhooks`` logger and kept in
    :attr:`HandlerResult.error`.

    Args:
        verifier_token: The app's webhook verifier token (developer portal,
            per environment). Never logged or shown in ``repr``.
        on_events: Called with the new events of each accepted delivery.
        deduplicator: Where seen event identities are kept; an in-process
            :class:`MemoryDeduplicator` by default.
        malformed_status: Status for a correctly signed body that cannot be
            parsed (400). Intuit retries non-2xx answers and may hold back
            later events meanwhile, so a product may prefer 200 here.
        callback_error_status: Status when ``on_events`` raises (500).
        logger: Where rejections and callback failures are logged.

    Raises:
        ConfigurationError: If ``verifier_token`` is empty.
    """

    def __init__(
        self,
        *,
        verifier_token: str,
        on_events: Callable[[Sequence[WebhookEvent]], object],
        deduplicator: Deduplicator | None = None,
        malformed_status: int = 400,
        callback_error_status: int = 500,
        logger: logging.Logger | None = None,
    ) -> None:
        if not verifier_token:
            raise ConfigurationError(
                "WebhookHandler needs the app's webhook verifier token",
                problems=["verifier_token: empty"],
            )
        self._verifier_token = verifier_token
        self._on_events = on_events
        self._deduplicator: Deduplicator = (
            deduplicator if deduplicator is not None else MemoryDeduplicator()
        )
        self._malformed_status = malformed_status
        self._callback_error_status = callback_error_status
        self._log = logger if logger is not None else logging.getLogger("qbo_sync.webhooks")

    def __repr__(self) -> str:
        return f"WebhookHandler(verifier_token=<hidden>, deduplicator={self._deduplicator!r})"

    @property
    def deduplicator(self) -> Deduplicator:
        """The deduplicator in use."""
        return self._deduplicator

    def handle(self, body: bytes, headers: Mapping[str, str]) -> HandlerResult:
        """Verify, parse and de-duplicate one delivery, then hand on its new events.

        Args:
            body: The raw request body, exactly as received.
            headers: The request headers; ``intuit-signature`` is looked up
                without regard to case.

        Returns:
            The status to answer and what was delivered. Rejections are
            results, not exceptions; only a ``TypeError`` for a ``str`` body
            (a programming error) escapes.
        """
        try:
            check_signature(body, find_header(headers, SIGNATURE_HEADER), self._verifier_token)
        except SignatureError as exc:
            self._log.warning("webhook rejected: %s (%s)", exc.reason, exc.message)
            return HandlerResult(status=401, reason=exc.reason, error=exc)
        try:
            events = parse_events(body)
        except WebhookPayloadError as exc:
            self._log.warning("webhook body rejected: %s", exc)
            return HandlerResult(status=self._malformed_status, reason=exc.reason, error=exc)
        fresh: list[WebhookEvent] = []
        duplicates: list[WebhookEvent] = []
        try:
            for event in events:
                (fresh if self._deduplicator.claim(event) else duplicates).append(event)
        except Exception as exc:
            # A shared deduplicator (database, Redis) can be down; answering 500
            # makes Intuit redeliver once it is back, and nothing stays claimed.
            self._release(fresh)
            self._log.exception("webhook deduplicator failed")
            return HandlerResult(status=500, reason="deduplicator_failed", error=exc)
        new = tuple(fresh)
        if new:
            try:
                self._on_events(new)
            except Exception as exc:
                self._release(new)
                self._log.exception("webhook callback failed for %d event(s)", len(new))
                return HandlerResult(
                    status=self._callback_error_status,
                    reason="callback_failed",
                    duplicates=tuple(duplicates),
                    error=exc,
                )
        return HandlerResult(status=200, reason="ok", events=new, duplicates=tuple(duplicates))

    def _release(self, events: Sequence[WebhookEvent]) -> None:
        for event in events:
            try:
                self._deduplicator.release(event)
            except Exception:  # noqa: PERF203 - each release is attempted on its own
                # Best effort: an event left claimed is dropped on redelivery,
                # which the log makes visible.
                self._log.exception("webhook deduplicator could not release an event")


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up without regard to case.

    Framework header objects are usually case-insensitive already; a plain
    ``dict`` is not, hence the scan.
    """
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None
