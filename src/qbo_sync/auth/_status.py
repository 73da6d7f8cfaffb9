"""A connection's info, computed from what storage holds (pure)."""

from __future__ import annotations

import datetime as dt

from qbo_sync.storage._records import Connection, TokenSet
from qbo_sync.storage._state import HARD_WARNING, ROLLING_WARNING, classify_connection

from ._results import ConnectionInfo

__all__ = ["compute_connection_info"]


def compute_connection_info(
    realm_id: str,
    connection: Connection | None,
    tokens: TokenSet | None,
    *,
    now: dt.datetime,
    rolling_warning: dt.timedelta = ROLLING_WARNING,
    hard_warning: dt.timedelta = HARD_WARNING,
) -> ConnectionInfo:
    """Decide connected / expiring soon / needs reauthorization / disconnected.

    Rules, first match wins (the same rules give
    :attr:`qbo_sync.health.HealthInputs.connection`):

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
    state, reason = classify_connection(
        connection, tokens, now=now, rolling_warning=rolling_warning, hard_warning=hard_warning
    )
    c, t = connection, tokens
    return ConnectionInfo(
        realm_id=realm_id,
        state=state,
        reason=reason,
        environment=c.environment if c else None,
        tenant_id=c.tenant_id if c else None,
        company_name=c.company_name if c else None,
        connected_at=c.connected_at if c else None,
        disconnected_at=c.disconnected_at if c else None,
        access_expires_at=t.access_expires_at if t else None,
        refresh_expires_at=t.refresh_expires_at if t else None,
        refresh_hard_expires_at=t.refresh_hard_expires_at if t else None,
        last_refreshed_at=t.updated_at if t else None,
    )
