"""SQLAlchemyStore: PostgreSQL (and other servers) through SQLAlchemy 2 Core."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection as SAConnection

from qbo_sync.errors import ConfigurationError, ConflictError, StorageError
from qbo_sync.storage import _rows as rows
from qbo_sync.storage._base import LinkKey, SQLStoreBase, resolve_cipher
from qbo_sync.storage._codec import (
    Clock,
    chunked,
    counts_by_entity,
    settings_from_json,
    settings_to_json,
    system_clock,
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
from qbo_sync.storage._sa_schema import MIGRATIONS, Step, advisory_key, build_tables, migrate

__all__ = ["SQLAlchemyStore"]

_T = rows.TZ
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _db_message(exc: sa_exc.SQLAlchemyError) -> str:
    # SQLAlchemy's own text embeds the statement parameters (tokens!): keep
    # only the driver's first line, which names the constraint, not values.
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else type(exc).__name__
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class SQLAlchemyStore(SQLStoreBase):
    """A store on a database server through SQLAlchemy 2 Core.

    Tested on PostgreSQL; written in Core with the upserts of PostgreSQL,
    SQLite and MySQL/MariaDB, so those dialects should work (run the
    conformance suite to find out); others are refused on the first
    insert-or-replace. Needs the ``qbo-sync[postgres]`` extra (or
    ``qbo-sync[sqlalchemy]`` plus a driver).

    On PostgreSQL the refresh lock is ``pg_try_advisory_lock`` held on a
    dedicated connection (released by the server if the process dies); on
    other dialects it is a lease row, as in :class:`SQLiteStore`.

    Args:
        url_or_engine: A database URL (``postgresql+psycopg://...``) or an
            existing :class:`sqlalchemy.Engine` (then not disposed by
            :meth:`close`).
        schema: Database schema (PostgreSQL namespace) for the tables;
            created if missing. ``None``: the default search path.
        encryption: A :class:`TokenCipher`; ``"env"`` (default) builds one
            from ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY`` if set; ``None`` stores
            tokens as plaintext.
        engine_options: Extra :func:`sqlalchemy.create_engine` keywords
            (only with a URL).
        lock_lease: Lease of the lock row on non-PostgreSQL dialects.
        clock: Current aware time (OAuth state expiry, lock leases).
        sleep: Used between refresh-lock attempts.

    Raises:
        ConfigurationError: Bad schema name or encryption key.
        SchemaVersionError: The database was written by a newer qbo_sync.
        StorageError: The database cannot be reached.
    """

    _migrations: ClassVar[Sequence[Step]] = MIGRATIONS
    _time = _T
    _chunk = 1000

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine,
        *,
        schema: str | None = None,
        encryption: TokenCipher | Literal["env"] | None = "env",
        engine_options: Mapping[str, Any] | None = None,
        lock_lease: float = 120.0,
        clock: Clock = system_clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if schema is not None and not _IDENT.match(schema):
            raise ConfigurationError(
                f"schema must be a plain SQL identifier, got {schema!r}",
                problems=[f"schema: {schema!r}"],
            )
        if isinstance(url_or_engine, sa.Engine):
            self._engine, self._owns_engine = url_or_engine, False
        else:
            options = {"pool_pre_ping": True, "hide_parameters": True, **(engine_options or {})}
            self._engine, self._owns_engine = sa.create_engine(url_or_engine, **options), True
        self._pg = self._engine.dialect.name == "postgresql"
        self._schema = schema
        self._t = build_tables(schema)
        self._cipher = resolve_cipher(encryption)
        self._lease = dt.timedelta(seconds=lock_lease)
        self._clock = clock
        self._sleep = sleep
        try:
            self.schema_version = migrate(self._engine, self._t, self._migrations)
        except sa_exc.SQLAlchemyError as exc:
            raise StorageError(f"cannot open the qbo_sync schema: {_db_message(exc)}") from exc

    def __repr__(self) -> str:
        url = self._engine.url.render_as_string(hide_password=True)
        return f"SQLAlchemyStore({url!r}, schema={self._schema!r})"

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine."""
        return self._engine

    def close(self) -> None:
        """Dispose of the engine's pool (only if this store created the engine)."""
        if self._owns_engine:
            self._engine.dispose()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[SAConnection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except sa_exc.IntegrityError as exc:
            raise ConflictError(f"constraint failed: {_db_message(exc)}") from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StorageError(f"database error: {_db_message(exc)}") from exc

    def _rows(self, stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> list[Any]:
        with self._tx() as conn:
            return list(conn.execute(stmt, params or {}).all())

    @staticmethod
    def _cols(table: sa.Table, names: Sequence[str]) -> list[sa.ColumnElement[Any]]:
        return [table.c[name] for name in names]

    # connections -------------------------------------------------------------

    def get_connection(self, realm_id: str) -> Connection | None:
        """See :meth:`ConnectionStore.get_connection`."""
        t = self._t.connections
        found = self._rows(
            sa.select(*self._cols(t, rows.CONNECTION_COLUMNS)).where(t.c.realm_id == realm_id)
        )
        return rows.connection_from_row(found[0], _T) if found else None

    def _upsert(self, table: sa.Table, keys: Sequence[str]) -> sa.Executable:
        # One atomic statement: concurrent first saves of a key both succeed
        # (an UPDATE-then-INSERT would let one of them fail on the primary key).
        others = [c.name for c in table.columns if c.name not in keys]
        name = self._engine.dialect.name
        if name in ("postgresql", "sqlite"):
            stmt = (
                postgresql.insert(table) if name == "postgresql" else sqlite_dialect.insert(table)
            )
            return stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={c: stmt.excluded[c] for c in others},
            )
        if name in ("mysql", "mariadb"):
            mstmt = mysql.insert(table)
            return mstmt.on_duplicate_key_update({c: mstmt.inserted[c] for c in others})
        raise ConfigurationError(
            f"SQLAlchemyStore has no upsert for the {name!r} dialect",
            problems=[f"dialect: {name}"],
        )

    def save_connection(self, connection: Connection) -> None:
        """See :meth:`ConnectionStore.save_connection`."""
        row = dict(
            zip(rows.CONNECTION_COLUMNS, rows.connection_to_row(connection, _T), strict=True)
        )
        with self._tx() as conn:
            conn.execute(self._upsert(self._t.connections, ("realm_id",)), row)

    def list_connections(self, *, tenant_id: str | None = None) -> list[Connection]:
        """See :meth:`ConnectionStore.list_connections`."""
        t = self._t.connections
        stmt = sa.select(*self._cols(t, rows.CONNECTION_COLUMNS)).order_by(t.c.realm_id)
        if tenant_id is not None:
            stmt = stmt.where(t.c.tenant_id == tenant_id)
        return [rows.connection_from_row(r, _T) for r in self._rows(stmt)]

    def delete_realm(self, realm_id: str) -> None:
        """See :meth:`ConnectionStore.delete_realm`."""
        t = self._t
        with self._tx() as conn:
            for table in (t.connections, t.tokens, t.links, t.cursors, t.runs, t.settings):
                conn.execute(sa.delete(table).where(table.c.realm_id == realm_id))

    # tokens ------------------------------------------------------------------

    def get_tokens(self, realm_id: str) -> TokenSet | None:
        """See :meth:`TokenStore.get_tokens`."""
        t = self._t.tokens
        found = self._rows(
            sa.select(*self._cols(t, rows.TOKEN_COLUMNS)).where(t.c.realm_id == realm_id)
        )
        return rows.tokens_from_row(found[0], self._cipher, _T) if found else None

    def save_tokens(
        self, realm_id: str, tokens: TokenSet, *, expected_version: int | None = None
    ) -> TokenSet:
        """See :meth:`TokenStore.save_tokens`."""
        while True:
            current = expected_version
            if current is None:
                t = self._t.tokens
                found = self._rows(sa.select(t.c.version).where(t.c.realm_id == realm_id))
                current = int(found[0][0]) if found else 0
            if self._swap_tokens(realm_id, tokens, current):
                return attrs.evolve(to_utc(tokens), version=current + 1)
            if expected_version is not None:
                raise ConflictError(
                    f"tokens of realm {realm_id} are not at version {expected_version} "
                    "(another writer saved first)"
                )

    def _swap_tokens(self, realm_id: str, tokens: TokenSet, current: int) -> bool:
        t = self._t.tokens
        row = dict(
            zip(
                rows.TOKEN_COLUMNS,
                rows.tokens_to_row(realm_id, tokens, current + 1, self._cipher, _T),
                strict=True,
            )
        )
        try:
            with self._tx() as conn:
                if current == 0:
                    conn.execute(sa.insert(t).values(**row))
                    return True
                result = conn.execute(
                    sa.update(t)
                    .where(t.c.realm_id == realm_id, t.c.version == current)
                    .values(**row)
                )
                return result.rowcount == 1
        except ConflictError:
            return False

    def delete_tokens(self, realm_id: str) -> None:
        """See :meth:`TokenStore.delete_tokens`."""
        t = self._t.tokens
        with self._tx() as conn:
            conn.execute(sa.delete(t).where(t.c.realm_id == realm_id))

    def _rewrite_token_rows(self, rewrite: Callable[[rows.Row], tuple[Any, ...]]) -> int:
        t = self._t.tokens
        with self._tx() as conn:
            found = conn.execute(
                sa.select(*self._cols(t, rows.TOKEN_COLUMNS)).with_for_update()
            ).all()
            for r in found:
                conn.execute(
                    sa.update(t)
                    .where(t.c.realm_id == r[0])
                    .values(**dict(zip(rows.TOKEN_COLUMNS, rewrite(r), strict=True)))
                )
        return len(found)

    # lock --------------------------------------------------------------------

    @contextlib.contextmanager
    def refresh_lock(self, realm_id: str, *, timeout: float = 30.0) -> Iterator[None]:
        """See :meth:`LockProvider.refresh_lock`."""
        name = f"qbo_sync:refresh:{self._schema or ''}:{realm_id}"
        acquire, release = self._pg_lock(advisory_key(name)) if self._pg else self._row_lock(name)
        try:
            wait_for_lock(
                acquire,
                what=f"refresh lock of realm {realm_id}",
                timeout=timeout,
                sleep=self._sleep,
            )
        except BaseException:
            release(held=False)
            raise
        try:
            yield
        finally:
            release(held=True)

    def _pg_lock(self, key: int) -> tuple[Callable[[], bool], Callable[..., None]]:
        # A dedicated connection holds the session-level advisory lock; if the
        # process dies the server drops the connection and with it the lock.
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

        def acquire() -> bool:
            try:
                return bool(
                    conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
            except sa_exc.SQLAlchemyError as exc:
                raise StorageError(f"refresh lock failed: {_db_message(exc)}") from exc

        def release(*, held: bool) -> None:
            try:
                if held:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            finally:
                conn.close()

        return acquire, release

    def _row_lock(self, name: str) -> tuple[Callable[[], bool], Callable[..., None]]:
        t, owner = self._t.locks, uuid.uuid4().hex

        def acquire() -> bool:
            now = self._clock()
            with self._tx() as conn:
                conn.execute(sa.delete(t).where(t.c.name == name, t.c.expires_at <= now))
            try:
                with self._tx() as conn:
                    conn.execute(
                        sa.insert(t).values(name=name, owner=owner, expires_at=now + self._lease)
                    )
            except ConflictError:
                return False
            return True

        def release(*, held: bool) -> None:
            if held:
                with self._tx() as conn:
                    conn.execute(sa.delete(t).where(t.c.name == name, t.c.owner == owner))

        return acquire, release

    # links -------------------------------------------------------------------

    def save_links(self, links: Iterable[EntityLink]) -> None:
        """See :meth:`LinkStore.save_links`."""
        batch: dict[tuple[str, str, str], dict[str, Any]] = {}
        for link in links:
            batch[(link.realm_id, link.entity_type, link.local_id)] = dict(
                zip(rows.LINK_COLUMNS, rows.link_to_row(link, _T), strict=True)
            )
        if not batch:
            return
        # Sorted keys give concurrent batches one lock order (no deadlocks).
        values = [batch[key] for key in sorted(batch)]
        with self._tx() as conn:
            conn.execute(self._upsert(self._t.links, rows.LINK_COLUMNS[:3]), values)

    def _select_links(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: list[str]
    ) -> list[rows.Row]:
        t = self._t.links
        return self._rows(
            sa.select(*self._cols(t, rows.LINK_COLUMNS)).where(
                t.c.realm_id == realm_id, t.c.entity_type == entity_type, t.c[column].in_(keys)
            )
        )

    def _query_links(
        self, realm_id: str, entity_type: str | None, status: LinkStatus | None, limit: int | None
    ) -> list[EntityLink]:
        t = self._t.links
        stmt = sa.select(*self._cols(t, rows.LINK_COLUMNS)).where(t.c.realm_id == realm_id)
        if entity_type is not None:
            stmt = stmt.where(t.c.entity_type == entity_type)
        if status is not None:
            stmt = stmt.where(t.c.status == status.value)
        stmt = stmt.order_by(t.c.entity_type, t.c.local_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [rows.link_from_row(r, _T) for r in self._rows(stmt)]

    def delete_links(self, realm_id: str, entity_type: str, local_ids: Iterable[str]) -> int:
        """See :meth:`LinkStore.delete_links`."""
        t = self._t.links
        deleted = 0
        with self._tx() as conn:
            for part in chunked(dict.fromkeys(local_ids), self._chunk):
                deleted += conn.execute(
                    sa.delete(t).where(
                        t.c.realm_id == realm_id,
                        t.c.entity_type == entity_type,
                        t.c.local_id.in_(part),
                    )
                ).rowcount
        return deleted

    def link_counts(self, realm_id: str) -> dict[str, LinkCounts]:
        """See :meth:`LinkStore.link_counts`."""
        t = self._t.links
        stmt = (
            sa.select(t.c.entity_type, t.c.status, sa.func.count())
            .where(t.c.realm_id == realm_id)
            .group_by(t.c.entity_type, t.c.status)
        )
        return counts_by_entity(self._rows(stmt))

    # cursors -----------------------------------------------------------------

    def get_cursor(self, realm_id: str, entity_type: str) -> Cursor | None:
        """See :meth:`CursorStore.get_cursor`."""
        t = self._t.cursors
        found = self._rows(
            sa.select(*self._cols(t, rows.CURSOR_COLUMNS)).where(
                t.c.realm_id == realm_id, t.c.entity_type == entity_type
            )
        )
        return rows.cursor_from_row(found[0], _T) if found else None

    def save_cursor(self, cursor: Cursor) -> None:
        """See :meth:`CursorStore.save_cursor`."""
        row = dict(zip(rows.CURSOR_COLUMNS, rows.cursor_to_row(cursor, _T), strict=True))
        with self._tx() as conn:
            conn.execute(self._upsert(self._t.cursors, ("realm_id", "entity_type")), row)

    def list_cursors(self, realm_id: str) -> list[Cursor]:
        """See :meth:`CursorStore.list_cursors`."""
        t = self._t.cursors
        stmt = (
            sa.select(*self._cols(t, rows.CURSOR_COLUMNS))
            .where(t.c.realm_id == realm_id)
            .order_by(t.c.entity_type)
        )
        return [rows.cursor_from_row(r, _T) for r in self._rows(stmt)]

    # runs --------------------------------------------------------------------

    def save_run(self, run: RunRecord) -> None:
        """See :meth:`RunStore.save_run`."""
        row = dict(zip(rows.RUN_COLUMNS, rows.run_to_row(run, _T), strict=True))
        with self._tx() as conn:
            conn.execute(self._upsert(self._t.runs, ("run_id",)), row)

    def get_run(self, run_id: str) -> RunRecord | None:
        """See :meth:`RunStore.get_run`."""
        t = self._t.runs
        found = self._rows(sa.select(*self._cols(t, rows.RUN_COLUMNS)).where(t.c.run_id == run_id))
        return rows.run_from_row(found[0], _T) if found else None

    def _query_runs(
        self, realm_id: str | None, since: dt.datetime | None, limit: int, include_failures: bool
    ) -> list[RunRecord]:
        t = self._t.runs
        cols = self._cols(t, rows.RUN_COLUMNS)
        if not include_failures:
            cols[rows.RUN_COLUMNS.index("failures")] = sa.literal("[]").label("failures")
        stmt = sa.select(*cols)
        if realm_id is not None:
            stmt = stmt.where(t.c.realm_id == realm_id)
        if since is not None:
            stmt = stmt.where(t.c.started_at >= since)
        stmt = stmt.order_by(t.c.started_at.desc(), t.c.run_id.desc()).limit(limit)
        return [rows.run_from_row(r, _T) for r in self._rows(stmt)]

    # settings ----------------------------------------------------------------

    def get_settings(self, realm_id: str) -> Settings | None:
        """See :meth:`SettingsStore.get_settings`."""
        t = self._t.settings
        found = self._rows(sa.select(t.c.data).where(t.c.realm_id == realm_id))
        return settings_from_json(found[0][0]) if found else None

    def save_settings(self, realm_id: str, settings: Settings) -> None:
        """See :meth:`SettingsStore.save_settings`."""
        row = {"realm_id": realm_id, "data": settings_to_json(settings)}
        with self._tx() as conn:
            conn.execute(self._upsert(self._t.settings, ("realm_id",)), row)

    # oauth states ------------------------------------------------------------

    def _insert_state(self, key: str, expires_at: Any, data: str) -> None:
        with self._tx() as conn:
            conn.execute(
                sa.insert(self._t.states).values(state_key=key, expires_at=expires_at, data=data)
            )

    def _take_state(self, key: str) -> tuple[Any, str] | None:
        t = self._t.states
        with self._tx() as conn:
            # The DELETE is the claim: of concurrent callers only one deletes the row.
            row = conn.execute(
                sa.select(t.c.expires_at, t.c.data).where(t.c.state_key == key).with_for_update()
            ).first()
            if row is None or conn.execute(sa.delete(t).where(t.c.state_key == key)).rowcount != 1:
                return None
        return row[0], row[1]

    def _delete_states_until(self, when: Any) -> int:
        t = self._t.states
        with self._tx() as conn:
            return int(conn.execute(sa.delete(t).where(t.c.expires_at <= when)).rowcount)
