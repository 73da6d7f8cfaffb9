"""Signed webhook notifications from the fake's ledger changes (facts sheet section 8).

Every change the ledger commits becomes one event. Events are sent at once
(``delivery="immediate"``) or kept until ``flush()`` (``delivery="manual"``),
which sends them all in one notification, as Intuit batches them. Two body
formats: the legacy ``eventNotifications`` document (one element per realm)
and the CloudEvents array. The ``intuit-signature`` header is
base64(HMAC-SHA256(verifier token, raw body)), the same in both formats.
"""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal, Protocol

import attrs
import httpx

from qbo_sync import _json
from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._clock import Clock
from qbo_sync.webhooks import compute_signature

__all__ = ["ChangeEventLike", "Delivery", "WebhookCallback", "WebhookEmitter", "sign"]

WebhookFormat = Literal["legacy", "cloudevents"]
WebhookDelivery = Literal["immediate", "manual"]
#: Called with the raw body and the headers, exactly as a receiver would get them.
WebhookCallback = Callable[[bytes, Mapping[str, str]], object]

_PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}


class ChangeEventLike(Protocol):
    """What the emitter reads from a ledger change event."""

    @property
    def realm_id(self) -> str: ...
    @property
    def entity(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def time(self) -> Any: ...


@attrs.frozen(kw_only=True)
class Delivery:
    """One notification sent (or attempted).

    Attributes:
        target: ``"callback"`` or the URL it was POSTed to.
        body: The raw body.
        headers: The headers sent (``intuit-signature`` included).
        status: The receiver's HTTP status (callbacks: 200 unless they raised).
        error: Why delivery failed, if it did.
    """

    target: str
    body: bytes
    headers: Mapping[str, str]
    status: int | None
    error: str | None = None


def sign(body: bytes, verifier_token: str) -> str:
    """``intuit-signature`` for ``body``: base64(HMAC-SHA256(verifier_token, body))."""
    # One signer for the library and the fake: Intuit's published test vectors
    # pin compute_signature, so the fake cannot drift from real signatures.
    return compute_signature(body, verifier_token)


def _utc(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return fallback


class WebhookEmitter:
    """Turns ledger changes into signed notifications. Reach it as ``fake.webhooks``.

    Args:
        clock: For event times and the ``intuit-created-time`` header.
        verifier_token: The HMAC key (the app's webhook verifier token).
        format: ``"legacy"`` (eventNotifications) or ``"cloudevents"``.
        delivery: ``"immediate"`` or ``"manual"`` (kept until :meth:`flush`).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        verifier_token: str,
        format: WebhookFormat = "legacy",  # noqa: A002 - the word users know
        delivery: WebhookDelivery = "immediate",
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self.verifier_token = verifier_token
        self.format: WebhookFormat = format
        self.delivery: WebhookDelivery = delivery
        self._pending: list[dict[str, Any]] = []
        self._callbacks: list[WebhookCallback] = []
        self._urls: list[str] = []
        self._http: httpx.Client | None = None
        self._http_transport: httpx.BaseTransport | None = None
        self.deliveries: list[Delivery] = []
        #: Opaque per-fake ``source`` of CloudEvents (Intuit sends ``intuit.<opaque>``).
        self.source = "intuit." + base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    @property
    def verifier_token(self) -> str:
        """The HMAC key notifications are signed with."""
        return self._verifier_token

    @verifier_token.setter
    def verifier_token(self, value: str) -> None:
        if not value:
            raise ConfigurationError("the webhook verifier token must not be empty")
        self._verifier_token = value

    def __repr__(self) -> str:
        return f"WebhookEmitter(format={self.format!r}, delivery={self.delivery!r})"

    # -- targets ------------------------------------------------------------------------

    def add_callback(self, callback: WebhookCallback) -> None:
        """Deliver notifications to ``callback(body, headers)`` in this process."""
        with self._lock:
            self._callbacks.append(callback)

    def add_url(self, url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        """POST notifications to ``url`` (loopback HTTP; ``transport`` for tests)."""
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"webhook url must be http(s), got {url!r}")
        with self._lock:
            self._urls.append(url)
            if transport is not None:
                self._http_transport = transport

    @property
    def pending(self) -> int:
        """Events waiting for :meth:`flush`."""
        with self._lock:
            return len(self._pending)

    # -- events -------------------------------------------------------------------------

    def on_change(self, event: ChangeEventLike) -> None:
        """Ledger listener: queue one event, and send it now if delivery is immediate."""
        now = self._clock.now()
        record = {
            "realm_id": str(event.realm_id),
            "entity": str(event.entity),
            "id": str(event.id),
            "operation": str(event.operation),
            "time": _utc(getattr(event, "time", None), now),
            "deleted_id": getattr(event, "deleted_id", None),
        }
        with self._lock:
            self._pending.append(record)
            immediate = self.delivery == "immediate"
        if immediate:
            self.flush()

    def flush(self) -> int:
        """Send every pending event as one notification.

        Returns:
            The number of events sent.
        """
        with self._send_lock:
            with self._lock:
                events, self._pending = self._pending, []
                callbacks, urls = list(self._callbacks), list(self._urls)
            if not events:
                return 0
            body = self.render(events)
            headers = {
                "content-type": "application/json; charset=utf-8",
                "intuit-signature": sign(body, self.verifier_token),
                "intuit-created-time": self._clock.now().isoformat(timespec="milliseconds"),
                "intuit-t-id": str(uuid.uuid4()),
                "intuit-notification-schema-version": "0.1",
                "user-agent": "intuit_notification_server/0.1",
            }
            for callback in callbacks:
                self._to_callback(callback, body, headers)
            for url in urls:
                self._to_url(url, body, headers)
            return len(events)

    def render(self, events: list[dict[str, Any]]) -> bytes:
        """The notification body for ``events`` in the configured format."""
        if self.format == "cloudevents":
            return _json.dumps([self._cloud_event(e) for e in events])
        by_realm: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            entry: dict[str, Any] = {
                "name": event["entity"],
                "id": event["id"],
                "operation": event["operation"],
                "lastUpdated": _z_time(event["time"]),
            }
            if event["deleted_id"] is not None:
                entry["deletedId"] = str(event["deleted_id"])
            by_realm.setdefault(event["realm_id"], []).append(entry)
        return _json.dumps(
            {
                "eventNotifications": [
                    {"realmId": realm, "dataChangeEvent": {"entities": entities}}
                    for realm, entities in by_realm.items()
                ]
            }
        )

    def _cloud_event(self, event: dict[str, Any]) -> dict[str, Any]:
        operation = event["operation"]
        past = _PAST_TENSE.get(operation, operation.lower() + "d")
        data: dict[str, Any] = {}
        if event["deleted_id"] is not None:
            data["deletedId"] = str(event["deleted_id"])
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": self.source,
            "type": f"qbo.{event['entity'].lower()}.{past}.v1",
            "datacontenttype": "application/json",
            "time": _z_time(event["time"]),
            "intuitentityid": event["id"],
            "intuitaccountid": event["realm_id"],
            "data": data,
        }

    def _to_callback(self, callback: WebhookCallback, body: bytes, headers: dict[str, str]) -> None:
        try:
            callback(body, dict(headers))
        except Exception as exc:
            self.deliveries.append(
                Delivery(
                    target="callback",
                    body=body,
                    headers=headers,
                    status=500,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
            return
        self.deliveries.append(Delivery(target="callback", body=body, headers=headers, status=200))

    def _to_url(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        if self._http is None:
            self._http = httpx.Client(timeout=3.0, transport=self._http_transport)
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.deliveries.append(
                Delivery(
                    target=url,
                    body=body,
                    headers=headers,
                    status=None,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
            return
        self.deliveries.append(
            Delivery(target=url, body=body, headers=headers, status=response.status_code)
        )

    def close(self) -> None:
        """Close the HTTP client used for URL deliveries."""
        if self._http is not None:
            self._http.close()
            self._http = None


def _z_time(moment: datetime) -> str:
    """``2016-10-05T03:09:04.000Z``, the shape in Intuit's samples."""
    text = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
