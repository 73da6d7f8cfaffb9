"""SQLAlchemyStore specifics on the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from typing import ClassVar

import pytest
import sqlalchemy as sa

from qbo_sync.errors import EncryptionKeyError, LockTimeoutError, SchemaVersionError
from qbo_sync.storage import EntityLink, SQLAlchemyStore, TokenCipher, TokenSet
from qbo_sync.storage._sa_schema import MIGRATIONS, Step, Tables

pytestmark = pytest.mark.postgres

KEY = "0Yl2r9a5cFh2S6qk1VY1b4U3yQ6r2Jp5x9d8Zk7m2tE="
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def tokens() -> TokenSet:
    return TokenSet(
        access_token="eyJaccess-pg",
        refresh_token="AB11refresh-pg",
        access_expires_at=T0,
        refresh_expires_at=T0 + dt.timedelta(days=100),
    )


def test_tokens_encrypted_at_rest(pg_url: str, pg_schema: str) -> None:
    """With a key the token columns hold ciphertext; another key cannot read them."""
    store = SQLAlchemyStore(pg_url, schema=pg_schema, encryption=TokenCipher([KEY]))
    store.save_tokens("pg-enc", tokens())
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.text(
                f'SELECT access_token, refresh_token, encrypted FROM "{pg_schema}".qbo_tokens '
                "WHERE realm_id = 'pg-enc'"
            )
        ).one()
    assert "eyJaccess-pg" not in raw[0]
    assert "AB11refresh-pg" not in raw[1]
    assert raw[2] == 1
    other = SQLAlchemyStore(
        pg_url, schema=pg_schema, encryption=TokenCipher([TokenCipher.generate_key()])
    )
    with pytest.raises(EncryptionKeyError):
        other.get_tokens("pg-enc")
    store.close()
    other.close()


def test_newer_schema_is_refused(pg_url: str, pg_schema: str) -> None:
    """A schema version above the library's raises SchemaVersionError on open."""
    schema = f"{pg_schema}_v"
    store = SQLAlchemyStore(pg_url, schema=schema, encryption=None)
    assert store.schema_version == 1
    try:
        with store.engine.begin() as conn:
            conn.execute(sa.text(f'UPDATE "{schema}".qbo_schema_version SET version = 42'))
        with pytest.raises(SchemaVersionError, match="42"):
            SQLAlchemyStore(pg_url, schema=schema, encryption=None)
    finally:
        with store.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        store.close()


def _add_note_column(conn: sa.Connection, tables: Tables) -> None:
    schema = tables.metadata.schema
    conn.execute(sa.text(f'ALTER TABLE "{schema}".qbo_links ADD COLUMN note TEXT'))


class _FutureStore(SQLAlchemyStore):
    _migrations: ClassVar[Sequence[Step]] = (*MIGRATIONS, _add_note_column)


def test_upgrade_on_open_applies_new_steps_once(pg_url: str, pg_schema: str) -> None:
    """Opening an old schema with more migration steps applies only the new ones, keeping data."""
    schema = f"{pg_schema}_u"
    old = SQLAlchemyStore(pg_url, schema=schema, encryption=None)
    try:
        old.save_links([EntityLink(realm_id="1", entity_type="Invoice", local_id="a")])
        upgraded = _FutureStore(pg_url, schema=schema, encryption=None)
        assert upgraded.schema_version == len(MIGRATIONS) + 1
        again = _FutureStore(pg_url, schema=schema, encryption=None)  # no second ALTER: no error
        assert again.schema_version == len(MIGRATIONS) + 1
        with old.engine.connect() as conn:
            columns = conn.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = :s AND table_name = 'qbo_links'"
                ),
                {"s": schema},
            ).scalars().all()
            version = conn.execute(
                sa.text(f'SELECT version FROM "{schema}".qbo_schema_version')
            ).scalar_one()
        assert "note" in columns
        assert version == len(MIGRATIONS) + 1
        assert set(upgraded.get_links("1", "Invoice", ["a"])) == {"a"}
        with pytest.raises(SchemaVersionError):
            SQLAlchemyStore(pg_url, schema=schema, encryption=None)
        upgraded.close()
        again.close()
    finally:
        with old.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        old.close()


def test_lock_of_a_dead_process_is_released_by_the_server(pg_url: str, pg_schema: str) -> None:
    """An advisory lock held by a process that dies without releasing is freed at once."""
    child = textwrap.dedent(
        f"""
        import os, sys
        from qbo_sync.storage import SQLAlchemyStore
        store = SQLAlchemyStore({pg_url!r}, schema={pg_schema!r}, encryption=None)
        held = store.refresh_lock("pg-dead", timeout=10)
        held.__enter__()
        print("held", flush=True)
        sys.stdin.readline()
        os._exit(0)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    store = SQLAlchemyStore(pg_url, schema=pg_schema, encryption=None)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeoutError), store.refresh_lock("pg-dead", timeout=0):
            pass
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(timeout=60) == 0
        with store.refresh_lock("pg-dead", timeout=30):
            pass
    finally:
        proc.kill()
        store.close()


def test_repr_hides_the_password(pg_url: str, pg_schema: str) -> None:
    """The store's repr shows the server but never the password."""
    store = SQLAlchemyStore(pg_url, schema=pg_schema, encryption=None)
    password = sa.make_url(pg_url).password
    assert password
    assert password not in repr(store)
    assert pg_schema in repr(store)
    store.close()


def test_existing_engine_is_not_disposed(pg_url: str, pg_schema: str) -> None:
    """A store built on the caller's engine leaves that engine usable after close()."""
    engine = sa.create_engine(pg_url)
    store = SQLAlchemyStore(engine, schema=pg_schema, encryption=None)
    store.close()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()
