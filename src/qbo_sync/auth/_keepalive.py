"""Keep-alive: refresh idle connections so their refresh tokens never lapse."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from qbo_sync.errors import (
    LockTimeoutError,
    OAuthError,
    QBOError,
    ReauthorizationRequired,
    ServerError,
    TransportError,
)
from qbo_sync.storage._protocol import ConnectionStore, TokenStore
from qbo_sync.storage._records import ConnectionStatus, TokenSet
from qbo_sync.storage._state import time_left

from ._refresh import TokenRefresher
from ._results import KeepAliveFailure, KeepAliveReport

__all__ = ["keep_alive"]

_log = logging.getLogger("qbo_sync.auth")


class KeepAliveStore(ConnectionStore, TokenStore, Protocol):
    """What keep-alive reads."""


def keep_alive(
    *,
    store: KeepAliveStore,
    refresher: TokenRefresher,
    now: dt.datetime,
    idle: dt.timedelta,
    rolling_warning: dt.timedelta,
) -> KeepAliveReport:
    """Refresh every connected realm idle for ``idle`` or near its rolling expiry.

    The decision is taken again under the refresh lock, so when several
    schedulers run at once each realm is refreshed once.

    Args:
        store: Connections and tokens.
        refresher: The manager's single-flight refresher.
        now: The current time.
        idle: Refresh when the last refresh is at least this old.
        rolling_warning: Also refresh when the rolling expiry is this close.

    Returns:
        The report.
    """

    def due(tokens: TokenSet) -> bool:
        last = tokens.updated_at
        if last is None or now - last >= idle:
            return True
        return time_left(tokens, now)[0] <= rolling_warning

    refreshed: list[str] = []
    failed: list[KeepAliveFailure] = []
    skipped: list[str] = []
    for connection in store.list_connections():
        if connection.status is not ConnectionStatus.CONNECTED:
            continue
        realm_id = connection.realm_id
        tokens = store.get_tokens(realm_id)
        if tokens is None or not due(tokens):
            skipped.append(realm_id)
            continue
        try:
            after = refresher.refresh(realm_id, when=due)
        except QBOError as exc:
            failed.append(
                KeepAliveFailure(realm_id=realm_id, reason=_reason(exc), message=str(exc))
            )
        else:
            if after.version != tokens.version:
                refreshed.append(realm_id)
            else:
                skipped.append(realm_id)
    if refreshed or failed:
        _log.info("keep-alive: %d refreshed, %d failed, %d skipped",
                  len(refreshed), len(failed), len(skipped))
    return KeepAliveReport(refreshed=tuple(refreshed), failed=tuple(failed), skipped=tuple(skipped))


#: First match wins: the reason a keep-alive failure is reported with.
_REASONS: tuple[tuple[type[QBOError] | tuple[type[QBOError], ...], str], ...] = (
    (ReauthorizationRequired, "needs_reauthorization"),
    ((TransportError, ServerError), "unavailable"),
    (LockTimeoutError, "lock_timeout"),
    (OAuthError, "oauth_error"),
)


def _reason(error: QBOError) -> str:
    for kinds, reason in _REASONS:
        if isinstance(error, kinds):
            return reason
    return "error"
