"""Token endpoint answers: parse grants and errors, compute expiries (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from qbo_sync import _json
from qbo_sync.errors import InvalidGrantError, OAuthError, PayloadError, ServerError
from qbo_sync.http._redact import redact
from qbo_sync.storage._records import TokenSet

from ._redact import scrub

__all__ = ["TokenGrant", "parse_token_error", "parse_token_response"]

_ENTITY = "TokenResponse"


@attrs.frozen(kw_only=True)
class TokenGrant:
    """One successful answer of Intuit's token endpoint, with absolute expiries.

    Expiries count from ``obtained_at``, the moment the request was SENT, so
    network latency makes them early, never late.

    Attributes:
        access_token: The new bearer token.
        refresh_token: The refresh token to use next time (may equal the old one).
        expires_in: Access-token lifetime in seconds (3600 at Intuit).
        refresh_expires_in: ``x_refresh_token_expires_in`` (rolling, ~100 days).
        refresh_hard_expires_in: ``x_refresh_token_hard_expires_in`` (5-year cap),
            only when Intuit sent it.
        obtained_at: When the request was sent.
        id_token: The OpenID ID token, when OpenID scopes were requested.
        intuit_tid: Intuit's transaction id of the response.
    """

    access_token: str = attrs.field(repr=False)
    refresh_token: str = attrs.field(repr=False)
    expires_in: int
    refresh_expires_in: int
    refresh_hard_expires_in: int | None
    obtained_at: dt.datetime
    id_token: str | None = attrs.field(default=None, repr=False)
    intuit_tid: str | None = None

    @property
    def access_expires_at(self) -> dt.datetime:
        """When the access token expires."""
        return self.obtained_at + dt.timedelta(seconds=self.expires_in)

    @property
    def refresh_expires_at(self) -> dt.datetime:
        """When the refresh token expires unless it is used (rolling)."""
        return self.obtained_at + dt.timedelta(seconds=self.refresh_expires_in)

    @property
    def refresh_hard_expires_at(self) -> dt.datetime | None:
        """The absolute expiry of the refresh token, when Intuit reported it."""
        if self.refresh_hard_expires_in is None:
            return None
        return self.obtained_at + dt.timedelta(seconds=self.refresh_hard_expires_in)

    def to_token_set(
        self, *, previous: TokenSet | None = None, version: int = 0
    ) -> TokenSet:
        """The storage record for this grant.

        Args:
            previous: The set this grant replaces; its hard expiry is kept
                when this response did not report one (the 5-year cap does
                not move on refresh).
            version: The CAS version to put on the record (stores assign it).

        Returns:
            A :class:`~qbo_sync.storage.TokenSet` with ``updated_at`` =
            ``obtained_at``.
        """
        hard = self.refresh_hard_expires_at
        if hard is None and previous is not None:
            hard = previous.refresh_hard_expires_at
        return TokenSet(
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            access_expires_at=self.access_expires_at,
            refresh_expires_at=self.refresh_expires_at,
            refresh_hard_expires_at=hard,
            version=version,
            updated_at=self.obtained_at,
        )


def parse_token_response(
    body: bytes | Mapping[str, Any],
    *,
    obtained_at: dt.datetime,
    intuit_tid: str | None = None,
) -> TokenGrant:
    """Read a 200 answer of the token endpoint.

    Args:
        body: The raw body or its decoded JSON object.
        obtained_at: When the request was sent (timezone-aware).
        intuit_tid: The response's ``intuit_tid`` header.

    Returns:
        The grant.

    Raises:
        PayloadError: When a field is missing or malformed; the message names
            the field, never its value.
    """
    data = _json_object(body)
    if data is None:
        raise PayloadError(
            "token response is not a JSON object", entity=_ENTITY, intuit_tid=intuit_tid
        )
    if "error" in data:
        raise parse_token_error(400, data, intuit_tid=intuit_tid)
    token_type = data.get("token_type", "bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise _bad("token_type", f"expected 'bearer', got {token_type!r}", intuit_tid)
    access = _secret(data, "access_token", intuit_tid)
    refresh = _secret(data, "refresh_token", intuit_tid)
    expires_in = _seconds(data, "expires_in", intuit_tid, required=True)
    refresh_in = _seconds(data, "x_refresh_token_expires_in", intuit_tid, required=True)
    hard_in = _seconds(data, "x_refresh_token_hard_expires_in", intuit_tid, required=False)
    id_token = data.get("id_token")
    assert expires_in is not None
    assert refresh_in is not None
    return TokenGrant(
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        refresh_expires_in=refresh_in,
        refresh_hard_expires_in=hard_in,
        obtained_at=obtained_at,
        id_token=id_token if isinstance(id_token, str) and id_token else None,
        intuit_tid=intuit_tid,
    )


def parse_token_error(
    status: int,
    body: bytes | Mapping[str, Any],
    *,
    intuit_tid: str | None = None,
    secrets: Iterable[str | None] = (),
    action: str = "token request",
) -> OAuthError | ServerError:
    """Turn a refused token-endpoint (or revoke) answer into an error.

    Args:
        status: HTTP status.
        body: Raw body or decoded JSON (``{"error": ..., "error_description": ...}``).
        intuit_tid: The response's ``intuit_tid`` header.
        secrets: Values to scrub from Intuit's text (the token that was sent).
        action: What was attempted, for the message (``"refresh"`` ...).

    Returns:
        :class:`~qbo_sync.errors.InvalidGrantError` for ``invalid_grant``,
        :class:`~qbo_sync.errors.ServerError` for a 5xx without an OAuth error
        code, otherwise :class:`~qbo_sync.errors.OAuthError`.
    """
    data = _json_object(body) or {}
    error = data.get("error")
    error = error if isinstance(error, str) and error else None
    description = data.get("error_description")
    description = description if isinstance(description, str) and description else None
    if error is None and status >= 500:
        return ServerError(
            f"Intuit's OAuth server failed the {action}", status=status, intuit_tid=intuit_tid
        )
    code = error or "unknown_error"
    message = f"Intuit refused the {action}: {code}"
    detail = _clean(description, secrets) if description else None
    cls = InvalidGrantError if code == "invalid_grant" else OAuthError
    return cls(message, error=code, status=status, detail=detail, intuit_tid=intuit_tid)


def _clean(text: str, secrets: Iterable[str | None]) -> str:
    # The http layer's pattern-based redaction (JWTs, opaque runs) on top of
    # exact removal of the values we sent.
    return redact(scrub(text, secrets))


def _json_object(body: bytes | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``body`` as a decoded JSON object, or ``None`` when it is not one."""
    if isinstance(body, Mapping):
        return body
    try:
        data = _json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, Mapping) else None


def _bad(field: str, problem: str, intuit_tid: str | None) -> PayloadError:
    return PayloadError(
        f"{_ENTITY}.{field}: {problem}", entity=_ENTITY, path=field, intuit_tid=intuit_tid
    )


def _secret(data: Mapping[str, Any], field: str, intuit_tid: str | None) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        # Never echo the value: it may be a token in the wrong shape.
        raise _bad(field, "missing or not a non-empty string", intuit_tid)
    return value


def _seconds(
    data: Mapping[str, Any], field: str, intuit_tid: str | None, *, required: bool
) -> int | None:
    value = data.get(field)
    if value is None:
        if required:
            raise _bad(field, "missing", intuit_tid)
        return None
    if isinstance(value, bool):
        raise _bad(field, f"expected a number of seconds, got {value!r}", intuit_tid)
    if not isinstance(value, int):
        try:
            as_int = int(value)
        except (TypeError, ValueError, ArithmeticError):
            raise _bad(field, f"expected a number of seconds, got {value!r}", intuit_tid) from None
        value = as_int
    if value <= 0:
        raise _bad(field, f"expected a positive number of seconds, got {value}", intuit_tid)
    return value
