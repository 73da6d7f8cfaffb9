"""Connection states computed from stored connection and tokens (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from qbo_sync import Environment
from qbo_sync.auth import ConnectionState, compute_connection_info
from qbo_sync.storage import Connection, ConnectionStatus, TokenSet

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def _connection(status: ConnectionStatus = ConnectionStatus.CONNECTED,
                reason: str | None = None) -> Connection:
    return Connection(realm_id="1", environment=Environment.SANDBOX, tenant_id="t",
                      company_name="Acme", status=status, connected_at=NOW - 10 * DAY,
                      status_reason=reason)


def _tokens(rolling: dt.timedelta, hard: dt.timedelta | None = None) -> TokenSet:
    return TokenSet(
        access_token="a", refresh_token="r", access_expires_at=NOW + dt.timedelta(hours=1),
        refresh_expires_at=NOW + rolling,
        refresh_hard_expires_at=NOW + hard if hard is not None else None,
        version=1, updated_at=NOW - DAY,
    )


@pytest.mark.parametrize(
    ("connection", "tokens", "state", "reason"),
    [
        (None, None, ConnectionState.DISCONNECTED, "not_connected"),
        (_connection(ConnectionStatus.DISCONNECTED, "user_disconnected"), None,
         ConnectionState.DISCONNECTED, "user_disconnected"),
        (_connection(ConnectionStatus.NEEDS_REAUTHORIZATION, "invalid_grant"), _tokens(90 * DAY),
         ConnectionState.NEEDS_REAUTHORIZATION, "invalid_grant"),
        (_connection(), None, ConnectionState.DISCONNECTED, "no_tokens"),
        (_connection(), _tokens(-DAY), ConnectionState.NEEDS_REAUTHORIZATION,
         "refresh_token_expired"),
        (_connection(), _tokens(90 * DAY, -DAY), ConnectionState.NEEDS_REAUTHORIZATION,
         "hard_expiry_reached"),
        (_connection(), _tokens(90 * DAY, 30 * DAY), ConnectionState.EXPIRING_SOON,
         "hard_expiry_soon"),
        (_connection(), _tokens(10 * DAY, 1000 * DAY), ConnectionState.EXPIRING_SOON,
         "refresh_token_expires_soon"),
        (_connection(), _tokens(90 * DAY, 1000 * DAY), ConnectionState.CONNECTED, None),
    ],
    ids=["none", "disconnected", "needs-reauth", "no-tokens", "rolling-expired",
         "hard-expired", "hard-soon", "rolling-soon", "connected"],
)
def test_state_rules(connection: Connection | None, tokens: TokenSet | None,
                     state: ConnectionState, reason: str | None) -> None:
    """Each rule of compute_connection_info, first match wins."""
    info = compute_connection_info("1", connection, tokens, now=NOW)
    assert info.state is state
    assert info.reason == reason


def test_warning_windows_are_configurable() -> None:
    """The same tokens are CONNECTED or EXPIRING_SOON depending on the warning windows."""
    tokens = _tokens(20 * DAY, 100 * DAY)
    default = compute_connection_info("1", _connection(), tokens, now=NOW)
    wide = compute_connection_info("1", _connection(), tokens, now=NOW,
                                   rolling_warning=30 * DAY)
    wider_hard = compute_connection_info("1", _connection(), tokens, now=NOW,
                                         hard_warning=120 * DAY)
    assert default.state is ConnectionState.CONNECTED
    assert (wide.state, wide.reason) == (ConnectionState.EXPIRING_SOON,
                                         "refresh_token_expires_soon")
    assert (wider_hard.state, wider_hard.reason) == (ConnectionState.EXPIRING_SOON,
                                                     "hard_expiry_soon")


def test_info_carries_display_facts() -> None:
    """Company name, tenant, expiries and last refresh come through; expires_at is the earlier."""
    info = compute_connection_info("1", _connection(), _tokens(90 * DAY, 40 * DAY), now=NOW,
                                   hard_warning=10 * DAY)
    assert info.company_name == "Acme"
    assert info.tenant_id == "t"
    assert info.environment is Environment.SANDBOX
    assert info.last_refreshed_at == NOW - DAY
    assert info.expires_at == NOW + 40 * DAY
