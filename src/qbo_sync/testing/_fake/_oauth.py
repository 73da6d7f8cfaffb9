"""Intuit's OAuth 2.0 / OpenID Connect endpoints, faked (facts sheet sections 1.2 and 2).

One lock guards every grant, code and token, so concurrent refreshes of the
same refresh token (threads on the in-process transport, or processes hitting
the HTTP-served fake) get exactly one winner; the losers see ``invalid_grant``,
exactly as parallel refreshes do against Intuit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from qbo_sync import _json
from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._clock import Clock
from qbo_sync.testing._fake._wire import Reply, intuit_tid, json_reply, text_reply

__all__ = ["INTUIT_ENDPOINTS", "OAuthConfig", "OAuthServer"]

ISSUER = "https://oauth.platform.intuit.com/op/v1"
#: Intuit's published endpoints (discovery document), used when the fake is
#: reached in-process: the transport ignores the host, so these still hit it.
INTUIT_ENDPOINTS = {
    "authorization_endpoint": "https://appcenter.intuit.com/connect/oauth2",
    "token_endpoint": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    "revocation_endpoint": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    "jwks_uri": "https://oauth.platform.intuit.com/op/v1/jwks",
    "userinfo_endpoint": "https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
}
SANDBOX_USERINFO = "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo"
ACCOUNTING_SCOPES = frozenset({"com.intuit.quickbooks.accounting", "com.intuit.quickbooks.payment"})
OIDC_SCOPES = frozenset({"openid", "profile", "email", "phone", "address"})
_JSON_UTF8 = "application/json;charset=UTF-8"
#: Token endpoint answers are never cached (RFC 6749 5.1), and Intuit says so.
TOKEN_HEADERS: Mapping[str, str] = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"


@attrs.frozen(kw_only=True)
class OAuthConfig:
    """Token lifetimes and rotation rules (the CONFLICT/UNCERTAIN facts, made settable).

    Attributes:
        access_token_lifetime: Seconds an access token lives (Intuit: 3600).
        refresh_token_lifetime: Rolling lifetime of a refresh token in seconds
            (100 days); a newly issued value gets the full lifetime again.
        refresh_token_hard_lifetime: Absolute cap from the first consent
            (5 years, the 2025 policy).
        refresh_token_reuse_window: If > 0, a refresh within this many seconds
            of the current refresh token's issue returns the SAME value (Intuit
            rotates roughly every 24-26 h). 0: every refresh rotates.
        refresh_token_grace: Seconds a superseded refresh token keeps working
            (0: dead at once, the conservative reading of the facts).
        code_lifetime: Seconds an authorization code can be exchanged.
    """

    access_token_lifetime: float = 3600.0
    refresh_token_lifetime: float = 100 * 86400.0
    refresh_token_hard_lifetime: float = 5 * 365 * 86400.0
    refresh_token_reuse_window: float = 0.0
    refresh_token_grace: float = 0.0
    code_lifetime: float = 600.0


@attrs.define(kw_only=True)
class _App:
    client_id: str
    client_secret: str = attrs.field(repr=False)
    redirect_uris: tuple[str, ...]


@attrs.define(kw_only=True)
class _Consent:
    realm_id: str | None
    deny: bool


@attrs.define(kw_only=True)
class _Code:
    client_id: str
    redirect_uri: str
    realm_id: str | None
    scope: str
    expires_at: float
    used: bool = False


@attrs.define(kw_only=True)
class _Grant:
    client_id: str
    realm_id: str | None
    scope: str
    sub: str
    first_consent: float
    latest_refresh: str = ""
    revoked: bool = False


@attrs.define(kw_only=True)
class _Refresh:
    grant_id: str
    issued_at: float
    expires_at: float
    superseded_at: float | None = None


@attrs.define(kw_only=True)
class _Access:
    realm_id: str | None
    grant_id: str | None
    scope: str
    expires_at: float


@attrs.frozen(kw_only=True)
class AccessCheck:
    """Why a bearer token was refused: ``status`` 401 (``detail``) or 403 (wrong realm)."""

    status: int
    detail: str


def _token_json(status: int, payload: Mapping[str, Any]) -> Reply:
    return json_reply(status, payload, headers=TOKEN_HEADERS, content_type=_JSON_UTF8)


def _oauth_error(status: int, error: str, description: str | None = None) -> Reply:
    payload: dict[str, str] = {}
    if description is not None:
        payload["error_description"] = description
    payload["error"] = error
    return _token_json(status, payload)


class OAuthServer:
    """The fake authorization server. Use it through :class:`~qbo_sync.testing.FakeQBO`.

    Args:
        clock: Time source for every lifetime.
        config: Lifetimes and rotation rules.
        resolve_realm: Picks the company a consent grants access to, given an
            optional requested realm id; returns None if there is none.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        config: OAuthConfig,
        resolve_realm: Callable[[str | None], str | None],
    ) -> None:
        self._clock = clock
        self.config = config
        self._resolve_realm = resolve_realm
        self._lock = threading.Lock()
        self._apps: dict[str, _App] = {}
        self._consents: deque[_Consent] = deque()
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._access: dict[str, _Access] = {}
        self._signer: _IdTokenSigner | None = None

    # -- set-up -------------------------------------------------------------------------

    def register_app(
        self, *, client_id: str, client_secret: str, redirect_uris: list[str] | tuple[str, ...]
    ) -> None:
        """Register an OAuth app the fake accepts."""
        if not client_id or not client_secret:
            raise ConfigurationError("register_app needs a non-empty client_id and client_secret")
        if not redirect_uris:
            raise ConfigurationError(f"register_app({client_id!r}) needs at least one redirect URI")
        with self._lock:
            self._apps[client_id] = _App(
                client_id=client_id, client_secret=client_secret, redirect_uris=tuple(redirect_uris)
            )

    def next_consent(self, *, realm_id: str | None = None, deny: bool = False) -> None:
        """Decide how the next authorize request is answered (queued, first in first out)."""
        with self._lock:
            self._consents.append(_Consent(realm_id=realm_id, deny=deny))

    def issue_access_token(self, realm_id: str, *, lifetime: float | None = None) -> str:
        """A bearer token for ``realm_id`` outside any OAuth grant."""
        token = _new_token("eyJ", 60)
        with self._lock:
            self._access[token] = _Access(
                realm_id=realm_id,
                grant_id=None,
                scope="com.intuit.quickbooks.accounting",
                expires_at=self._clock.time() + (lifetime or self.config.access_token_lifetime),
            )
        return token

    def live_refresh_tokens(
        self, realm_id: str | None = None, *, client_id: str | None = None
    ) -> list[str]:
        """Refresh tokens a refresh request would accept right now, oldest first.

        A value is live when its grant is not revoked, it has not expired, and
        it was not superseded by a newer value (or is still inside the
        ``refresh_token_grace`` window after that). For tests, e.g. asserting
        that concurrent refreshes left exactly one live token per grant.

        Args:
            realm_id: Only grants of this company (default: every grant).
            client_id: Only grants of this app (default: every app).

        Returns:
            The token values (secrets: do not log them outside tests).
        """
        now = self._clock.time()
        grace = self.config.refresh_token_grace
        with self._lock:
            live = []
            for value, record in self._refresh.items():
                grant = self._grants[record.grant_id]
                if grant.revoked or now >= record.expires_at:
                    continue
                if realm_id is not None and grant.realm_id != realm_id:
                    continue
                if client_id is not None and grant.client_id != client_id:
                    continue
                if record.superseded_at is not None and now >= record.superseded_at + grace:
                    continue
                live.append(value)
            return live

    # -- API gate -----------------------------------------------------------------------

    def check_access(self, authorization: str | None, realm_id: str) -> AccessCheck | None:
        """None if ``authorization`` lets the caller into ``realm_id``, else why not."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return AccessCheck(status=401, detail="Authorization header missing or not Bearer")
        token = authorization[7:].strip()
        with self._lock:
            access = self._access.get(token)
            if access is None:
                return AccessCheck(status=401, detail="Token invalid")
            if access.grant_id is not None and self._grants[access.grant_id].revoked:
                return AccessCheck(status=401, detail="Token revoked")
            if self._clock.time() >= access.expires_at:
                return AccessCheck(status=401, detail="Token expired")
            if access.realm_id != realm_id:
                return AccessCheck(status=403, detail="Token not issued for this company")
        return None

    # -- endpoints ----------------------------------------------------------------------

    def authorize(self, query: Mapping[str, str]) -> Reply:
        """``GET /connect/oauth2``: consent is given (or refused) at once, then 302."""
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                return _error_page(400, f"Unknown client_id {client_id!r}")
            if redirect_uri not in app.redirect_uris:
                # RFC 6749 4.1.2.1: never redirect to an unregistered URI.
                return _error_page(400, f"redirect_uri {redirect_uri!r} is not registered")
            consent = self._consents.popleft() if self._consents else None
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        scopes = query.get("scope", "").split()
        known = ACCOUNTING_SCOPES | OIDC_SCOPES
        if not scopes or any(s not in known and not s.startswith("com.intuit.") for s in scopes):
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        if consent is not None and consent.deny:
            return _redirect(redirect_uri, error="access_denied", state=state)
        realm_id: str | None = None
        if ACCOUNTING_SCOPES & set(scopes):
            wanted = (
                consent.realm_id if consent else (query.get("realmId") or query.get("realm_id"))
            )
            realm_id = self._resolve_realm(wanted)
            if realm_id is None:
                return _redirect(redirect_uri, error="access_denied", state=state)
        code = _new_token("AB11", 46)
        with self._lock:
            self._codes[code] = _Code(
                client_id=client_id,
                redirect_uri=redirect_uri,
                realm_id=realm_id,
                scope=" ".join(scopes),
                expires_at=self._clock.time() + self.config.code_lifetime,
            )
        params = {"code": code, "state": state}
        if realm_id is not None:
            # Intuit adds realmId only for the accounting/payment scopes (facts 2.1).
            params["realmId"] = realm_id
        return _redirect(redirect_uri, **params)

    def token(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """``POST /oauth2/v1/tokens/bearer``: code exchange and refresh."""
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        client = self._client_from(headers, form)
        if client is None:
            return _oauth_error(401, "invalid_client")
        hard = headers.get(HARD_EXPIRY_HEADER, "").strip().lower() == "true"
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._exchange(client, form, hard=hard)
        if grant_type == "refresh_token":
            return self._refresh_grant(client, form, hard=hard)
        if not grant_type:
            return _oauth_error(400, "invalid_request")
        return _oauth_error(400, "unsupported_grant_type")

    def revoke(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """``POST /v2/oauth2/tokens/revoke``: revokes the whole grant behind a token."""
        client = self._client_from(headers, {})
        if client is None:
            return _oauth_error(401, "invalid_client")
        try:
            payload = _json.loads(body or b"{}")
            token = payload["token"] if isinstance(payload, dict) else None
        except (ValueError, KeyError):
            token = None
        if not isinstance(token, str) or not token:
            return _oauth_error(400, "invalid_request")
        with self._lock:
            grant_id = None
            if token in self._refresh:
                grant_id = self._refresh[token].grant_id
            elif token in self._access:
                grant_id = self._access[token].grant_id
            if grant_id is not None:
                grant = self._grants[grant_id]
                if grant.client_id != client:
                    return _oauth_error(400, "invalid_grant")
                grant.revoked = True
        return Reply(status=200, headers=(("intuit_tid", intuit_tid()),))

    def userinfo(self, authorization: str | None) -> Reply:
        """``GET /v1/openid_connect/userinfo``: OpenID claims for the bearer's user."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        token = token.strip()
        with self._lock:
            access = self._access.get(token)
            grant = self._grants.get(access.grant_id) if access and access.grant_id else None
            valid = (
                access is not None
                and grant is not None
                and not grant.revoked
                and self._clock.time() < access.expires_at
            )
        if not valid or grant is None:
            return Reply(
                status=401,
                headers=(
                    ("WWW-Authenticate", 'Bearer realm="Intuit", error="invalid_token"'),
                    ("intuit_tid", intuit_tid()),
                ),
            )
        scopes = set(grant.scope.split())
        if "openid" not in scopes:
            return _oauth_error(403, "insufficient_scope")
        claims: dict[str, Any] = {"sub": grant.sub}
        if "email" in scopes:
            claims.update(email="fake.user@example.com", emailVerified=True)
        if "profile" in scopes:
            claims.update(givenName="Fake", familyName="User")
        if "phone" in scopes:
            claims.update(phoneNumber="+1 5555550100", phoneNumberVerified=False)
        if "address" in scopes:
            claims["address"] = {
                "streetAddress": "2600 Marine Way",
                "locality": "Mountain View",
                "region": "CA",
                "postalCode": "94043",
                "country": "US",
            }
        return json_reply(200, claims)

    def discovery(self, base_url: str | None, *, sandbox: bool) -> dict[str, Any]:
        """The OpenID discovery document, pointing at ``base_url`` when given."""
        if base_url:
            base = base_url.rstrip("/")
            endpoints = {
                "authorization_endpoint": f"{base}/connect/oauth2",
                "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
                "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
                "jwks_uri": f"{base}/op/v1/jwks",
                "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            }
        else:
            endpoints = dict(INTUIT_ENDPOINTS)
            if sandbox:
                endpoints["userinfo_endpoint"] = SANDBOX_USERINFO
        return {
            "issuer": ISSUER,
            **endpoints,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set that verifies the fake's ID tokens."""
        return {"keys": [self._id_signer().public_jwk()]}

    # -- internals ----------------------------------------------------------------------

    def _client_from(self, headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
        """client_secret_basic or client_secret_post; the client id if the secret matches."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            client_id, _, secret = decoded.partition(":")
        with self._lock:
            app = self._apps.get(client_id or "")
        if app is None or secret is None:
            return None
        if not secrets.compare_digest(app.client_secret.encode(), secret.encode()):
            return None
        return app.client_id

    def _exchange(self, client: str, form: Mapping[str, str], *, hard: bool) -> Reply:
        now = self._clock.time()
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or now >= code.expires_at:
                return _oauth_error(400, "invalid_grant", "Token invalid")
            if code.client_id != client:
                return _oauth_error(400, "invalid_grant", "Token invalid")
            if code.redirect_uri != form.get("redirect_uri", ""):
                return _oauth_error(400, "invalid_grant", "Invalid redirect_uri")
            code.used = True
            grant_id = secrets.token_hex(8)
            grant = _Grant(
                client_id=client,
                realm_id=code.realm_id,
                scope=code.scope,
                sub=f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-fake",
                first_consent=now,
            )
            self._grants[grant_id] = grant
            refresh = self._new_refresh(grant_id, grant, now)
            return self._token_reply(grant_id, grant, refresh, now, hard=hard)

    def _refresh_grant(self, client: str, form: Mapping[str, str], *, hard: bool) -> Reply:
        now = self._clock.time()
        cfg = self.config
        with self._lock:
            presented = form.get("refresh_token", "")
            record = self._refresh.get(presented)
            if record is None:
                return _oauth_error(400, "invalid_grant")
            grant = self._grants[record.grant_id]
            if grant.revoked or grant.client_id != client or now >= record.expires_at:
                return _oauth_error(400, "invalid_grant")
            if record.superseded_at is not None:
                if now >= record.superseded_at + cfg.refresh_token_grace:
                    return _oauth_error(400, "invalid_grant")
                # Inside the grace window an old value still works; it gets the newest one.
                return self._token_reply(
                    record.grant_id, grant, grant.latest_refresh, now, hard=hard
                )
            if cfg.refresh_token_reuse_window > 0 and now - record.issued_at < (
                cfg.refresh_token_reuse_window
            ):
                return self._token_reply(record.grant_id, grant, presented, now, hard=hard)
            record.superseded_at = now
            refresh = self._new_refresh(record.grant_id, grant, now)
            return self._token_reply(record.grant_id, grant, refresh, now, hard=hard)

    def _new_refresh(self, grant_id: str, grant: _Grant, now: float) -> str:
        value = _new_token("AB11", 46)
        hard_end = grant.first_consent + self.config.refresh_token_hard_lifetime
        self._refresh[value] = _Refresh(
            grant_id=grant_id,
            issued_at=now,
            expires_at=min(now + self.config.refresh_token_lifetime, hard_end),
        )
        grant.latest_refresh = value
        return value

    def _token_reply(
        self, grant_id: str, grant: _Grant, refresh: str, now: float, *, hard: bool
    ) -> Reply:
        access = _new_token("eyJ", 60)
        self._access[access] = _Access(
            realm_id=grant.realm_id,
            grant_id=grant_id,
            scope=grant.scope,
            expires_at=now + self.config.access_token_lifetime,
        )
        payload: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": int(self.config.access_token_lifetime),
            "refresh_token": refresh,
            "x_refresh_token_expires_in": max(0, int(self._refresh[refresh].expires_at - now)),
            "access_token": access,
        }
        if hard:
            hard_end = grant.first_consent + self.config.refresh_token_hard_lifetime
            payload["x_refresh_token_hard_expires_in"] = max(0, int(hard_end - now))
        if "openid" in grant.scope.split():
            payload["id_token"] = self._id_signer().sign(
                {
                    "sub": grant.sub,
                    "aud": [grant.client_id],
                    "realmid": grant.realm_id,
                    "auth_time": int(grant.first_consent),
                    "iss": ISSUER,
                    "exp": int(now + self.config.access_token_lifetime),
                    "iat": int(now),
                    "at_hash": _at_hash(access),
                }
            )
        return _token_json(200, payload)

    def _id_signer(self) -> _IdTokenSigner:
        # An RSA key costs ~50 ms, so it is made only once someone asks for OpenID.
        if self._signer is None:
            self._signer = _IdTokenSigner()
        return self._signer


class _IdTokenSigner:
    """RS256 JWTs with a key made for this fake (no secret ever leaves the process)."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def sign(self, claims: Mapping[str, Any]) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{_b64(_json.dumps(header))}.{_b64(_json.dumps(dict(claims)))}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return _b64(digest[: len(digest) // 2])


def _new_token(prefix: str, length: int) -> str:
    return prefix + secrets.token_urlsafe(length)[: length - len(prefix)]


def _redirect(redirect_uri: str, **params: str) -> Reply:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Reply(status=302, headers=(("Location", location), ("intuit_tid", intuit_tid())))


def _error_page(status: int, message: str) -> Reply:
    body = f"<html><body><h1>Error</h1><p>{message}</p></body></html>"
    return text_reply(status, body, content_type="text/html;charset=UTF-8")
