"""SQLAlchemy Core tables and migration steps of :class:`SQLAlchemyStore`.

Imported only by the SQLAlchemy backend (SQLAlchemy is an optional extra).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from qbo_sync.storage._sqlite_schema import check_version

__all__ = ["MIGRATIONS", "Tables", "UTCDateTime", "advisory_key", "build_tables", "migrate"]

_KEY = sa.String(255)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """``timestamptz`` on PostgreSQL; naive UTC on dialects without time zones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Store in UTC (naive on dialects that drop the zone)."""
        if value is None:
            return None
        value = value.astimezone(dt.timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Give back an aware UTC datetime."""
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


@attrs.frozen
class Tables:
    """The tables of one store (one metadata, optionally in a schema)."""

    metadata: sa.MetaData
    version: sa.Table
    connections: sa.Table
    tokens: sa.Table
    links: sa.Table
    cursors: sa.Table
    runs: sa.Table
    settings: sa.Table
    states: sa.Table
    locks: sa.Table


def build_tables(schema: str | None) -> Tables:
    """Define the tables, in ``schema`` when given."""
    md = sa.MetaData(schema=schema)
    t = UTCDateTime
    return Tables(
        metadata=md,
        version=sa.Table(
            "qbo_schema_version",
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
        ),
        connections=sa.Table(
            "qbo_connections",
            md,
            sa.Column("realm_id", _KEY, primary_key=True),
            sa.Column("environment", sa.String(32), nullable=False),
            sa.Column("tenant_id", _KEY, index=True),
            sa.Column("company_name", sa.Text),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("connected_at", t),
            sa.Column("disconnected_at", t),
            sa.Column("status_reason", sa.Text),
        ),
        tokens=sa.Table(
            "qbo_tokens",
            md,
            sa.Column("realm_id", _KEY, primary_key=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("encrypted", sa.Integer, nullable=False),
            sa.Column("access_token", sa.Text, nullable=False),
            sa.Column("refresh_token", sa.Text, nullable=False),
            sa.Column("access_expires_at", t, nullable=False),
            sa.Column("refresh_expires_at", t, nullable=False),
            sa.Column("refresh_hard_expires_at", t),
            sa.Column("updated_at", t),
        ),
        links=sa.Table(
            "qbo_links",
            md,
            sa.Column("realm_id", _KEY, primary_key=True),
            sa.Column("entity_type", sa.String(64), primary_key=True),
            sa.Column("local_id", _KEY, primary_key=True),
            sa.Column("qbo_id", _KEY),
            sa.Column("sync_token", sa.String(64)),
            sa.Column("fingerprint", sa.String(255)),
            sa.Column("last_synced_at", t),
            sa.Column("pending_request_id", sa.String(255)),
            sa.Column("pending_fingerprint", sa.String(255)),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("last_error_code", sa.String(64)),
            sa.Column("last_error", sa.Text),
            sa.Column("updated_at", t),
            # NULLs are distinct in unique indexes, so unlinked rows never collide.
            sa.Index("qbo_links_qbo_id", "realm_id", "entity_type", "qbo_id", unique=True),
            sa.Index("qbo_links_status", "realm_id", "entity_type", "status"),
        ),
        cursors=sa.Table(
            "qbo_cursors",
            md,
            sa.Column("realm_id", _KEY, primary_key=True),
            sa.Column("entity_type", sa.String(64), primary_key=True),
            sa.Column("changed_since", t, nullable=False),
            sa.Column("updated_at", t),
        ),
        runs=sa.Table(
            "qbo_runs",
            md,
            sa.Column("run_id", _KEY, primary_key=True),
            sa.Column("realm_id", _KEY, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("direction", sa.String(16), nullable=False),
            sa.Column("started_at", t, nullable=False, index=True),
            sa.Column("finished_at", t),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("counts", sa.Text, nullable=False),
            sa.Column("failures", sa.Text, nullable=False),
            sa.Column("failure_count", sa.Integer, nullable=False),
            sa.Column("requests", sa.Integer, nullable=False),
            sa.Column("throttled_requests", sa.Integer, nullable=False),
            sa.Column("message", sa.Text),
            sa.Index("qbo_runs_realm_started", "realm_id", "started_at"),
        ),
        settings=sa.Table(
            "qbo_settings",
            md,
            sa.Column("realm_id", _KEY, primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        ),
        states=sa.Table(
            "qbo_oauth_states",
            md,
            sa.Column("state_key", sa.String(64), primary_key=True),
            sa.Column("expires_at", t, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
        ),
        locks=sa.Table(
            "qbo_locks",
            md,
            sa.Column("name", _KEY, primary_key=True),
            sa.Column("owner", sa.String(64), nullable=False),
            sa.Column("expires_at", t, nullable=False),
        ),
    )


Step = Callable[[Connection, Tables], None]


def _v1(conn: Connection, tables: Tables) -> None:
    tables.metadata.create_all(
        conn,
        tables=[
            tables.connections,
            tables.tokens,
            tables.links,
            tables.cursors,
            tables.runs,
            tables.settings,
            tables.states,
            tables.locks,
        ],
    )


#: Step ``i`` takes the schema from version ``i`` to ``i + 1``. Append only.
MIGRATIONS: tuple[Step, ...] = (_v1,)


def advisory_key(text: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` derived from ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True)


def migrate(engine: sa.Engine, tables: Tables, migrations: Sequence[Step]) -> int:
    """Create or upgrade the schema in one transaction; returns the version.

    On PostgreSQL a transaction-scoped advisory lock makes concurrent openers
    upgrade one at a time.

    Raises:
        SchemaVersionError: The database is newer than ``migrations`` knows.
    """
    target = len(migrations)
    schema = tables.metadata.schema
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            key = advisory_key(f"qbo_sync:migrate:{schema or ''}")
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            if schema is not None:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        tables.metadata.create_all(conn, tables=[tables.version])
        row = conn.execute(sa.select(tables.version.c.version).where(tables.version.c.id == 1))
        found = row.scalar_one_or_none()
        current = int(found) if found is not None else 0
        check_version(current, target)
        for step in migrations[current:]:
            step(conn, tables)
        if found is None:
            conn.execute(sa.insert(tables.version).values(id=1, version=target))
        elif current != target:
            conn.execute(
                sa.update(tables.version).where(tables.version.c.id == 1).values(version=target)
            )
    return target
