"""The storage protocols: what every backend provides.

:class:`Store` is the whole contract; the smaller protocols let code ask for
only what it uses (the health calculator reads, the OAuth manager needs
tokens, connections, states and the refresh lock). All three bundled
backends (:class:`~qbo_sync.storage.MemoryStore`,
:class:`~qbo_sync.storage.SQLiteStore`,
:class:`~qbo_sync.storage.SQLAlchemyStore`) satisfy :class:`Store`, and
:mod:`qbo_sync.testing.storage_conformance` checks any backend against it.

Rules every backend keeps:

- Every write method is atomic: it completes fully or raises and leaves the
  store as it was. Bulk writes (:meth:`LinkStore.save_links`) run in one
  transaction per call.
- Concurrent writers never lose each other's rows.
- Records go in and come out as equal values (times normalised to UTC).
- Errors are :class:`~qbo_sync.errors.StorageError` subclasses, and their
  text never contains tokens or keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from qbo_sync.storage._records import (
    Connection,
    Cursor,
    EntityLink,
    LinkCounts,
    LinkStatus,
    OAuthState,
    RunRecord,
    Settings,
    TokenSet,
)

__all__ = [
    "ConnectionStore",
    "CursorStore",
    "LinkStore",
    "LockProvider",
    "OAuthStateStore",
    "RunStore",
    "SettingsStore",
    "Store",
    "TokenStore",
]


@runtime_checkable
class ConnectionStore(Protocol):
    """Connected QBO companies."""

    def get_connection(self, realm_id: str) -> Connection | None:
        """The connection of ``realm_id``, or ``None`` if never saved."""
        ...

    def save_connection(self, connection: Connection) -> None:
        """Insert or replace the connection keyed by its ``realm_id``."""
        ...

    def list_connections(self, *, tenant_id: str | None = None) -> list[Connection]:
        """All connections (of one tenant when ``tenant_id`` is given), by realm id."""
        ...

    def delete_realm(self, realm_id: str) -> None:
        """Forget everything stored for ``realm_id``, atomically.

        Removes the connection, tokens, links, cursors, runs and settings
        (for an app uninstall or a data-deletion request).
        """
        ...


@runtime_checkable
class TokenStore(Protocol):
    """OAuth tokens, written by compare-and-swap."""

    @property
    def encrypts_tokens(self) -> bool:
        """Whether tokens are encrypted at rest (``False``: stored as plaintext)."""
        ...

    def get_tokens(self, realm_id: str) -> TokenSet | None:
        """The current tokens of ``realm_id`` (``version`` set), or ``None``.

        Raises:
            EncryptionKeyError: The stored tokens cannot be decrypted with
                the configured keys (or are encrypted and no key is set).
        """
        ...

    def save_tokens(
        self, realm_id: str, tokens: TokenSet, *, expected_version: int | None = None
    ) -> TokenSet:
        """Store ``tokens`` as the new current set, atomically.

        Args:
            realm_id: The QBO company.
            tokens: The new tokens; their ``version`` field is ignored.
            expected_version: Compare-and-swap guard. An int: the save only
                happens if the stored version equals it (``0`` means "no
                tokens stored yet"). ``None``: unconditional overwrite (a
                fresh authorisation supersedes whatever was there).

        Returns:
            The saved set, with its new ``version`` (previous + 1, or 1).

        Raises:
            ConflictError: The stored version is not ``expected_version``;
                nothing was written. Re-read and decide (another process
                refreshed first: use its tokens).
        """
        ...

    def delete_tokens(self, realm_id: str) -> None:
        """Remove the tokens of ``realm_id`` (no error if there are none)."""
        ...


@runtime_checkable
class LockProvider(Protocol):
    """Named locks across processes: the refresh lock and the sync run lock.

    Every :class:`Store` is one (its locks live with its data);
    :class:`~qbo_sync.storage.RedisLockProvider` is one without being a
    store, passed as ``locks=`` to :class:`~qbo_sync.SyncEngine` and
    :class:`~qbo_sync.OAuthManager` when the store cannot lock across
    processes. The OAuth manager locks the realm id (single-flight token
    refresh); the engine locks ``sync:<realm>`` (one run per realm).
    """

    def refresh_lock(self, realm_id: str, *, timeout: float = 30.0) -> AbstractContextManager[None]:
        """Hold the lock named ``realm_id`` for the ``with`` block.

        Mutually exclusive across threads and, for SQLite, SQLAlchemy and
        Redis, across processes. Not re-entrant. Token CAS stays the
        correctness guarantee; the lock stops parallel refreshes (a known
        cause of ``invalid_grant``) and overlapping runs.

        Args:
            realm_id: The lock's name: a realm id, or ``sync:<realm>``.
            timeout: Seconds to wait for the lock.

        Raises:
            LockTimeoutError: The lock was not acquired within ``timeout``.
        """
        ...


@runtime_checkable
class LinkStore(Protocol):
    """Links between local records and QBO entities, in bulk."""

    def save_links(self, links: Iterable[EntityLink]) -> None:
        """Insert or replace links keyed by ``(realm_id, entity_type, local_id)``.

        One transaction for the whole batch.

        Raises:
            ConflictError: Two links of the same realm and entity type would
                share a ``qbo_id``; nothing of the batch was written.
        """
        ...

    def get_links(
        self, realm_id: str, entity_type: str, local_ids: Iterable[str]
    ) -> dict[str, EntityLink]:
        """Links for many local ids at once, keyed by local id (missing ids absent)."""
        ...

    def get_links_by_qbo_ids(
        self, realm_id: str, entity_type: str, qbo_ids: Iterable[str]
    ) -> dict[str, EntityLink]:
        """Links for many QBO ids at once, keyed by QBO id (missing ids absent)."""
        ...

    def list_links(
        self,
        realm_id: str,
        *,
        entity_type: str | None = None,
        status: LinkStatus | None = None,
        limit: int | None = None,
    ) -> list[EntityLink]:
        """Links of a realm, filtered, ordered by entity type then local id."""
        ...

    def delete_links(self, realm_id: str, entity_type: str, local_ids: Iterable[str]) -> int:
        """Delete links by local id in one transaction; returns how many existed."""
        ...

    def link_counts(self, realm_id: str) -> dict[str, LinkCounts]:
        """Synced / pending / failed link counts per entity type (for health)."""
        ...


@runtime_checkable
class CursorStore(Protocol):
    """Inbound-sync watermarks."""

    def get_cursor(self, realm_id: str, entity_type: str) -> Cursor | None:
        """The cursor of one entity type, or ``None``."""
        ...

    def save_cursor(self, cursor: Cursor) -> None:
        """Insert or replace the cursor keyed by ``(realm_id, entity_type)``."""
        ...

    def list_cursors(self, realm_id: str) -> list[Cursor]:
        """All cursors of a realm, by entity type."""
        ...


@runtime_checkable
class RunStore(Protocol):
    """Run history."""

    def save_run(self, run: RunRecord) -> None:
        """Insert or replace the run keyed by ``run_id`` (with its failures), atomically."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None:
        """One run with its counts and failures, or ``None``."""
        ...

    def list_runs(
        self,
        *,
        realm_id: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 50,
        include_failures: bool = True,
    ) -> list[RunRecord]:
        """Recent runs, newest ``started_at`` first.

        Args:
            realm_id: Only this realm's runs.
            since: Only runs started at or after this time.
            limit: At most this many.
            include_failures: ``False`` returns runs with empty ``failures``
                (cheaper for dashboards that only need counts).
        """
        ...


@runtime_checkable
class SettingsStore(Protocol):
    """Per-realm user settings."""

    def get_settings(self, realm_id: str) -> Settings | None:
        """The settings of ``realm_id``, or ``None`` if never saved."""
        ...

    def save_settings(self, realm_id: str, settings: Settings) -> None:
        """Insert or replace the settings of ``realm_id``."""
        ...


@runtime_checkable
class OAuthStateStore(Protocol):
    """OAuth ``state`` values, each usable once."""

    def save_oauth_state(self, state: OAuthState) -> None:
        """Store a new state.

        Raises:
            ConflictError: The state value already exists.
        """
        ...

    def consume_oauth_state(
        self, state: str, *, now: dt.datetime | None = None
    ) -> OAuthState | None:
        """Return the state once and delete it, atomically.

        Of concurrent callers exactly one gets the record. An expired state
        is deleted and ``None`` is returned, as for an unknown one.

        Args:
            state: The ``state`` the callback carried.
            now: The current time (default: the store's clock).
        """
        ...

    def purge_oauth_states(self, *, now: dt.datetime | None = None) -> int:
        """Delete expired states; returns how many."""
        ...


@runtime_checkable
class Store(
    ConnectionStore,
    TokenStore,
    LockProvider,
    LinkStore,
    CursorStore,
    RunStore,
    SettingsStore,
    OAuthStateStore,
    Protocol,
):
    """Everything qbo_sync keeps: the full storage contract."""

    def close(self) -> None:
        """Release connections and files; the store is unusable afterwards."""
        ...
