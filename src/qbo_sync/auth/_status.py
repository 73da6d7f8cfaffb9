"""A connection's state, computed from what storage holds (pure)."""

from __future__ import annotations

import datetime as dt

from qbo_sync.storage._records import Connection, ConnectionStatus, TokenSet

from ._results import ConnectionInfo, ConnectionState

__all__ = ["compute_connection_info"]


def compute_connection_info(
    realm_id: str,
    connection: Connection | None,
    tokens: TokenSet | None,
    *,
    now: dt.datetime,
    rolling_warning: dt.timedelta = dt.timedelta(days=14),
    hard_warning: dt.timedelta = dt.timedelta(days=60),
) -> ConnectionInfo:
    """Decide connected / expiring soon / needs reauthorization / disconnected.

    Rules, first match wins:

    1. No connection, status ``disconnected``, or no tokens: DISCONNECTED
       (a connection without tokens cannot call QBO).
    2. Stored status ``needs_reauthorization``: NEEDS_REAUTHORIZATION.
    3. Refresh token past its rolling or hard expiry: NEEDS_REAUTHORIZATION
       (reason ``refresh_token_expired`` / ``hard_expiry_reached``).
    4. Within ``hard_warning`` of the hard expiry, or ``rolling_warning`` of
       the rolling one: EXPIRING_SOON (reason ``hard_expiry_soon`` /
       ``refresh_token_expires_soon``).
    5. Otherwise CONNECTED.

    Args:
        realm_id: The company.
        connection: Its stored connection.
        tokens: Its stored tokens.
        now: The current time.
        rolling_warning: How long before the rolling (~100-day) expiry to warn.
        hard_warning: How long before the absolute (5-year) expiry to warn.

    Returns:
        The computed info.
    """
    common: dict[str, object] = {}
    if connection is not None:
        common = {
            "environment": connection.environment,
            "tenant_id": connection.tenant_id,
            "company_name": connection.company_name,
            "connected_at": connection.connected_at,
            "disconnected_at": connection.disconnected_at,
        }
    if tokens is not None:
        common.update(
            access_expires_at=tokens.access_expires_at,
            refresh_expires_at=tokens.refresh_expires_at,
            refresh_hard_expires_at=tokens.refresh_hard_expires_at,
            last_refreshed_at=tokens.updated_at,
        )

    def info(state: ConnectionState, reason: str | None) -> ConnectionInfo:
        return ConnectionInfo(realm_id=realm_id, state=state, reason=reason, **common)  # type: ignore[arg-type]

    if connection is None:
        return info(ConnectionState.DISCONNECTED, "not_connected")
    if connection.status is ConnectionStatus.DISCONNECTED:
        return info(ConnectionState.DISCONNECTED, connection.status_reason or "disconnected")
    if connection.status is ConnectionStatus.NEEDS_REAUTHORIZATION:
        return info(
            ConnectionState.NEEDS_REAUTHORIZATION, connection.status_reason or "invalid_grant"
        )
    if tokens is None:
        return info(ConnectionState.DISCONNECTED, "no_tokens")
    hard = tokens.refresh_hard_expires_at
    if hard is not None and now >= hard:
        return info(ConnectionState.NEEDS_REAUTHORIZATION, "hard_expiry_reached")
    if now >= tokens.refresh_expires_at:
        return info(ConnectionState.NEEDS_REAUTHORIZATION, "refresh_token_expired")
    if hard is not None and hard - now <= hard_warning:
        return info(ConnectionState.EXPIRING_SOON, "hard_expiry_soon")
    if tokens.refresh_expires_at - now <= rolling_warning:
        return info(ConnectionState.EXPIRING_SOON, "refresh_token_expires_soon")
    return info(ConnectionState.CONNECTED, None)
