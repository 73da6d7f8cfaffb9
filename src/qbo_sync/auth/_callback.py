"""The OAuth callback: state checks, realm rules, code exchange, saved connection."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from qbo_sync.errors import ConflictError, InvalidGrantError
from qbo_sync.storage._protocol import ConnectionStore, OAuthStateStore, TokenStore
from qbo_sync.storage._records import Connection, ConnectionStatus, OAuthState

from ._config import OAuthConfig
from ._flow import CallbackParams, parse_callback
from ._flow import state_issued_at as _issued_at
from ._intuit import IntuitOAuth
from ._results import Connected, ConnectFailed, ConnectFailure, ConnectResult

__all__ = ["ALLOW_REALM_CHANGE", "CallbackHandler"]

_log = logging.getLogger("qbo_sync.auth")

#: Key in ``OAuthState.extra`` recording that the user confirmed a change of company.
ALLOW_REALM_CHANGE = "allow_realm_change"
# Marker values kept after a state is consumed, so a replayed callback is
# reported as "reused" rather than "unknown".
_USED_PREFIX = "used."
_REALM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class CallbackStore(ConnectionStore, TokenStore, OAuthStateStore, Protocol):
    """What the callback reads and writes."""


class CallbackHandler:
    """Turns Intuit's redirect into a saved connection, or a typed refusal.

    Args:
        store: States, tokens and connections.
        intuit: Exchanges the code.
        config: The app's configuration.
        clock: Returns the current aware time.
        state_ttl: How long a state lives.
        read_company_name: Reads CompanyInfo with a fresh access token.
        retire: Revokes and disconnects a company the tenant moved away from.
    """

    def __init__(
        self,
        *,
        store: CallbackStore,
        intuit: IntuitOAuth,
        config: OAuthConfig,
        clock: Callable[[], dt.datetime],
        state_ttl: dt.timedelta,
        read_company_name: Callable[[str, str], str | None],
        retire: Callable[[str], object],
    ) -> None:
        self._store = store
        self._intuit = intuit
        self.config = config
        self._clock = clock
        self._state_ttl = state_ttl
        self._read_company_name = read_company_name
        self._retire = retire

    def __repr__(self) -> str:
        return f"CallbackHandler(state_ttl={self._state_ttl!r})"

    def handle(
        self,
        callback: str | Mapping[str, Any],
        *,
        tenant_id: str | None,
        user_id: str | None,
        allow_realm_change: bool | None,
    ) -> ConnectResult:
        """See :meth:`OAuthManager.handle_callback`."""
        params = parse_callback(callback)
        now = self._clock()
        record, failure = self._consume_state(params, tenant_id=tenant_id, user_id=user_id, now=now)
        if params.error:
            denied = params.error == "access_denied"
            return ConnectFailed(
                reason=(
                    ConnectFailure.ACCESS_DENIED if denied else ConnectFailure.AUTHORIZATION_ERROR
                ),
                message=(
                    "The QuickBooks connection was cancelled on Intuit's page."
                    if denied
                    else f"Intuit refused the authorization: {params.error}"
                    + (f" ({params.error_description})" if params.error_description else "")
                ),
                error=params.error,
                realm_id=params.realm_id,
                tenant_id=record.tenant_id if record else None,
            )
        if failure is not None:
            return failure
        assert record is not None
        if params.realm_id is not None and not _REALM_ID.fullmatch(params.realm_id):
            return ConnectFailed(
                reason=ConnectFailure.MALFORMED_CALLBACK,
                message="The callback from Intuit is malformed (realmId is not a company id).",
                tenant_id=record.tenant_id,
            )
        if params.duplicated or not params.code or not params.realm_id:
            missing = [name for name, v in (("code", params.code), ("realmId", params.realm_id))
                       if not v]
            problem = (
                f"repeated parameters: {', '.join(params.duplicated)}"
                if params.duplicated
                else f"missing {', '.join(missing)}"
            )
            return ConnectFailed(
                reason=ConnectFailure.MALFORMED_CALLBACK,
                message=f"The callback from Intuit is malformed ({problem}).",
                realm_id=params.realm_id,
                tenant_id=record.tenant_id,
            )
        allow_change = (
            allow_realm_change
            if allow_realm_change is not None
            else record.extra.get(ALLOW_REALM_CHANGE) == "1"
        )
        return self._connect(params, record, allow_realm_change=allow_change)

    def _consume_state(
        self,
        params: CallbackParams,
        *,
        tenant_id: str | None,
        user_id: str | None,
        now: dt.datetime,
    ) -> tuple[OAuthState | None, ConnectFailed | None]:
        if not params.state:
            return None, _failed(ConnectFailure.STATE_MISSING, "The callback carries no state.")
        if "state" in params.duplicated:
            return None, _failed(ConnectFailure.MALFORMED_CALLBACK, "The state is repeated.")
        record = self._store.consume_oauth_state(params.state, now=now)
        if record is None:
            marker = self._store.consume_oauth_state(_used_key(params.state), now=now)
            if marker is not None:
                self._store.save_oauth_state(marker)
                return None, _failed(
                    ConnectFailure.STATE_REUSED,
                    "This connection link was already used; start connecting again.",
                )
            issued = _issued_at(params.state, key=self.config.client_secret)
            if issued is not None and issued + self._state_ttl <= now:
                return None, _failed(
                    ConnectFailure.STATE_EXPIRED,
                    "The connection took too long; start connecting again.",
                )
            return None, _failed(
                ConnectFailure.STATE_UNKNOWN,
                "The callback's state was not issued by this app; start connecting again.",
            )
        self._remember_used(params.state, record, now)
        if record.expires_at <= now:
            return None, _failed(
                ConnectFailure.STATE_EXPIRED,
                "The connection took too long; start connecting again.",
            )
        foreign_user = record.user_id is not None and record.user_id != user_id
        if record.tenant_id != tenant_id or foreign_user:
            _log.warning("OAuth callback refused: state issued for another tenant or user")
            return None, _failed(
                ConnectFailure.STATE_FOREIGN,
                "This connection was started by another account; start connecting again.",
            )
        return record, None

    def _remember_used(self, state: str, record: OAuthState, now: dt.datetime) -> None:
        marker = OAuthState(
            state=_used_key(state),
            expires_at=now + max(self._state_ttl, dt.timedelta(hours=1)),
            tenant_id=record.tenant_id,
            created_at=now,
        )
        with contextlib.suppress(ConflictError):
            self._store.save_oauth_state(marker)

    def _connect(
        self, params: CallbackParams, record: OAuthState, *, allow_realm_change: bool
    ) -> ConnectResult:
        realm_id = params.realm_id
        code = params.code
        assert realm_id is not None
        assert code is not None
        tenant_id = record.tenant_id
        existing = self._store.get_connection(realm_id)
        if existing is not None and existing.tenant_id != tenant_id:
            return ConnectFailed(
                reason=ConnectFailure.REALM_IN_USE,
                message=(
                    f"QuickBooks company {realm_id} is already connected to another account "
                    "of this product."
                ),
                realm_id=realm_id,
                tenant_id=tenant_id,
            )
        others = [c for c in self._tenant_connections(tenant_id) if c.realm_id != realm_id]
        previous = max(
            others,
            key=lambda c: c.connected_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
            default=None,
        )
        if previous is not None and not allow_realm_change:
            return ConnectFailed(
                reason=ConnectFailure.REALM_CHANGE_REFUSED,
                message=(
                    f"You chose QuickBooks company {realm_id}, but this account was connected "
                    f"to company {previous.company_name or previous.realm_id}. Connecting "
                    "another company needs your confirmation."
                ),
                realm_id=realm_id,
                previous_realm_id=previous.realm_id,
                tenant_id=tenant_id,
            )
        try:
            grant = self._intuit.exchange_code(
                code, redirect_uri=record.redirect_uri or self.config.redirect_uri
            )
        except InvalidGrantError as exc:
            return ConnectFailed(
                reason=ConnectFailure.CODE_REJECTED,
                message=(
                    "Intuit refused the authorization code (expired or already used); "
                    "start connecting again."
                ),
                error=exc.error,
                realm_id=realm_id,
                tenant_id=tenant_id,
            )
        # Tokens first: whatever fails next, the grant is never lost.
        self._store.save_tokens(realm_id, grant.to_token_set(), expected_version=None)
        company_name = self._read_company_name(realm_id, grant.access_token)
        if company_name is None and existing is not None:
            company_name = existing.company_name
        connection = Connection(
            realm_id=realm_id,
            environment=self.config.environment,
            tenant_id=tenant_id,
            company_name=company_name,
            status=ConnectionStatus.CONNECTED,
            connected_at=grant.obtained_at,
            disconnected_at=None,
            status_reason=None,
        )
        self._store.save_connection(connection)
        for other in others:
            if other.status is not ConnectionStatus.DISCONNECTED:
                self._retire(other.realm_id)
        _log.info(
            "connected QuickBooks company %s for tenant %r (%s)",
            realm_id,
            tenant_id,
            "reconnect" if existing is not None else "new",
        )
        return Connected(
            realm_id=realm_id,
            company_name=company_name,
            environment=self.config.environment,
            connected_at=grant.obtained_at,
            tenant_id=tenant_id,
            reconnected=existing is not None,
            previous_realm_id=previous.realm_id if previous is not None else None,
        )

    def _tenant_connections(self, tenant_id: str | None) -> list[Connection]:
        connections = self._store.list_connections(tenant_id=tenant_id)
        return [c for c in connections if c.tenant_id == tenant_id]


def _failed(reason: ConnectFailure, message: str) -> ConnectFailed:
    return ConnectFailed(reason=reason, message=message)


def _used_key(state: str) -> str:
    return _USED_PREFIX + hashlib.sha256(state.encode("utf-8")).hexdigest()
