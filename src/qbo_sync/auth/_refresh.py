"""Single-flight token refresh per realm, and the token provider built on it.

The rules (facts 2.3, 2.5):

- One refresher per realm at a time, across threads (an in-process lock,
  cheap) and processes (the storage refresh lock). Parallel refreshes of one
  refresh token are the classic cause of ``invalid_grant``.
- Inside the lock the tokens are read again: another worker may have
  refreshed while we waited, and then its tokens are used as they are.
- The rotated refresh token is saved by compare-and-swap BEFORE the new
  access token is handed out, so a crash right after never loses it.
- On ``invalid_grant`` the store is read once more; if the tokens changed
  meanwhile (a reconnect, or a worker that did not take the lock), they are
  used. Only otherwise is the connection marked as needing reauthorization.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Protocol

import attrs

from qbo_sync.errors import ConflictError, InvalidGrantError, ReauthorizationRequired
from qbo_sync.storage._protocol import ConnectionStore, LockProvider, TokenStore
from qbo_sync.storage._records import Connection, ConnectionStatus, TokenSet

from ._intuit import IntuitOAuth
from ._redact import fingerprint

__all__ = ["ManagedTokenProvider", "RefreshStore", "TokenRefresher"]

_log = logging.getLogger("qbo_sync.auth")


class RefreshStore(ConnectionStore, TokenStore, LockProvider, Protocol):
    """What the refresher needs from storage."""


class TokenRefresher:
    """Hands out valid access tokens and refreshes them, once per realm at a time.

    Args:
        store: Connections, tokens and the refresh lock.
        intuit: Talks to the token endpoint.
        clock: Returns the current aware time.
        refresh_skew: Refresh when the access token expires within this.
        lock_timeout: Seconds to wait for the refresh lock.
        locks: Where the refresh lock is held (default: ``store``).
    """

    def __init__(
        self,
        *,
        store: RefreshStore,
        intuit: IntuitOAuth,
        clock: Callable[[], dt.datetime],
        refresh_skew: dt.timedelta,
        lock_timeout: float,
        locks: LockProvider | None = None,
    ) -> None:
        self._store = store
        self._lock_provider: LockProvider = locks if locks is not None else store
        self._intuit = intuit
        self._clock = clock
        self._skew = refresh_skew
        self.lock_timeout = lock_timeout
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenRefresher(refresh_skew={self._skew!r})"

    def access_token(self, realm_id: str) -> str:
        """A valid access token, refreshed first when it is about to expire.

        Raises:
            ReauthorizationRequired: The realm is not connected or its refresh
                token was refused.
        """
        tokens = self._store.get_tokens(realm_id)
        if tokens is None:
            raise _not_connected(realm_id)
        if not self.needs_refresh(tokens):
            return tokens.access_token
        return self.refresh(realm_id, when=self.needs_refresh).access_token

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        """QBO said 401 to ``token``: refresh once (unless already done) and return the new one.

        Returns:
            A different access token, or ``None`` when a refresh produced the
            same token again (nothing better to try).

        Raises:
            ReauthorizationRequired: The refresh token was refused.
        """
        fresh = self.refresh(realm_id, when=lambda current: current.access_token == token)
        return None if fresh.access_token == token else fresh.access_token

    def refresh(
        self, realm_id: str, *, when: Callable[[TokenSet], bool] | None = None
    ) -> TokenSet:
        """Refresh the tokens of ``realm_id`` if ``when(current)`` still holds inside the lock.

        Args:
            realm_id: The company.
            when: Decides, on the tokens read under the lock, whether a
                refresh is still needed (``None``: always refresh).

        Returns:
            The current tokens after the call (fresh or another worker's).

        Raises:
            ReauthorizationRequired: Not connected, or ``invalid_grant``.
            OAuthError: Intuit refused for another reason.
            TransportError: Intuit did not answer.
            LockTimeoutError: The refresh lock was not acquired in time.
        """
        with self._local_lock(realm_id), self._lock_provider.refresh_lock(
            realm_id, timeout=self.lock_timeout
        ):
            connection = self._store.get_connection(realm_id)
            current = self._store.get_tokens(realm_id)
            if current is None or connection is None:
                raise _not_connected(realm_id)
            if connection.status is not ConnectionStatus.CONNECTED:
                raise ReauthorizationRequired(
                    f"QuickBooks company {realm_id} needs to be connected again "
                    f"({connection.status_reason or connection.status.value})"
                )
            if when is not None and not when(current):
                return current
            try:
                grant = self._intuit.refresh(current.refresh_token)
            except InvalidGrantError as exc:
                latest = self._store.get_tokens(realm_id)
                if latest is not None and latest.refresh_token != current.refresh_token:
                    _log.info("realm %s: refresh token was rotated elsewhere; using it", realm_id)
                    return latest
                if latest is not None and latest.version == current.version:
                    self._mark_needs_reauthorization(connection)
                raise ReauthorizationRequired(
                    f"Intuit refused the refresh token of QuickBooks company {realm_id} "
                    "(invalid_grant); the user must connect again",
                    status=exc.status,
                    intuit_tid=exc.intuit_tid,
                ) from exc
            new = grant.to_token_set(previous=current)
            try:
                saved = self._store.save_tokens(realm_id, new, expected_version=current.version)
            except ConflictError:
                # Someone wrote without the lock (a reconnect or disconnect):
                # their write wins, ours is dropped.
                latest = self._store.get_tokens(realm_id)
                if latest is None:
                    raise _not_connected(realm_id) from None
                return latest
            _log.debug(
                "realm %s: tokens refreshed (refresh token %s -> %s, version %d)",
                realm_id,
                fingerprint(current.refresh_token),
                fingerprint(saved.refresh_token),
                saved.version,
            )
            return saved

    def needs_refresh(self, tokens: TokenSet) -> bool:
        """Whether the access token expires within the refresh skew."""
        return tokens.access_expires_at - self._skew <= self._clock()

    def _local_lock(self, realm_id: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(realm_id)
            if lock is None:
                lock = self._locks[realm_id] = threading.Lock()
            return lock

    def _mark_needs_reauthorization(self, connection: Connection) -> None:
        self._store.save_connection(
            attrs.evolve(
                connection,
                status=ConnectionStatus.NEEDS_REAUTHORIZATION,
                status_reason="invalid_grant",
            )
        )
        _log.warning(
            "realm %s: refresh token refused (invalid_grant); needs reauthorization",
            connection.realm_id,
        )


class ManagedTokenProvider:
    """The :class:`qbo_sync.http.TokenProvider` of an :class:`OAuthManager`.

    Reads tokens from storage on every call, so a client never keeps a stale
    token, and refreshes through the manager's single-flight refresher.
    """

    def __init__(self, refresher: TokenRefresher) -> None:
        self._refresher = refresher

    def get_token(self, realm_id: str) -> str:
        """A valid access token for ``realm_id`` (refreshed if about to expire).

        Raises:
            ReauthorizationRequired: Not connected, or the refresh token was refused.
        """
        return self._refresher.access_token(realm_id)

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        """Refresh once after a 401 and return the new token (``None``: nothing newer).

        Raises:
            ReauthorizationRequired: The refresh token was refused.
        """
        return self._refresher.token_rejected(realm_id, token)

    def __repr__(self) -> str:
        return "ManagedTokenProvider()"


def _not_connected(realm_id: str) -> ReauthorizationRequired:
    return ReauthorizationRequired(
        f"QuickBooks company {realm_id} is not connected (no tokens stored); connect it first"
    )
