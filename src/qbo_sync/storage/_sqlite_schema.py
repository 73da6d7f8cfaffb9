"""SQLite schema: ordered migration steps and the upgrade-on-open routine."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from qbo_sync.errors import SchemaVersionError

__all__ = ["MIGRATIONS", "check_version", "migrate"]

#: Step ``i`` takes the schema from version ``i`` to ``i + 1``. Append only:
#: never edit a released step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE qbo_connections (
            realm_id TEXT PRIMARY KEY, environment TEXT NOT NULL, tenant_id TEXT,
            company_name TEXT, status TEXT NOT NULL, connected_at INTEGER,
            disconnected_at INTEGER, status_reason TEXT)""",
        "CREATE INDEX qbo_connections_tenant ON qbo_connections (tenant_id)",
        """CREATE TABLE qbo_tokens (
            realm_id TEXT PRIMARY KEY, version INTEGER NOT NULL, encrypted INTEGER NOT NULL,
            access_token TEXT NOT NULL, refresh_token TEXT NOT NULL,
            access_expires_at INTEGER NOT NULL, refresh_expires_at INTEGER NOT NULL,
            refresh_hard_expires_at INTEGER, updated_at INTEGER)""",
        """CREATE TABLE qbo_links (
            realm_id TEXT NOT NULL, entity_type TEXT NOT NULL, local_id TEXT NOT NULL,
            qbo_id TEXT, sync_token TEXT, fingerprint TEXT, last_synced_at INTEGER,
            pending_request_id TEXT, pending_fingerprint TEXT, status TEXT NOT NULL,
            last_error_code TEXT, last_error TEXT, updated_at INTEGER,
            PRIMARY KEY (realm_id, entity_type, local_id)) WITHOUT ROWID""",
        """CREATE UNIQUE INDEX qbo_links_qbo_id ON qbo_links (realm_id, entity_type, qbo_id)
            WHERE qbo_id IS NOT NULL""",
        "CREATE INDEX qbo_links_status ON qbo_links (realm_id, entity_type, status)",
        """CREATE TABLE qbo_cursors (
            realm_id TEXT NOT NULL, entity_type TEXT NOT NULL,
            changed_since INTEGER NOT NULL, updated_at INTEGER,
            PRIMARY KEY (realm_id, entity_type))""",
        """CREATE TABLE qbo_runs (
            run_id TEXT PRIMARY KEY, realm_id TEXT NOT NULL, kind TEXT NOT NULL,
            direction TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER,
            status TEXT NOT NULL, counts TEXT NOT NULL, failures TEXT NOT NULL,
            failure_count INTEGER NOT NULL, requests INTEGER NOT NULL,
            throttled_requests INTEGER NOT NULL, message TEXT)""",
        "CREATE INDEX qbo_runs_realm_started ON qbo_runs (realm_id, started_at)",
        "CREATE INDEX qbo_runs_started ON qbo_runs (started_at)",
        "CREATE TABLE qbo_settings (realm_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        """CREATE TABLE qbo_oauth_states (
            state_key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, data TEXT NOT NULL)""",
        """CREATE TABLE qbo_locks (
            name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)""",
    ),
)


def check_version(current: int, target: int) -> None:
    """Refuse a database written by a newer qbo_sync.

    Raises:
        SchemaVersionError: ``current`` is above ``target``.
    """
    if current > target:
        raise SchemaVersionError(
            f"database schema version {current} is newer than this qbo_sync "
            f"understands ({target}); upgrade qbo_sync"
        )


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]]) -> int:
    """Bring the database up to ``len(migrations)``, in one write transaction.

    ``BEGIN IMMEDIATE`` makes concurrent openers upgrade one at a time: the
    second one sees the new version and does nothing.

    Returns:
        The schema version after the upgrade.

    Raises:
        SchemaVersionError: The database is newer than ``migrations`` knows.
    """
    target = len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS qbo_schema_version "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
        )
        row = conn.execute("SELECT version FROM qbo_schema_version WHERE id = 1").fetchone()
        current = int(row[0]) if row else 0
        check_version(current, target)
        for step in migrations[current:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO qbo_schema_version (id, version) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            (target,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return target
