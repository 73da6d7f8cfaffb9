"""The authorization request and the callback it comes back to (pure)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import attrs
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

from qbo_sync.errors import ConfigurationError

__all__ = [
    "ACCOUNTING_SCOPE",
    "OPENID_SCOPES",
    "PAYMENT_SCOPE",
    "CallbackParams",
    "authorization_url",
    "new_state",
    "parse_callback",
    "state_issued_at",
]

#: The scope every sync needs (facts 1.3).
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
#: QuickBooks Payments; only for apps that take payments.
PAYMENT_SCOPE = "com.intuit.quickbooks.payment"
#: OpenID Connect scopes (sign-in with Intuit); optional.
OPENID_SCOPES = ("openid", "profile", "email", "phone", "address")

_STATE_BYTES = 24


def new_state(now: dt.datetime, *, key: str) -> str:
    """A fresh, unguessable ``state`` value.

    The value is 24 random bytes from :mod:`secrets` (url-safe base64), the
    issue time in seconds and an HMAC of both under ``key``, so a late
    callback can be told "expired" rather than "unknown" after the store
    dropped it, and a forged value cannot claim to be merely expired. The
    time part only picks the message; security rests on the random part and
    the store's consume-once.

    Args:
        now: The issue time.
        key: The HMAC key (the app's client secret).

    Returns:
        The state value.
    """
    body = f"{secrets.token_urlsafe(_STATE_BYTES)}.{int(now.timestamp())}"
    return f"{body}.{_mac(body, key)}"


def state_issued_at(state: str, *, key: str) -> dt.datetime | None:
    """The issue time inside a state made by :func:`new_state` with ``key``.

    Returns:
        The time, or ``None`` when the state is not one of ours.
    """
    body, sep, mac = state.rpartition(".")
    if not sep or not hmac.compare_digest(mac, _mac(body, key)):
        return None
    stamp = body.rpartition(".")[2]
    if not stamp.isdigit() or len(stamp) > 12:
        return None
    return dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)


def _mac(body: str, key: str) -> str:
    digest = hmac.new(key.encode("utf-8"), body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def authorization_url(
    *,
    authorization_endpoint: str,
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str],
    state: str,
) -> str:
    """The URL to send the user to (Intuit's "Connect to QuickBooks" page).

    Args:
        authorization_endpoint: Intuit's authorize endpoint.
        client_id: The app's client id.
        redirect_uri: The registered callback URL.
        scopes: Scopes to request (space-separated on the wire).
        state: The ``state`` value stored for the callback.

    Returns:
        The full URL with ``client_id``, ``response_type=code``, ``scope``,
        ``redirect_uri`` and ``state``.

    Raises:
        ConfigurationError: When no scope is given.
    """
    scope_list = [s for s in scopes if s]
    if not scope_list:
        raise ConfigurationError(
            "at least one OAuth scope is required", problems=["scopes: empty"]
        )
    url: str = prepare_grant_uri(
        authorization_endpoint,
        client_id=client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=scope_list,
        state=state,
    )
    return url


@attrs.frozen(kw_only=True)
class CallbackParams:
    """What Intuit sent back to the redirect URI.

    Attributes:
        code: The authorization code (never shown in ``repr``).
        state: The ``state`` value (never shown in ``repr``).
        realm_id: The company id (``realmId``).
        error: The OAuth error code (``access_denied`` ...), when the user
            declined or the request was refused.
        error_description: Intuit's text for ``error``.
        duplicated: Parameters that appeared more than once (suspicious:
            the callback is refused).
    """

    code: str | None = attrs.field(default=None, repr=False)
    state: str | None = attrs.field(default=None, repr=False)
    realm_id: str | None = None
    error: str | None = None
    error_description: str | None = None
    duplicated: tuple[str, ...] = ()


_KEYS = {
    "code": "code",
    "state": "state",
    "realmId": "realm_id",
    "error": "error",
    "error_description": "error_description",
}


def parse_callback(callback: str | Mapping[str, str | Sequence[str]]) -> CallbackParams:
    """Read the callback from its URL, its query string, or its parameters.

    Accepts the full URL the browser was sent to
    (``https://app.example.com/qbo/callback?code=...``), the bare query string,
    or a mapping such as Flask's ``request.args`` or FastAPI's
    ``request.query_params`` (values as strings or lists of strings).

    Args:
        callback: The callback URL, query string or parameters.

    Returns:
        The parameters (blank values read as missing).
    """
    pairs: dict[str, list[str]] = {}
    if isinstance(callback, str):
        query = urlsplit(callback).query if "?" in callback or "://" in callback else callback
        pairs = parse_qs(query.lstrip("?"), keep_blank_values=True)
    else:
        for key, value in callback.items():
            pairs[key] = [value] if isinstance(value, str) else [str(v) for v in value]
        getlist = getattr(callback, "getlist", None)
        if callable(getlist):
            # Multi-dicts (werkzeug, starlette) hide repeats behind items().
            for key in list(pairs):
                pairs[key] = [str(v) for v in getlist(key)]
    values: dict[str, str | None] = {}
    duplicated: list[str] = []
    for wire, name in _KEYS.items():
        found = [v.strip() for v in pairs.get(wire, []) if v.strip()]
        if len(set(found)) > 1:
            duplicated.append(wire)
        values[name] = found[0] if found else None
    return CallbackParams(
        code=values["code"],
        state=values["state"],
        realm_id=values["realm_id"],
        error=values["error"],
        error_description=values["error_description"],
        duplicated=tuple(duplicated),
    )
