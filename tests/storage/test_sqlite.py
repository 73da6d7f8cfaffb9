"""SQLiteStore specifics: encryption at rest, key rotation, schema versions, lock leases."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

import qbo_sync.storage as storage
from qbo_sync.errors import (
    ConfigurationError,
    EncryptionKeyError,
    LockTimeoutError,
    SchemaVersionError,
)
from qbo_sync.storage import (
    ENCRYPTION_KEY_ENV,
    EntityLink,
    OAuthState,
    SQLiteStore,
    TokenCipher,
    TokenSet,
)
from qbo_sync.storage._sqlite_schema import MIGRATIONS

OLD = "mJ0uYj3Ck3Q2m2cJxQ3Q9n9mP5v7o4m0b2x6yX1J3hM="
NEW = "0Yl2r9a5cFh2S6qk1VY1b4U3yQ6r2Jp5x9d8Zk7m2tE="
UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, tzinfo=UTC)


def tokens(tag: str = "x") -> TokenSet:
    return TokenSet(
        access_token=f"eyJaccess-{tag}",
        refresh_token=f"AB11refresh-{tag}",
        access_expires_at=T0 + dt.timedelta(hours=1),
        refresh_expires_at=T0 + dt.timedelta(days=100),
    )


def raw_dump(path: Path) -> str:
    """Every stored value of the file as text (what someone with the file sees)."""
    with sqlite3.connect(path) as conn:
        return "\n".join(
            "".join(str(v) for v in conn.execute(f"SELECT * FROM {name}").fetchall())
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )


def test_tokens_encrypted_at_rest(tmp_path: Path) -> None:
    """With a key, neither token nor OAuth state secret appears anywhere in the file."""
    db = tmp_path / "q.db"
    store = SQLiteStore(db, encryption=TokenCipher([NEW]))
    assert store.encrypts_tokens
    store.save_tokens("1", tokens())
    store.save_oauth_state(
        OAuthState(state="st4te-value", expires_at=T0, code_verifier="pkce-verifier")
    )
    store.close()
    text = raw_dump(db)
    for secret in ("eyJaccess-x", "AB11refresh-x", "st4te-value", "pkce-verifier"):
        assert secret not in text


def test_plaintext_when_no_key_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key (env unset) tokens are stored as plaintext and the flag says so."""
    monkeypatch.delenv(ENCRYPTION_KEY_ENV, raising=False)
    db = tmp_path / "q.db"
    store = SQLiteStore(db)
    assert not store.encrypts_tokens
    store.save_tokens("1", tokens())
    store.close()
    assert "AB11refresh-x" in raw_dump(db)


def test_key_taken_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default encryption='env' reads QUICKBOOKS_TOKEN_ENCRYPTION_KEY."""
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, NEW)
    db = tmp_path / "q.db"
    store = SQLiteStore(db)
    assert store.encrypts_tokens
    store.save_tokens("1", tokens())
    assert "AB11refresh-x" not in raw_dump(db)
    assert SQLiteStore(db, encryption=TokenCipher([NEW])).get_tokens("1") is not None


def test_wrong_or_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    """Reading encrypted tokens with another key, or none, raises EncryptionKeyError."""
    db = tmp_path / "q.db"
    SQLiteStore(db, encryption=TokenCipher([OLD])).save_tokens("1", tokens())
    with pytest.raises(EncryptionKeyError) as info:
        SQLiteStore(db, encryption=TokenCipher([NEW])).get_tokens("1")
    assert OLD not in str(info.value)
    assert NEW not in str(info.value)
    with pytest.raises(EncryptionKeyError, match="no key is configured"):
        SQLiteStore(db, encryption=None).get_tokens("1")


def test_key_rotation(tmp_path: Path) -> None:
    """Old tokens read with [new, old]; reencrypt_tokens() makes the old key unnecessary."""
    db = tmp_path / "q.db"
    SQLiteStore(db, encryption=TokenCipher([OLD])).save_tokens("1", tokens("a"))
    SQLiteStore(db, encryption=None).save_tokens("2", tokens("b"))
    rotating = SQLiteStore(db, encryption=TokenCipher([NEW, OLD]))
    before = rotating.get_tokens("1")
    assert before is not None
    assert rotating.reencrypt_tokens() == 2
    only_new = SQLiteStore(db, encryption=TokenCipher([NEW]))
    assert only_new.get_tokens("1") == before
    found = only_new.get_tokens("2")
    assert found is not None
    assert found.refresh_token == "AB11refresh-b"
    assert "AB11refresh-b" not in raw_dump(db)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A database whose schema version is above the library's raises SchemaVersionError."""
    db = tmp_path / "q.db"
    assert SQLiteStore(db).schema_version == len(MIGRATIONS)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE qbo_schema_version SET version = 99")
    with pytest.raises(SchemaVersionError, match="99"):
        SQLiteStore(db)


class _FutureStore(SQLiteStore):
    _migrations: ClassVar[Sequence[Sequence[str]]] = (
        *MIGRATIONS,
        ("ALTER TABLE qbo_links ADD COLUMN note TEXT",),
    )


def test_upgrade_on_open_applies_new_steps_once(tmp_path: Path) -> None:
    """Opening an old database with more migration steps applies only the new ones."""
    db = tmp_path / "q.db"
    SQLiteStore(db).save_links([EntityLink(realm_id="1", entity_type="Invoice", local_id="a")])
    upgraded = _FutureStore(db)
    assert upgraded.schema_version == len(MIGRATIONS) + 1
    assert _FutureStore(db).schema_version == len(MIGRATIONS) + 1
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(qbo_links)")]
    assert "note" in columns
    assert set(upgraded.get_links("1", "Invoice", ["a"])) == {"a"}
    with pytest.raises(SchemaVersionError):
        SQLiteStore(db)


def test_crashed_lock_holder_is_taken_over_after_the_lease(tmp_path: Path) -> None:
    """A lock never released (holder died) blocks until its lease ends, then is taken."""
    now = [T0]
    db = tmp_path / "q.db"
    holder = SQLiteStore(db, lock_lease=60, clock=lambda: now[0])
    held = holder.refresh_lock("1")
    held.__enter__()  # never exited: the holder "crashed" (kept referenced so no cleanup runs)
    other = SQLiteStore(db, lock_lease=60, clock=lambda: now[0])
    with pytest.raises(LockTimeoutError), other.refresh_lock("1", timeout=0):
        pass
    now[0] = T0 + dt.timedelta(seconds=61)
    with other.refresh_lock("1", timeout=0):
        pass


def test_a_live_holder_keeps_the_lock_past_its_lease(tmp_path: Path) -> None:
    """The lease is renewed while the block runs: a long sync run keeps its realm's lock."""
    import time

    db = tmp_path / "q.db"
    holder, other = SQLiteStore(db, lock_lease=0.3), SQLiteStore(db, lock_lease=0.3)
    try:
        with holder.refresh_lock("sync:1"):
            for _ in range(3):
                time.sleep(0.35)  # more than the whole lease each time
                with pytest.raises(LockTimeoutError), other.refresh_lock("sync:1", timeout=0):
                    pass
        with other.refresh_lock("sync:1", timeout=0):
            pass
    finally:
        holder.close()
        other.close()


def test_memory_path_is_refused(tmp_path: Path) -> None:
    """':memory:' would give every thread its own database, so it is refused."""
    with pytest.raises(ConfigurationError, match="MemoryStore"):
        SQLiteStore(":memory:")


def test_wal_mode_and_folder_creation(tmp_path: Path) -> None:
    """The file is created (with its folder) in WAL mode."""
    db = tmp_path / "nested" / "dir" / "q.db"
    store = SQLiteStore(db, encryption=None)
    store.get_connection("1")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert repr(store).startswith("SQLiteStore(")


def test_package_imports_without_sqlalchemy() -> None:
    """qbo_sync.storage imports without SQLAlchemy; SQLAlchemyStore then says what to install."""
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "import qbo_sync.storage as s\n"
        "s.MemoryStore(); s.SQLiteStore\n"
        "try:\n    s.SQLAlchemyStore\nexcept ImportError as e:\n    print('hint:', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "qbo-sync[postgres]" in out


def test_public_names_match_all() -> None:
    """qbo_sync.storage.__all__ lists exactly its public names (SQLAlchemyStore is lazy)."""
    public = {n for n in dir(storage) if n[0].isalpha()} - {
        "annotations",
        "TYPE_CHECKING",
        "Any",
    }
    assert set(storage.__all__) == public | {"SQLAlchemyStore"}
    assert len(storage.__all__) == len(set(storage.__all__))
