"""The qbo_sync error tree.

Every error the library raises derives from :class:`QBOError`, so one
``except QBOError`` catches them all. Errors that come from QuickBooks carry
the HTTP status, the QBO fault code, message, detail, element and the
``intuit_tid`` of the response; the ``intuit_tid`` leads the message, because
it is what Intuit support asks for first.

```
QBOError
├── TransportError              connection failed, timed out, or dropped
├── AuthError                   401 / faults 100, 120, 130, 3100, 3200
│   ├── OAuthError              the token endpoint said no (``error`` holds the OAuth code)
│   │   └── InvalidGrantError   ``invalid_grant``: refresh token superseded, expired or revoked
│   └── ReauthorizationRequired the connection needs the user to reconnect
├── ThrottledError              429 / fault 3001 (also 403 + ThrottleExceeded)
├── NotFoundError               404 / fault 610
├── StaleObjectError            fault 5010 (SyncToken out of date)
├── DuplicateNameError          fault 6240
├── ValidationError             400-class business and request errors (also ``ValueError``)
│   ├── DuplicateDocNumberError fault 6140 / 6210
│   └── QueryError              faults 4000 / 4001 / 4002
├── ServerError                 500 / 502 / 503 / 504 and SystemFault
├── PayloadError                a payload that does not fit the model (also ``ValueError``)
├── ConfigurationError          missing or malformed configuration (also ``ValueError``)
├── StorageError                the storage backend failed
│   ├── SchemaVersionError      the database is newer than this library
│   ├── EncryptionKeyError      tokens cannot be decrypted with the configured keys
│   ├── ConflictError           a compare-and-swap lost the race
│   └── LockTimeoutError        a storage lock was not acquired in time (also ``TimeoutError``)
├── WebhookError                a webhook delivery was rejected (also ``ValueError``)
│   ├── SignatureError          missing, malformed or wrong ``intuit-signature``
│   └── WebhookPayloadError     the body is not a notification we can read
└── MappingError                a local record cannot become a QBO write (also ``ValueError``)
```

Secrets (tokens, client secrets, verifier tokens) never appear in the text of
any of these errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AuthError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateDocNumberError",
    "DuplicateNameError",
    "EncryptionKeyError",
    "FaultDetail",
    "InvalidGrantError",
    "LockTimeoutError",
    "MappingError",
    "NotFoundError",
    "OAuthError",
    "PayloadError",
    "QBOError",
    "QueryError",
    "ReauthorizationRequired",
    "SchemaVersionError",
    "ServerError",
    "SignatureError",
    "StaleObjectError",
    "StorageError",
    "ThrottledError",
    "TransportError",
    "ValidationError",
    "WebhookError",
    "WebhookPayloadError",
]


@attrs.frozen
class FaultDetail:
    """One ``Error`` element of a QBO ``Fault`` envelope.

    A fault may hold several errors; every one is kept.
    """

    code: str | None
    message: str
    detail: str | None = None
    element: str | None = None


class QBOError(Exception):
    """Root of every error qbo_sync raises.

    Attributes:
        message: Human-readable summary (never contains secrets).
        status: HTTP status of the response, if there was one.
        code: QBO fault code of the first error (``"6240"``), if any.
        detail: QBO ``Detail`` text of the first error, if any.
        element: QBO ``element`` of the first error (the offending field).
        intuit_tid: Intuit's transaction id from the response headers.
        errors: Every error of the fault, in order.
        fault_type: The fault ``type`` (``ValidationFault``, ``SERVICE`` ...).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        element: str | None = None,
        intuit_tid: str | None = None,
        errors: Sequence[FaultDetail] = (),
        fault_type: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.errors: tuple[FaultDetail, ...] = tuple(errors)
        self.fault_type = fault_type
        super().__init__(self._render())

    def _render(self) -> str:
        parts: list[str] = []
        if self.intuit_tid:
            parts.append(f"[intuit_tid={self.intuit_tid}]")
        parts.append(self.message)
        facts: list[str] = []
        if self.code:
            facts.append(f"code {self.code}")
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        if self.element:
            facts.append(f"element {self.element}")
        if facts:
            parts.append(f"({', '.join(facts)})")
        text = " ".join(parts)
        if self.detail and self.detail != self.message:
            text = f"{text}: {self.detail}"
        if len(self.errors) > 1:
            text += f" [+{len(self.errors) - 1} more error(s)]"
        return text

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"code={self.code!r}, intuit_tid={self.intuit_tid!r})"
        )

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Exceptions with keyword-only constructors must say how to rebuild
        # themselves, or pickling them across processes (Celery) fails.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[QBOError], message: str, state: dict[str, object]) -> QBOError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class TransportError(QBOError):
    """The request did not get an HTTP answer: connect error, timeout, drop.

    A write that ends in a ``TransportError`` may or may not have happened;
    retrying it with the same ``requestid`` is safe.
    """


class AuthError(QBOError):
    """The credentials were refused (401) or lack permission (403 / 3100)."""


class OAuthError(AuthError):
    """Intuit's OAuth endpoints returned an error.

    Attributes:
        error: The OAuth error code (``invalid_grant``, ``invalid_client`` ...).
    """

    def __init__(self, message: str, *, error: str | None = None, **kwargs: object) -> None:
        self.error = error
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class InvalidGrantError(OAuthError):
    """``invalid_grant``: the code or refresh token is expired, reused or revoked."""


class ReauthorizationRequired(AuthError):  # noqa: N818 - names the state the connection is in
    """The connection cannot be refreshed; the user must connect QuickBooks again."""


class ThrottledError(QBOError):
    """QBO throttled the request (HTTP 429 or fault 3001).

    Attributes:
        retry_after: Seconds the server asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NotFoundError(QBOError):
    """The object does not exist, was deleted, or is inactive (404 / 610)."""


class StaleObjectError(QBOError):
    """The SyncToken sent is not the current one (fault 5010): re-read and retry."""


class DuplicateNameError(QBOError):
    """The name is already used (fault 6240).

    DisplayName is unique across customers, vendors and employees together.
    """


class ValidationError(QBOError, ValueError):
    """QBO rejected the request as invalid (400-class business rules)."""


class DuplicateDocNumberError(ValidationError):
    """The document number is already used (fault 6140, or 6210 in older docs)."""


class QueryError(ValidationError):
    """The query could not be parsed or run (faults 4000, 4001, 4002)."""


class ServerError(QBOError):
    """QBO failed on its side (500, 502, 503, 504 or a SystemFault)."""


class PayloadError(QBOError, ValueError):
    """A payload does not fit the model.

    The message names the entity, the field path and what is wrong, e.g.
    ``Invoice.Line[2].Amount: expected a decimal number, got 'abc'``.

    Attributes:
        entity: The QBO entity name being converted.
        path: The field path within the payload, in wire (PascalCase) names.
    """

    def __init__(
        self, message: str, *, entity: str | None = None, path: str | None = None, **kwargs: object
    ) -> None:
        self.entity = entity
        self.path = path
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ConfigurationError(QBOError, ValueError):
    """Configuration is missing or malformed.

    Attributes:
        problems: Every problem found, so one error lists them all.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = (), **kwargs: object) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class StorageError(QBOError):
    """The storage backend failed; nothing was half-written."""


class SchemaVersionError(StorageError):
    """The database schema is newer than this version of qbo_sync understands."""


class EncryptionKeyError(StorageError):
    """Stored tokens cannot be decrypted with any configured key."""


class ConflictError(StorageError):
    """A compare-and-swap found a different version than expected."""


class LockTimeoutError(StorageError, TimeoutError):
    """A storage lock (such as the per-realm refresh lock) was not acquired in time."""


class WebhookError(QBOError, ValueError):
    """A webhook delivery was rejected.

    Attributes:
        reason: A short machine-readable reason (``missing_signature`` ...).
    """

    def __init__(self, message: str, *, reason: str, **kwargs: object) -> None:
        self.reason = reason
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class SignatureError(WebhookError):
    """The ``intuit-signature`` header is missing, malformed or does not match."""


class WebhookPayloadError(WebhookError):
    """The webhook body is not valid JSON or not a known notification format."""


class MappingError(QBOError, ValueError):
    """A local record cannot be mapped to a QBO entity; nothing was sent for it.

    The sync engine turns it into a failed outcome for that one record.

    Attributes:
        reason: A machine-readable reason code: ``mapping_missing`` (an
            account, tax code or item mapping is not set),
            ``dependency_missing`` (a customer, item or invoice it needs is
            not in QBO), ``invalid_record`` (the record itself is wrong).
        entity: The QBO entity name of the record (``"Invoice"``).
        local_id: The product's id of the record.
        field: The local field at fault (``"lines[2].tax_code"``), if one is.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        entity: str | None = None,
        local_id: str | None = None,
        field: str | None = None,
        **kwargs: object,
    ) -> None:
        self.reason = reason
        self.entity = entity
        self.local_id = local_id
        self.field = field
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
