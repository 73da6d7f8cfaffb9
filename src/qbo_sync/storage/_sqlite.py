"""SQLiteStore: the embedded default, on the standard library's sqlite3."""

# SQL text here is assembled only from constant table/column names; values are
# always bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import attrs

from qbo_sync.errors import ConfigurationError, ConflictError, StorageError
from qbo_sync.storage import _rows as rows
from qbo_sync.storage._base import LinkKey, SQLStoreBase, resolve_cipher
from qbo_sync.storage._codec import (
    Clock,
    check_token_version,
    chunked,
    counts_by_entity,
    settings_from_json,
    settings_to_json,
    system_clock,
    to_micros,
    to_utc,
    wait_for_lock,
)
from qbo_sync.storage._crypto import TokenCipher
from qbo_sync.storage._records import (
    Connection,
    Cursor,
    EntityLink,
    LinkCounts,
    LinkStatus,
    RunRecord,
    Settings,
    TokenSet,
)
from qbo_sync.storage._sqlite_schema import MIGRATIONS, migrate

__all__ = ["SQLiteStore"]

_T = rows.MICROS
_TOKEN_UPSERT = (
    f"INSERT OR REPLACE INTO qbo_tokens ({', '.join(rows.TOKEN_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(rows.TOKEN_COLUMNS))})"
)
_LINK_COLS = ", ".join(rows.LINK_COLUMNS)
_LINK_UPSERT = (
    f"INSERT INTO qbo_links ({_LINK_COLS}) VALUES ({', '.join('?' * len(rows.LINK_COLUMNS))}) "
    "ON CONFLICT (realm_id, entity_type, local_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in rows.LINK_COLUMNS[3:])
)
_RUN_COLS = ", ".join(rows.RUN_COLUMNS)
_REALM_TABLES = ("qbo_connections", "qbo_tokens", "qbo_links", "qbo_cursors", "qbo_runs")


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced (closed when its thread ends)."""


class SQLiteStore(SQLStoreBase):
    """A store in one SQLite file: the embedded default.

    Safe for many threads and for several processes on one machine: the
    database runs in WAL mode, every write is one ``BEGIN IMMEDIATE``
    transaction, and a busy timeout makes concurrent writers wait rather
    than fail. Do not put the file on a network file system (SQLite's own
    rule for WAL).

    Each thread gets its own connection (opened lazily; reopened after a
    ``fork``). The schema is created or upgraded on open.

    Args:
        path: The database file (its folder is created if missing).
            ``":memory:"`` is refused: use :class:`MemoryStore`.
        encryption: A :class:`TokenCipher`; ``"env"`` (default) builds one
            from ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY`` if it is set; ``None``
            stores tokens as plaintext (see :attr:`encrypts_tokens`).
        busy_timeout: Seconds a statement waits for another writer.
        lock_lease: Seconds after which a refresh lock whose holder died
            (without releasing it) is taken over.
        clock: Current aware time (OAuth state expiry, lock leases).
        sleep: Used between refresh-lock attempts.

    Raises:
        ConfigurationError: Bad path or encryption key.
        SchemaVersionError: The file was written by a newer qbo_sync.
        StorageError: The file cannot be opened.
    """

    _migrations: ClassVar[Sequence[Sequence[str]]] = MIGRATIONS
    _time = _T

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encryption: TokenCipher | Literal["env"] | None = "env",
        busy_timeout: float = 5.0,
        lock_lease: float = 120.0,
        clock: Clock = system_clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if os.fspath(path) in ("", ":memory:"):
            raise ConfigurationError(
                "SQLiteStore needs a file path; use MemoryStore for an in-memory store",
                problems=[f"path: {os.fspath(path)!r}"],
            )
        self._path = Path(path)
        self._cipher = resolve_cipher(encryption)
        self._busy_timeout = busy_timeout
        self._lease = lock_lease
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._opened: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._opened_lock = threading.Lock()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self.schema_version = migrate(self._conn(), self._migrations)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self._path)!r}, encrypts_tokens={self.encrypts_tokens})"

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    # plumbing ----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                factory=_Connection,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against corruption in WAL mode; it may lose the last
            # commits on power loss, never on a process crash.
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self._path}: {exc}") from exc
        self._local.conn, self._local.pid = conn, os.getpid()
        with self._opened_lock:
            self._opened.add(conn)
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"SQLite {self._path}: cannot start a write: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.IntegrityError):
                raise ConflictError(f"SQLite {self._path}: constraint failed: {exc}") from exc
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"SQLite {self._path}: write failed: {exc}") from exc
            raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"SQLite {self._path}: read failed: {exc}") from exc

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._opened_lock:
            opened, self._opened = list(self._opened), weakref.WeakSet()
        for conn in opened:
            conn.close()
        self._local = threading.local()

    # connections -------------------------------------------------------------

    def get_connection(self, realm_id: str) -> Connection | None:
        """See :meth:`ConnectionStore.get_connection`."""
        found = self._read(
            f"SELECT {', '.join(rows.CONNECTION_COLUMNS)} FROM qbo_connections WHERE realm_id = ?",
            (realm_id,),
        )
        return rows.connection_from_row(found[0], _T) if found else None

    def save_connection(self, connection: Connection) -> None:
        """See :meth:`ConnectionStore.save_connection`."""
        cols = rows.CONNECTION_COLUMNS
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO qbo_connections ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})",
                rows.connection_to_row(connection, _T),
            )

    def list_connections(self, *, tenant_id: str | None = None) -> list[Connection]:
        """See :meth:`ConnectionStore.list_connections`."""
        sql = f"SELECT {', '.join(rows.CONNECTION_COLUMNS)} FROM qbo_connections"
        params: tuple[str, ...] = ()
        if tenant_id is not None:
            sql, params = sql + " WHERE tenant_id = ?", (tenant_id,)
        return [
            rows.connection_from_row(r, _T) for r in self._read(sql + " ORDER BY realm_id", params)
        ]

    def delete_realm(self, realm_id: str) -> None:
        """See :meth:`ConnectionStore.delete_realm`."""
        with self._write() as conn:
            for table in (*_REALM_TABLES, "qbo_settings"):
                conn.execute(f"DELETE FROM {table} WHERE realm_id = ?", (realm_id,))

    # tokens ------------------------------------------------------------------

    def get_tokens(self, realm_id: str) -> TokenSet | None:
        """See :meth:`TokenStore.get_tokens`."""
        found = self._read(
            f"SELECT {', '.join(rows.TOKEN_COLUMNS)} FROM qbo_tokens WHERE realm_id = ?",
            (realm_id,),
        )
        return rows.tokens_from_row(found[0], self._cipher, _T) if found else None

    def save_tokens(
        self, realm_id: str, tokens: TokenSet, *, expected_version: int | None = None
    ) -> TokenSet:
        """See :meth:`TokenStore.save_tokens`."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT version FROM qbo_tokens WHERE realm_id = ?", (realm_id,)
            ).fetchone()
            current = int(row[0]) if row else 0
            check_token_version(realm_id, current, expected_version)
            conn.execute(
                _TOKEN_UPSERT, rows.tokens_to_row(realm_id, tokens, current + 1, self._cipher, _T)
            )
        return attrs.evolve(to_utc(tokens), version=current + 1)

    def delete_tokens(self, realm_id: str) -> None:
        """See :meth:`TokenStore.delete_tokens`."""
        with self._write() as conn:
            conn.execute("DELETE FROM qbo_tokens WHERE realm_id = ?", (realm_id,))

    def _rewrite_token_rows(self, rewrite: Callable[[rows.Row], tuple[Any, ...]]) -> int:
        with self._write() as conn:
            found = conn.execute(f"SELECT {', '.join(rows.TOKEN_COLUMNS)} FROM qbo_tokens")
            rewritten = [rewrite(r) for r in found.fetchall()]
            conn.executemany(_TOKEN_UPSERT, rewritten)
        return len(rewritten)

    # lock --------------------------------------------------------------------

    @contextlib.contextmanager
    def refresh_lock(self, realm_id: str, *, timeout: float = 30.0) -> Iterator[None]:
        """See :meth:`LockProvider.refresh_lock`.

        A row in ``qbo_locks`` written in a ``BEGIN IMMEDIATE`` transaction
        holds the lock; it carries a lease (``lock_lease``) so a holder that
        crashed blocks others for at most that long. While the block runs, a
        thread renews the lease every third of it, so a holder that is alive
        keeps the lock however long it works (a sync run of an hour).
        """
        name, owner = f"refresh:{realm_id}", uuid.uuid4().hex
        wait_for_lock(
            lambda: self._try_lock(name, owner),
            what=f"refresh lock of realm {realm_id}",
            timeout=timeout,
            sleep=self._sleep,
        )
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(name, owner, stop), daemon=True,
            name=f"qbo-sync-lease-{realm_id}",
        )
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            with self._write() as conn:
                conn.execute("DELETE FROM qbo_locks WHERE name = ? AND owner = ?", (name, owner))

    def _renew(self, name: str, owner: str, stop: threading.Event) -> None:
        """Extend a held lock's lease until ``stop`` is set (runs in its own thread)."""
        try:
            while not stop.wait(max(0.01, self._lease / 3)):
                now = to_micros(self._clock())
                assert now is not None
                try:
                    with self._write() as conn:
                        conn.execute(
                            "UPDATE qbo_locks SET expires_at = ? WHERE name = ? AND owner = ?",
                            (now + int(self._lease * 1_000_000), name, owner),
                        )
                except StorageError:
                    continue  # busy for a moment: the next tick tries again
        finally:
            mine: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if mine is not None:
                mine.close()

    def _try_lock(self, name: str, owner: str) -> bool:
        now = to_micros(self._clock())
        assert now is not None
        with self._write() as conn:
            row = conn.execute(
                "SELECT expires_at FROM qbo_locks WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and int(row[0]) > now:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO qbo_locks (name, owner, expires_at) VALUES (?, ?, ?)",
                (name, owner, now + int(self._lease * 1_000_000)),
            )
            return True

    # links -------------------------------------------------------------------

    def save_links(self, links: Iterable[EntityLink]) -> None:
        """See :meth:`LinkStore.save_links`."""
        batch = [rows.link_to_row(link, _T) for link in links]
        with self._write() as conn:
            conn.executemany(_LINK_UPSERT, batch)

    def _select_links(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: list[str]
    ) -> list[rows.Row]:
        return self._read(
            f"SELECT {_LINK_COLS} FROM qbo_links WHERE realm_id = ? AND entity_type = ? "
            f"AND {column} IN ({', '.join('?' * len(keys))})",
            (realm_id, entity_type, *keys),
        )

    def _query_links(
        self, realm_id: str, entity_type: str | None, status: LinkStatus | None, limit: int | None
    ) -> list[EntityLink]:
        sql = f"SELECT {_LINK_COLS} FROM qbo_links WHERE realm_id = ?"
        params: list[Any] = [realm_id]
        if entity_type is not None:
            sql += " AND entity_type = ?"
            params.append(entity_type)
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        sql += " ORDER BY entity_type, local_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [rows.link_from_row(r, _T) for r in self._read(sql, params)]

    def delete_links(self, realm_id: str, entity_type: str, local_ids: Iterable[str]) -> int:
        """See :meth:`LinkStore.delete_links`."""
        deleted = 0
        with self._write() as conn:
            for part in chunked(dict.fromkeys(local_ids), self._chunk):
                cur = conn.execute(
                    "DELETE FROM qbo_links WHERE realm_id = ? AND entity_type = ? "
                    f"AND local_id IN ({', '.join('?' * len(part))})",
                    (realm_id, entity_type, *part),
                )
                deleted += cur.rowcount
        return deleted

    def link_counts(self, realm_id: str) -> dict[str, LinkCounts]:
        """See :meth:`LinkStore.link_counts`."""
        found = self._read(
            "SELECT entity_type, status, COUNT(*) FROM qbo_links WHERE realm_id = ? "
            "GROUP BY entity_type, status ORDER BY entity_type",
            (realm_id,),
        )
        return counts_by_entity(found)

    # cursors -----------------------------------------------------------------

    def get_cursor(self, realm_id: str, entity_type: str) -> Cursor | None:
        """See :meth:`CursorStore.get_cursor`."""
        found = self._read(
            f"SELECT {', '.join(rows.CURSOR_COLUMNS)} FROM qbo_cursors "
            "WHERE realm_id = ? AND entity_type = ?",
            (realm_id, entity_type),
        )
        return rows.cursor_from_row(found[0], _T) if found else None

    def save_cursor(self, cursor: Cursor) -> None:
        """See :meth:`CursorStore.save_cursor`."""
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO qbo_cursors ({', '.join(rows.CURSOR_COLUMNS)}) "
                "VALUES (?, ?, ?, ?)",
                rows.cursor_to_row(cursor, _T),
            )

    def list_cursors(self, realm_id: str) -> list[Cursor]:
        """See :meth:`CursorStore.list_cursors`."""
        found = self._read(
            f"SELECT {', '.join(rows.CURSOR_COLUMNS)} FROM qbo_cursors WHERE realm_id = ? "
            "ORDER BY entity_type",
            (realm_id,),
        )
        return [rows.cursor_from_row(r, _T) for r in found]

    # runs --------------------------------------------------------------------

    def save_run(self, run: RunRecord) -> None:
        """See :meth:`RunStore.save_run`."""
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO qbo_runs ({_RUN_COLS}) "
                f"VALUES ({', '.join('?' * len(rows.RUN_COLUMNS))})",
                rows.run_to_row(run, _T),
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        """See :meth:`RunStore.get_run`."""
        found = self._read(f"SELECT {_RUN_COLS} FROM qbo_runs WHERE run_id = ?", (run_id,))
        return rows.run_from_row(found[0], _T) if found else None

    def _query_runs(
        self, realm_id: str | None, since: dt.datetime | None, limit: int, include_failures: bool
    ) -> list[RunRecord]:
        cols = _RUN_COLS if include_failures else _RUN_COLS.replace("failures,", "'[]',", 1)
        sql = f"SELECT {cols} FROM qbo_runs WHERE 1 = 1"
        params: list[Any] = []
        if realm_id is not None:
            sql += " AND realm_id = ?"
            params.append(realm_id)
        if since is not None:
            sql += " AND started_at >= ?"
            params.append(to_micros(since))
        sql += " ORDER BY started_at DESC, run_id DESC LIMIT ?"
        params.append(limit)
        return [rows.run_from_row(r, _T) for r in self._read(sql, params)]

    # settings ----------------------------------------------------------------

    def get_settings(self, realm_id: str) -> Settings | None:
        """See :meth:`SettingsStore.get_settings`."""
        found = self._read("SELECT data FROM qbo_settings WHERE realm_id = ?", (realm_id,))
        return settings_from_json(found[0][0]) if found else None

    def save_settings(self, realm_id: str, settings: Settings) -> None:
        """See :meth:`SettingsStore.save_settings`."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO qbo_settings (realm_id, data) VALUES (?, ?)",
                (realm_id, settings_to_json(settings)),
            )

    # oauth states ------------------------------------------------------------

    def _insert_state(self, key: str, expires_at: Any, data: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO qbo_oauth_states (state_key, expires_at, data) VALUES (?, ?, ?)",
                (key, expires_at, data),
            )

    def _take_state(self, key: str) -> tuple[Any, str] | None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT expires_at, data FROM qbo_oauth_states WHERE state_key = ?", (key,)
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM qbo_oauth_states WHERE state_key = ?", (key,))
        return None if row is None else (row[0], row[1])

    def _delete_states_until(self, when: Any) -> int:
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM qbo_oauth_states WHERE expires_at <= ?", (when,)
            ).rowcount
