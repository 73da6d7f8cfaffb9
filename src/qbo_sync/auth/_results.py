"""Typed outcomes of the OAuth manager's operations."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Literal

import attrs

from qbo_sync._environment import Environment
from qbo_sync.storage._state import ConnectionState

__all__ = [
    "AuthorizationRequest",
    "CheckOutcome",
    "ConnectFailed",
    "ConnectFailure",
    "ConnectResult",
    "Connected",
    "ConnectionCheck",
    "ConnectionInfo",
    "ConnectionState",
    "DisconnectReport",
    "KeepAliveFailure",
    "KeepAliveReport",
    "VoidFailure",
]


@attrs.frozen(kw_only=True)
class AuthorizationRequest:
    """Where to send the user to connect QuickBooks.

    Attributes:
        url: Intuit's authorization URL; redirect the browser there.
        state: The ``state`` value stored for the callback (secret-ish: do not
            log it; it is not in ``repr``).
        expires_at: After this the callback is refused as expired.
    """

    url: str = attrs.field(repr=False)
    state: str = attrs.field(repr=False)
    expires_at: dt.datetime


class ConnectFailure(str, enum.Enum):
    """Why a callback did not connect a company."""

    ACCESS_DENIED = "access_denied"
    """The user pressed Cancel on Intuit's page (``error=access_denied``)."""
    AUTHORIZATION_ERROR = "authorization_error"
    """Intuit redirected back with another OAuth error (``invalid_scope`` ...)."""
    STATE_MISSING = "state_missing"
    """The callback carried no ``state``."""
    STATE_UNKNOWN = "state_unknown"
    """The ``state`` was never issued by this app (or its record was purged)."""
    STATE_EXPIRED = "state_expired"
    """The ``state`` was issued but the user took too long."""
    STATE_REUSED = "state_reused"
    """The ``state`` was already used by an earlier callback."""
    STATE_FOREIGN = "state_foreign"
    """The ``state`` was issued for another tenant or user."""
    MALFORMED_CALLBACK = "malformed_callback"
    """A required parameter is missing (``code``, ``realmId``) or repeated."""
    CODE_REJECTED = "code_rejected"
    """Intuit refused the code (``invalid_grant``: expired or already used)."""
    REALM_CHANGE_REFUSED = "realm_change_refused"
    """The tenant was connected to another company; confirm with ``allow_realm_change``."""
    REALM_IN_USE = "realm_in_use"
    """The company is connected to another tenant of the product."""


@attrs.frozen(kw_only=True)
class Connected:
    """The callback connected (or reconnected) a company.

    Attributes:
        realm_id: The QBO company id.
        company_name: The name QBO reports (``None`` if CompanyInfo failed).
        environment: Sandbox or production.
        connected_at: When the tokens were obtained.
        tenant_id: The tenant the flow was started for.
        reconnected: ``True`` when the realm was connected before (tokens
            replaced, links and history kept).
        previous_realm_id: The realm the tenant was connected to before,
            when the caller allowed a change of company.
    """

    realm_id: str
    company_name: str | None
    environment: Environment
    connected_at: dt.datetime
    tenant_id: str | None = None
    reconnected: bool = False
    previous_realm_id: str | None = None

    @property
    def ok(self) -> Literal[True]:
        """Always ``True``: lets callers branch on ``result.ok``."""
        return True


@attrs.frozen(kw_only=True)
class ConnectFailed:
    """The callback did not connect a company, for an expected reason.

    Attributes:
        reason: Why (see :class:`ConnectFailure`).
        message: A sentence to show or log (no secrets).
        error: The OAuth error code Intuit sent, if any.
        realm_id: The company of the callback, when known.
        previous_realm_id: For ``REALM_CHANGE_REFUSED``: the company the
            tenant is connected to.
        tenant_id: The tenant of the flow, when the state was valid.
    """

    reason: ConnectFailure
    message: str
    error: str | None = None
    realm_id: str | None = None
    previous_realm_id: str | None = None
    tenant_id: str | None = None

    @property
    def ok(self) -> Literal[False]:
        """Always ``False``."""
        return False


#: What :meth:`OAuthManager.handle_callback` returns.
ConnectResult = Connected | ConnectFailed


@attrs.frozen(kw_only=True)
class ConnectionInfo:
    """Everything a settings page shows about one connection.

    Attributes:
        realm_id: The QBO company id.
        state: See :class:`ConnectionState`.
        environment: Sandbox or production.
        tenant_id: The owning tenant.
        company_name: The company name.
        connected_at: Last (re)connection time.
        disconnected_at: When it was disconnected.
        reason: Why the state is not ``CONNECTED`` (``"invalid_grant"``,
            ``"refresh_token_expires_soon"``, ``"hard_expiry_soon"`` ...).
        access_expires_at: Expiry of the current access token.
        refresh_expires_at: Rolling expiry of the refresh token.
        refresh_hard_expires_at: Absolute (5-year) expiry, when known.
        last_refreshed_at: When tokens were last obtained.
    """

    realm_id: str
    state: ConnectionState
    environment: Environment | None = None
    tenant_id: str | None = None
    company_name: str | None = None
    connected_at: dt.datetime | None = None
    disconnected_at: dt.datetime | None = None
    reason: str | None = None
    access_expires_at: dt.datetime | None = None
    refresh_expires_at: dt.datetime | None = None
    refresh_hard_expires_at: dt.datetime | None = None
    last_refreshed_at: dt.datetime | None = None

    @property
    def expires_at(self) -> dt.datetime | None:
        """The earlier of the rolling and the hard refresh-token expiry."""
        candidates = [t for t in (self.refresh_expires_at, self.refresh_hard_expires_at) if t]
        return min(candidates) if candidates else None


class CheckOutcome(str, enum.Enum):
    """The answer of :meth:`OAuthManager.test_connection`."""

    OK = "ok"
    NOT_CONNECTED = "not_connected"
    """No connection or no tokens (never connected, or disconnected)."""
    NEEDS_REAUTHORIZATION = "needs_reauthorization"
    """The refresh token was refused: the user must reconnect."""
    UNAUTHORIZED = "unauthorized"
    """QBO refused the access token even after a refresh."""
    FORBIDDEN = "forbidden"
    """The user or app lacks permission (fault 3100, wrong environment, lapsed subscription)."""
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    """QBO or the network failed (5xx, timeout); try again later."""
    ERROR = "error"
    """Anything else, see ``message``."""


@attrs.frozen(kw_only=True)
class ConnectionCheck:
    """The result of a read-only CompanyInfo call.

    Attributes:
        realm_id: The company tested.
        outcome: See :class:`CheckOutcome`.
        message: A sentence for a settings page.
        company_name: The name QBO reported, on success.
        intuit_tid: Intuit's transaction id of the failing response.
    """

    realm_id: str
    outcome: CheckOutcome
    message: str
    company_name: str | None = None
    intuit_tid: str | None = None

    @property
    def ok(self) -> bool:
        """Whether credentials, permissions and company were all confirmed."""
        return self.outcome is CheckOutcome.OK


@attrs.frozen(kw_only=True)
class KeepAliveFailure:
    """A realm the keep-alive could not refresh.

    Attributes:
        realm_id: The company.
        reason: ``"needs_reauthorization"``, ``"transport"``, ``"oauth_error"`` ...
        message: What happened (no secrets).
    """

    realm_id: str
    reason: str
    message: str


@attrs.frozen(kw_only=True)
class KeepAliveReport:
    """What one keep-alive pass did.

    Attributes:
        refreshed: Realms whose tokens were refreshed.
        failed: Realms that could not be refreshed, with the reason.
        skipped: Connected realms refreshed recently enough.
    """

    refreshed: tuple[str, ...] = ()
    failed: tuple[KeepAliveFailure, ...] = ()
    skipped: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class VoidFailure:
    """A synced invoice the "disconnect and void" could not void.

    Attributes:
        local_id: The product's id of the invoice.
        qbo_id: The QBO invoice id.
        reason: QBO fault code or a qbo_sync reason.
        message: What QBO said (no secrets).
    """

    local_id: str
    qbo_id: str | None
    reason: str
    message: str


@attrs.frozen(kw_only=True)
class DisconnectReport:
    """What :meth:`OAuthManager.disconnect` did.

    Attributes:
        realm_id: The company.
        revoked: Intuit confirmed the revocation.
        revoke_error: Why revocation failed (tokens were deleted anyway).
        tokens_deleted: The stored tokens were removed.
        voided: Local ids of invoices voided in QBO (when asked to void).
        void_failures: Invoices that could not be voided.
    """

    realm_id: str
    revoked: bool
    tokens_deleted: bool
    revoke_error: str | None = None
    voided: tuple[str, ...] = ()
    void_failures: tuple[VoidFailure, ...] = ()
