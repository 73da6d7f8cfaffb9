"""MemoryStore: the whole storage contract in one process's memory."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable, Iterator

import attrs

from qbo_sync.errors import ConflictError, LockTimeoutError
from qbo_sync.storage._base import LinkKey, StoreBase
from qbo_sync.storage._codec import (
    Clock,
    check_token_version,
    counts_by_entity,
    system_clock,
    to_utc,
)
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

__all__ = ["MemoryStore"]

_LinkKey = tuple[str, str, str]


class MemoryStore(StoreBase):
    """A thread-safe store kept in memory, for tests and small jobs.

    Everything is lost when the process ends, and nothing is shared with
    other processes: the refresh lock is a :class:`threading.Lock` per realm.
    Tokens are held as given (``encrypts_tokens`` is ``False``).

    Args:
        clock: Returns the current aware time (OAuth state expiry);
            defaults to the system clock in UTC.
    """

    def __init__(self, *, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._mutex = threading.RLock()
        self._connections: dict[str, Connection] = {}
        self._tokens: dict[str, TokenSet] = {}
        self._links: dict[_LinkKey, EntityLink] = {}
        self._qbo_index: dict[_LinkKey, str] = {}
        self._cursors: dict[tuple[str, str], Cursor] = {}
        self._runs: dict[str, RunRecord] = {}
        self._settings: dict[str, Settings] = {}
        self._states: dict[str, OAuthState] = {}
        self._locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(realms={len(self._connections)}, links={len(self._links)})"

    def close(self) -> None:
        """Nothing to release; kept for the :class:`~qbo_sync.storage.Store` contract."""

    # connections -------------------------------------------------------------

    def get_connection(self, realm_id: str) -> Connection | None:
        """See :meth:`ConnectionStore.get_connection`."""
        with self._mutex:
            return self._connections.get(realm_id)

    def save_connection(self, connection: Connection) -> None:
        """See :meth:`ConnectionStore.save_connection`."""
        connection = to_utc(connection)
        with self._mutex:
            self._connections[connection.realm_id] = connection

    def list_connections(self, *, tenant_id: str | None = None) -> list[Connection]:
        """See :meth:`ConnectionStore.list_connections`."""
        with self._mutex:
            found = [
                c
                for c in self._connections.values()
                if tenant_id is None or c.tenant_id == tenant_id
            ]
        return sorted(found, key=lambda c: c.realm_id)

    def delete_realm(self, realm_id: str) -> None:
        """See :meth:`ConnectionStore.delete_realm`."""
        with self._mutex:
            self._connections.pop(realm_id, None)
            self._tokens.pop(realm_id, None)
            self._settings.pop(realm_id, None)
            for key in [k for k in self._links if k[0] == realm_id]:
                del self._links[key]
            for key in [k for k in self._qbo_index if k[0] == realm_id]:
                del self._qbo_index[key]
            for ckey in [k for k in self._cursors if k[0] == realm_id]:
                del self._cursors[ckey]
            for run_id in [r.run_id for r in self._runs.values() if r.realm_id == realm_id]:
                del self._runs[run_id]

    # tokens ------------------------------------------------------------------

    @property
    def encrypts_tokens(self) -> bool:
        """Always ``False``: memory is not "at rest"."""
        return False

    def get_tokens(self, realm_id: str) -> TokenSet | None:
        """See :meth:`TokenStore.get_tokens`."""
        with self._mutex:
            return self._tokens.get(realm_id)

    def save_tokens(
        self, realm_id: str, tokens: TokenSet, *, expected_version: int | None = None
    ) -> TokenSet:
        """See :meth:`TokenStore.save_tokens`."""
        with self._mutex:
            current = self._tokens.get(realm_id)
            current_version = current.version if current else 0
            check_token_version(realm_id, current_version, expected_version)
            saved = to_utc(attrs.evolve(tokens, version=current_version + 1))
            self._tokens[realm_id] = saved
            return saved

    def delete_tokens(self, realm_id: str) -> None:
        """See :meth:`TokenStore.delete_tokens`."""
        with self._mutex:
            self._tokens.pop(realm_id, None)

    # lock --------------------------------------------------------------------

    @contextlib.contextmanager
    def refresh_lock(self, realm_id: str, *, timeout: float = 30.0) -> Iterator[None]:
        """See :meth:`LockProvider.refresh_lock` (this process only)."""
        with self._mutex:
            lock = self._locks.setdefault(realm_id, threading.Lock())
        if not lock.acquire(timeout=max(timeout, 0.0)):
            raise LockTimeoutError(
                f"refresh lock of realm {realm_id} not acquired within {timeout} s"
            )
        try:
            yield
        finally:
            lock.release()

    # links -------------------------------------------------------------------

    def save_links(self, links: Iterable[EntityLink]) -> None:
        """See :meth:`LinkStore.save_links`."""
        batch: dict[_LinkKey, EntityLink] = {}
        for link in links:
            batch[(link.realm_id, link.entity_type, link.local_id)] = to_utc(link)
        with self._mutex:
            claimed: dict[_LinkKey, str] = {}
            for key, link in batch.items():
                if link.qbo_id is None:
                    continue
                qkey = (key[0], key[1], link.qbo_id)
                owner = claimed.get(qkey) or self._qbo_index.get(qkey)
                if owner is not None and owner != key[2]:
                    moved = batch.get((key[0], key[1], owner))
                    if qkey in claimed or moved is None or moved.qbo_id == link.qbo_id:
                        raise ConflictError(
                            f"{key[1]} {link.qbo_id} of realm {key[0]} is already linked "
                            f"to local id {owner!r}, not {key[2]!r}"
                        )
                claimed[qkey] = key[2]
            for key in batch:
                old = self._links.get(key)
                if old is not None and old.qbo_id is not None:
                    qkey = (key[0], key[1], old.qbo_id)
                    if self._qbo_index.get(qkey) == key[2]:
                        del self._qbo_index[qkey]
            for key, link in batch.items():
                self._links[key] = link
                if link.qbo_id is not None:
                    self._qbo_index[(key[0], key[1], link.qbo_id)] = key[2]

    def _links_where(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: Iterable[str]
    ) -> dict[str, EntityLink]:
        found: dict[str, EntityLink] = {}
        with self._mutex:
            for key in keys:
                local_id: str | None = key
                if column == "qbo_id":
                    local_id = self._qbo_index.get((realm_id, entity_type, key))
                if local_id is not None and (realm_id, entity_type, local_id) in self._links:
                    found[key] = self._links[(realm_id, entity_type, local_id)]
        return found

    def _query_links(
        self, realm_id: str, entity_type: str | None, status: LinkStatus | None, limit: int | None
    ) -> list[EntityLink]:
        with self._mutex:
            found = [
                link
                for key, link in self._links.items()
                if key[0] == realm_id
                and (entity_type is None or key[1] == entity_type)
                and (status is None or link.status == status)
            ]
        found.sort(key=lambda link: (link.entity_type, link.local_id))
        return found if limit is None else found[:limit]

    def delete_links(self, realm_id: str, entity_type: str, local_ids: Iterable[str]) -> int:
        """See :meth:`LinkStore.delete_links`."""
        deleted = 0
        with self._mutex:
            for local_id in set(local_ids):
                link = self._links.pop((realm_id, entity_type, local_id), None)
                if link is None:
                    continue
                deleted += 1
                if link.qbo_id is not None:
                    self._qbo_index.pop((realm_id, entity_type, link.qbo_id), None)
        return deleted

    def link_counts(self, realm_id: str) -> dict[str, LinkCounts]:
        """See :meth:`LinkStore.link_counts`."""
        with self._mutex:
            found = [
                (key[1], link.status.value, 1)
                for key, link in self._links.items()
                if key[0] == realm_id
            ]
        return counts_by_entity(found)

    # cursors -----------------------------------------------------------------

    def get_cursor(self, realm_id: str, entity_type: str) -> Cursor | None:
        """See :meth:`CursorStore.get_cursor`."""
        with self._mutex:
            return self._cursors.get((realm_id, entity_type))

    def save_cursor(self, cursor: Cursor) -> None:
        """See :meth:`CursorStore.save_cursor`."""
        cursor = to_utc(cursor)
        with self._mutex:
            self._cursors[(cursor.realm_id, cursor.entity_type)] = cursor

    def list_cursors(self, realm_id: str) -> list[Cursor]:
        """See :meth:`CursorStore.list_cursors`."""
        with self._mutex:
            found = [c for key, c in self._cursors.items() if key[0] == realm_id]
        return sorted(found, key=lambda c: c.entity_type)

    # runs --------------------------------------------------------------------

    def save_run(self, run: RunRecord) -> None:
        """See :meth:`RunStore.save_run`."""
        run = to_utc(run)
        with self._mutex:
            self._runs[run.run_id] = run

    def get_run(self, run_id: str) -> RunRecord | None:
        """See :meth:`RunStore.get_run`."""
        with self._mutex:
            return self._runs.get(run_id)

    def _query_runs(
        self, realm_id: str | None, since: dt.datetime | None, limit: int, include_failures: bool
    ) -> list[RunRecord]:
        with self._mutex:
            found = [
                run
                for run in self._runs.values()
                if (realm_id is None or run.realm_id == realm_id)
                and (since is None or run.started_at >= since)
            ]
        found.sort(key=lambda run: (run.started_at, run.run_id), reverse=True)
        found = found[:limit]
        if not include_failures:
            found = [attrs.evolve(run, failures=()) for run in found]
        return found

    # settings ----------------------------------------------------------------

    def get_settings(self, realm_id: str) -> Settings | None:
        """See :meth:`SettingsStore.get_settings`."""
        with self._mutex:
            return self._settings.get(realm_id)

    def save_settings(self, realm_id: str, settings: Settings) -> None:
        """See :meth:`SettingsStore.save_settings`."""
        with self._mutex:
            self._settings[realm_id] = settings

    # oauth states ------------------------------------------------------------

    def save_oauth_state(self, state: OAuthState) -> None:
        """See :meth:`OAuthStateStore.save_oauth_state`."""
        state = to_utc(state)
        with self._mutex:
            if state.state in self._states:
                raise ConflictError("this OAuth state value is already stored")
            self._states[state.state] = state

    def consume_oauth_state(
        self, state: str, *, now: dt.datetime | None = None
    ) -> OAuthState | None:
        """See :meth:`OAuthStateStore.consume_oauth_state`."""
        when = now if now is not None else self._clock()
        with self._mutex:
            found = self._states.pop(state, None)
        if found is None or found.expires_at <= when:
            return None
        return found

    def purge_oauth_states(self, *, now: dt.datetime | None = None) -> int:
        """See :meth:`OAuthStateStore.purge_oauth_states`."""
        when = now if now is not None else self._clock()
        with self._mutex:
            expired = [key for key, s in self._states.items() if s.expires_at <= when]
            for key in expired:
                del self._states[key]
        return len(expired)
