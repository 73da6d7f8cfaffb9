"""OAuthManager: one company's connection from Connect to Disconnect."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import httpx

from qbo_sync._environment import Environment
from qbo_sync.errors import (
    QBOError,
    StorageError,
)
from qbo_sync.http import RetryPolicy, StaticTokenProvider, TokenProvider
from qbo_sync.storage._codec import system_clock
from qbo_sync.storage._protocol import (
    ConnectionStore,
    LinkStore,
    LockProvider,
    OAuthStateStore,
    TokenStore,
)
from qbo_sync.storage._records import ConnectionStatus, OAuthState, TokenSet
from qbo_sync.storage._state import HARD_WARNING, ROLLING_WARNING

from ._callback import ALLOW_REALM_CHANGE, CallbackHandler
from ._companyinfo import SharedTransport, check_from_error
from ._config import OAuthConfig
from ._endpoints import IntuitEndpoints
from ._flow import ACCOUNTING_SCOPE, authorization_url, new_state
from ._intuit import IntuitOAuth
from ._keepalive import keep_alive
from ._redact import fingerprint
from ._refresh import ManagedTokenProvider, TokenRefresher
from ._results import (
    AuthorizationRequest,
    CheckOutcome,
    ConnectionCheck,
    ConnectionInfo,
    ConnectResult,
    DisconnectReport,
    KeepAliveReport,
)
from ._status import compute_connection_info
from ._void import void_synced_invoices

if TYPE_CHECKING:
    from qbo_sync.client import QBOClient

__all__ = ["OAuthManager", "OAuthStore"]

_log = logging.getLogger("qbo_sync.auth")


class OAuthStore(ConnectionStore, TokenStore, LockProvider, OAuthStateStore, LinkStore, Protocol):
    """The parts of :class:`qbo_sync.storage.Store` the OAuth manager uses."""


class OAuthManager:
    """Connects QuickBooks companies and keeps their tokens valid.

    Every piece of state (``state`` values, tokens, connections) lives in the
    store, so any number of web processes and workers can share one manager
    configuration: a callback may land on another process than the one that
    built the URL, and refreshes are single-flight across all of them.

    Args:
        store: Where states, tokens, connections and links live.
        config: The app's credentials; ``None`` reads ``QUICKBOOKS_*``
            environment variables (:meth:`OAuthConfig.from_env`).
        transport: The ``httpx`` transport for Intuit's OAuth endpoints and
            the CompanyInfo read (the fake QBO's ``transport()`` in tests).
        endpoints: Fixed OAuth endpoints (skips discovery), e.g.
            :meth:`IntuitEndpoints.for_base_url` for a fake served over HTTP.
        discover: Fetch Intuit's discovery document on first use (falls back
            to the published table when it fails). ``False`` uses the table.
        api_base_url: The Accounting API host; default from the environment.
        scopes: Scopes requested by default (accounting only).
        state_ttl: How long a ``state`` (the user on Intuit's page) may take.
        refresh_skew: Refresh access tokens this long before they expire.
        rolling_warning: Report ``EXPIRING_SOON`` this long before the
            rolling (~100-day) refresh-token expiry.
        hard_warning: Report ``EXPIRING_SOON`` this long before the 5-year
            hard expiry.
        lock_timeout: Seconds to wait for another worker's refresh.
        locks: Where the per-realm refresh lock is held (default: the store);
            a :class:`~qbo_sync.storage.RedisLockProvider` when the store
            cannot lock across processes.
        request_hard_expiry: Ask Intuit for ``x_refresh_token_hard_expires_in``.
        timeout: HTTP timeout in seconds for Intuit's endpoints.
        clock: Returns the current aware time (inject a fake clock in tests).
    """

    def __init__(
        self,
        *,
        store: OAuthStore,
        config: OAuthConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        endpoints: IntuitEndpoints | None = None,
        discover: bool = True,
        api_base_url: str | None = None,
        scopes: Sequence[str] = (ACCOUNTING_SCOPE,),
        state_ttl: dt.timedelta = dt.timedelta(minutes=15),
        refresh_skew: dt.timedelta = dt.timedelta(minutes=5),
        rolling_warning: dt.timedelta = ROLLING_WARNING,
        hard_warning: dt.timedelta = HARD_WARNING,
        lock_timeout: float = 60.0,
        locks: LockProvider | None = None,
        request_hard_expiry: bool = True,
        timeout: float = 30.0,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.config = config if config is not None else OAuthConfig.from_env()
        self._store = store
        self._locks: LockProvider = locks if locks is not None else store
        self._clock = clock or system_clock
        self._scopes = tuple(scopes)
        self._state_ttl = state_ttl
        self._rolling_warning = rolling_warning
        self._hard_warning = hard_warning
        self._api_base_url = (api_base_url or self.config.environment.api_base_url).rstrip("/")
        self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._intuit = IntuitOAuth(
            config=self.config,
            http=self._http,
            clock=self._clock,
            endpoints=endpoints,
            discover=discover,
            request_hard_expiry=request_hard_expiry,
        )
        self._refresher = TokenRefresher(
            store=store,
            intuit=self._intuit,
            clock=self._clock,
            refresh_skew=refresh_skew,
            lock_timeout=lock_timeout,
            locks=self._locks,
        )
        self._provider = ManagedTokenProvider(self._refresher)
        self._shared_transport = SharedTransport(transport) if transport is not None else None
        self._callbacks = CallbackHandler(
            store=store,
            intuit=self._intuit,
            config=self.config,
            clock=self._clock,
            state_ttl=state_ttl,
            read_company_name=self._read_company_name,
            retire=lambda realm_id: self._retire(realm_id, reason="realm_changed"),
        )

    def __repr__(self) -> str:
        return (
            f"OAuthManager(client_id={self.config.client_id!r}, "
            f"environment={self.config.environment.value!r})"
        )

    @property
    def environment(self) -> Environment:
        """Sandbox or production, from the configuration."""
        return self.config.environment

    @property
    def endpoints(self) -> IntuitEndpoints:
        """Intuit's OAuth endpoints in use (discovered on first access)."""
        return self._intuit.endpoints

    # -- connect ---------------------------------------------------------------------

    def authorization_url(
        self,
        *,
        tenant_id: str | None = None,
        user_id: str | None = None,
        scopes: Sequence[str] | None = None,
        allow_realm_change: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> AuthorizationRequest:
        """Start a connection: store a ``state`` and build Intuit's URL.

        Args:
            tenant_id: The product tenant connecting; the callback must come
                back for the same tenant.
            user_id: The product user connecting; checked like ``tenant_id``.
            scopes: Scopes for this request (default: the manager's).
            allow_realm_change: The user confirmed connecting a different
                company than the tenant had before.
            extra: Small values handed back on the callback's state record.

        Returns:
            The URL to redirect the browser to, with its state and expiry.
        """
        now = self._clock()
        state = new_state(now, key=self.config.client_secret)
        values = dict(extra or {})
        if allow_realm_change:
            values[ALLOW_REALM_CHANGE] = "1"
        record = OAuthState(
            state=state,
            expires_at=now + self._state_ttl,
            tenant_id=tenant_id,
            user_id=user_id,
            created_at=now,
            redirect_uri=self.config.redirect_uri,
            extra=values,
        )
        url = authorization_url(
            authorization_endpoint=self._intuit.endpoints.authorization_endpoint,
            client_id=self.config.client_id,
            redirect_uri=self.config.redirect_uri,
            scopes=tuple(scopes) if scopes is not None else self._scopes,
            state=state,
        )
        self._store.save_oauth_state(record)
        _log.debug("authorization started for tenant %r (state %s)", tenant_id, fingerprint(state))
        return AuthorizationRequest(url=url, state=state, expires_at=record.expires_at)

    def handle_callback(
        self,
        callback: str | Mapping[str, Any],
        *,
        tenant_id: str | None = None,
        user_id: str | None = None,
        allow_realm_change: bool | None = None,
    ) -> ConnectResult:
        """Finish a connection from the callback Intuit redirected to.

        Checks the ``state`` (present, issued here, not expired, not used,
        same tenant and user), exchanges the code once, saves the tokens,
        reads the company name, and saves the connection. Reconnecting the
        same company replaces its tokens and keeps its links and history.

        Args:
            callback: The callback URL, its query string, or its parameters.
            tenant_id: The tenant of the current session (must match the one
                given to :meth:`authorization_url`).
            user_id: The user of the current session (same rule).
            allow_realm_change: Confirm connecting a different company than
                the tenant had; ``None`` uses what :meth:`authorization_url`
                was told.

        Returns:
            :class:`Connected`, or :class:`ConnectFailed` with a reason for
            every expected failure (denied, bad state, code refused, realm
            change not confirmed).

        Raises:
            OAuthError: Intuit refused the code exchange for a reason that
                points at the app's configuration (``invalid_client`` ...).
            TransportError: Intuit did not answer.
        """
        return self._callbacks.handle(
            callback,
            tenant_id=tenant_id,
            user_id=user_id,
            allow_realm_change=allow_realm_change,
        )

    def _read_company_name(self, realm_id: str, access_token: str) -> str | None:
        try:
            with self._api_client(realm_id, StaticTokenProvider(access_token)) as api:
                info = api.company_info()
        except QBOError as exc:
            # The connection is valid without a name; test_connection() says more.
            _log.warning("realm %s: CompanyInfo read failed after connect: %s", realm_id, exc)
            return None
        return info.company_name

    def _api_client(self, realm_id: str, tokens: TokenProvider) -> QBOClient:
        # One attempt: a check or a callback must answer now, not after backoff.
        return self._new_client(
            realm_id, token_provider=tokens, retry=RetryPolicy(max_attempts=1)
        )

    def _new_client(self, realm_id: str, **options: Any) -> QBOClient:
        # auth sits below client in the layers (DESIGN.md): import on use.
        from qbo_sync.client import QBOClient  # noqa: PLC0415

        options.setdefault("base_url", self._api_base_url)
        if self._shared_transport is not None:
            options.setdefault("transport", self._shared_transport)
        return QBOClient(realm_id=realm_id, **options)

    # -- tokens ----------------------------------------------------------------------

    def token_provider(self) -> ManagedTokenProvider:
        """The :class:`qbo_sync.http.TokenProvider` for :class:`qbo_sync.QBOClient`.

        It reads tokens from the store on every call and refreshes through
        this manager, so a client never holds a stale token.
        """
        return self._provider

    def access_token(self, realm_id: str) -> str:
        """A valid access token for ``realm_id``, refreshed first if needed.

        Raises:
            ReauthorizationRequired: Not connected, or the refresh token was refused.
        """
        return self._refresher.access_token(realm_id)

    def refresh(self, realm_id: str, *, force: bool = True) -> ConnectionInfo:
        """Refresh the tokens of ``realm_id`` now (single-flight).

        Args:
            realm_id: The company.
            force: Refresh even if the access token is far from expiring.

        Returns:
            The connection's info after the refresh.

        Raises:
            ReauthorizationRequired: Not connected, or ``invalid_grant``.
            OAuthError: Intuit refused for another reason.
            TransportError: Intuit did not answer.
        """
        when = None if force else self._refresher.needs_refresh
        self._refresher.refresh(realm_id, when=when)
        return self.connection_info(realm_id)

    def client(self, realm_id: str, **options: Any) -> QBOClient:
        """A :class:`qbo_sync.QBOClient` for ``realm_id`` using this manager's tokens.

        Args:
            realm_id: The company.
            **options: More ``QBOClient`` keyword arguments (``retry``, ``pacer`` ...).

        Returns:
            The client (close it, or use it as a context manager).
        """
        options.setdefault("token_provider", self._provider)
        return self._new_client(realm_id, **options)

    # -- states and checks -----------------------------------------------------------

    def connection_info(self, realm_id: str) -> ConnectionInfo:
        """The computed state of one connection (connected, expiring soon ...)."""
        return compute_connection_info(
            realm_id,
            self._store.get_connection(realm_id),
            self._store.get_tokens(realm_id),
            now=self._clock(),
            rolling_warning=self._rolling_warning,
            hard_warning=self._hard_warning,
        )

    def connections(self, *, tenant_id: str | None = None) -> list[ConnectionInfo]:
        """Computed info for every connection (of one tenant when given)."""
        return [
            self.connection_info(c.realm_id)
            for c in self._store.list_connections(tenant_id=tenant_id)
        ]

    def test_connection(self, realm_id: str) -> ConnectionCheck:
        """Confirm credentials, permissions and company with one CompanyInfo read.

        Expected failures come back as a :class:`ConnectionCheck` with an
        outcome and a message; only storage failures raise.
        """
        connection = self._store.get_connection(realm_id)
        if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
            return ConnectionCheck(
                realm_id=realm_id,
                outcome=CheckOutcome.NOT_CONNECTED,
                message=f"QuickBooks company {realm_id} is not connected.",
            )
        try:
            with self._api_client(realm_id, self._provider) as api:
                info = api.company_info()
        except StorageError:
            raise
        except QBOError as exc:
            return check_from_error(realm_id, exc)
        name = info.company_name
        if name and name != connection.company_name:
            self._store.save_connection(attrs.evolve(connection, company_name=name))
        return ConnectionCheck(
            realm_id=realm_id,
            outcome=CheckOutcome.OK,
            message=f"Connected to {name or realm_id}.",
            company_name=name,
        )

    def keep_alive(self, *, idle: dt.timedelta = dt.timedelta(days=30)) -> KeepAliveReport:
        """Refresh connections whose tokens were not refreshed for ``idle``.

        Schedule it daily (cron, Celery beat). A refresh token unused for
        about 100 days expires; this keeps every connection alive even when
        a company has no activity. Connections near their rolling expiry are
        refreshed whatever ``idle`` says.

        Args:
            idle: Refresh connections last refreshed at least this long ago.

        Returns:
            Which realms were refreshed, failed (with why) or skipped.
        """
        return keep_alive(
            store=self._store,
            refresher=self._refresher,
            now=self._clock(),
            idle=idle,
            rolling_warning=self._rolling_warning,
        )

    # -- disconnect ------------------------------------------------------------------

    def disconnect(
        self,
        realm_id: str,
        *,
        void_invoices: bool = False,
        reason: str = "user_disconnected",
    ) -> DisconnectReport:
        """Revoke at Intuit, delete the tokens, keep links and history.

        Args:
            realm_id: The company.
            void_invoices: "Disconnect and void": first void in QBO every
                invoice this product synced (the ``Invoice`` links). Deprecated:
                use :meth:`qbo_sync.SyncEngine.disconnect`, which voids in
                batches and records an outcome per invoice in run history.
            reason: Stored as the connection's ``status_reason``.

        Returns:
            What was revoked, deleted and voided, and what failed.
        """
        voided: tuple[str, ...] = ()
        failures: tuple[Any, ...] = ()
        if void_invoices:
            warnings.warn(
                "OAuthManager.disconnect(void_invoices=True) is deprecated; use "
                "SyncEngine.disconnect(oauth, void_invoices=True), which voids in batches "
                "and records each invoice's outcome",
                DeprecationWarning, stacklevel=2,
            )
            voided, failures = void_synced_invoices(self, realm_id, store=self._store)
        revoked, revoke_error, deleted = self._retire(realm_id, reason=reason)
        return DisconnectReport(
            realm_id=realm_id,
            revoked=revoked,
            tokens_deleted=deleted,
            revoke_error=revoke_error,
            voided=voided,
            void_failures=failures,
        )

    def _retire(self, realm_id: str, *, reason: str) -> tuple[bool, str | None, bool]:
        revoked, revoke_error, deleted = False, None, False
        with self._locks.refresh_lock(realm_id, timeout=self._refresher.lock_timeout):
            tokens: TokenSet | None = self._store.get_tokens(realm_id)
            if tokens is not None:
                try:
                    # Revoking the refresh token ends the whole grant at Intuit.
                    self._intuit.revoke(tokens.refresh_token)
                    revoked = True
                except QBOError as exc:
                    revoke_error = str(exc)
                    _log.warning("realm %s: revocation failed: %s", realm_id, exc)
                self._store.delete_tokens(realm_id)
                deleted = True
            connection = self._store.get_connection(realm_id)
            if connection is not None:
                self._store.save_connection(
                    attrs.evolve(
                        connection,
                        status=ConnectionStatus.DISCONNECTED,
                        disconnected_at=self._clock(),
                        status_reason=reason,
                    )
                )
        _log.info("disconnected QuickBooks company %s (%s)", realm_id, reason)
        return revoked, revoke_error, deleted

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client (the store is the caller's to close)."""
        self._http.close()

    def __enter__(self) -> OAuthManager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

