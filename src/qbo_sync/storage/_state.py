"""A connection's state, computed from its stored records (pure).

The one definition of :class:`ConnectionState` and of "expiring soon":
:mod:`qbo_sync.auth` (``ConnectionInfo``, the keep-alive job) and
:mod:`qbo_sync.health` (the score's connection input) both use it, so a
settings page and a health badge never disagree about a connection.
"""

from __future__ import annotations

import datetime as dt
import enum

from qbo_sync.storage._records import Connection, ConnectionStatus, TokenSet

__all__ = [
    "HARD_WARNING",
    "ROLLING_WARNING",
    "ConnectionState",
    "classify_connection",
    "expiring_reason",
    "time_left",
]

#: Default warning window before the rolling (~100-day) refresh-token expiry.
ROLLING_WARNING = dt.timedelta(days=14)
#: Default warning window before the absolute (5-year) refresh-token expiry.
HARD_WARNING = dt.timedelta(days=60)


class ConnectionState(str, enum.Enum):
    """A connection's state as the product shows it (computed, never stored).

    ``CONNECTED``, ``NEEDS_REAUTHORIZATION`` and ``DISCONNECTED`` have the
    values of :class:`qbo_sync.storage.ConnectionStatus` (which converts
    directly); ``EXPIRING_SOON`` is derived from the tokens' expiries.
    """

    CONNECTED = "connected"
    EXPIRING_SOON = "expiring_soon"
    """Connected, but the refresh token's rolling or hard expiry is near."""
    NEEDS_REAUTHORIZATION = "needs_reauthorization"
    DISCONNECTED = "disconnected"


def time_left(tokens: TokenSet, now: dt.datetime) -> tuple[dt.timedelta, dt.timedelta | None]:
    """Time until the refresh token's rolling and hard expiry (hard: ``None`` if unknown)."""
    hard = tokens.refresh_hard_expires_at
    return tokens.refresh_expires_at - now, None if hard is None else hard - now


def expiring_reason(
    tokens: TokenSet,
    now: dt.datetime,
    *,
    rolling_warning: dt.timedelta = ROLLING_WARNING,
    hard_warning: dt.timedelta = HARD_WARNING,
) -> str | None:
    """Why ``tokens`` count as expiring soon, or ``None`` when they do not.

    Returns:
        ``"hard_expiry_soon"`` within ``hard_warning`` of the hard expiry,
        else ``"refresh_token_expires_soon"`` within ``rolling_warning`` of
        the rolling one, else ``None``. (Already expired tokens are within
        both windows: check expiry first.)
    """
    rolling, hard = time_left(tokens, now)
    if hard is not None and hard <= hard_warning:
        return "hard_expiry_soon"
    if rolling <= rolling_warning:
        return "refresh_token_expires_soon"
    return None


def classify_connection(
    connection: Connection | None,
    tokens: TokenSet | None,
    *,
    now: dt.datetime,
    rolling_warning: dt.timedelta = ROLLING_WARNING,
    hard_warning: dt.timedelta = HARD_WARNING,
) -> tuple[ConnectionState, str | None]:
    """The state of a connection and why it is not ``CONNECTED``.

    The rules (first match wins) and arguments are those documented on
    :func:`qbo_sync.auth.compute_connection_info`, which calls this, as
    does :func:`qbo_sync.health.health_inputs_for_realm`.

    Returns:
        The state and its reason code (``None`` when ``CONNECTED``).
    """
    if connection is None:
        return ConnectionState.DISCONNECTED, "not_connected"
    if connection.status is ConnectionStatus.DISCONNECTED:
        return ConnectionState.DISCONNECTED, connection.status_reason or "disconnected"
    if connection.status is ConnectionStatus.NEEDS_REAUTHORIZATION:
        return ConnectionState.NEEDS_REAUTHORIZATION, connection.status_reason or "invalid_grant"
    if tokens is None:
        return ConnectionState.DISCONNECTED, "no_tokens"
    rolling, hard = time_left(tokens, now)
    if hard is not None and hard <= dt.timedelta(0):
        return ConnectionState.NEEDS_REAUTHORIZATION, "hard_expiry_reached"
    if rolling <= dt.timedelta(0):
        return ConnectionState.NEEDS_REAUTHORIZATION, "refresh_token_expired"
    reason = expiring_reason(
        tokens, now, rolling_warning=rolling_warning, hard_warning=hard_warning
    )
    if reason is not None:
        return ConnectionState.EXPIRING_SOON, reason
    return ConnectionState.CONNECTED, None
