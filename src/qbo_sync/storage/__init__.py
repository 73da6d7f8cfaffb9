"""Storage: what qbo_sync remembers (tokens, links, cursors, runs, settings).

:class:`Store` is the contract (a :class:`typing.Protocol`); the backends are
:class:`MemoryStore` (tests, small jobs), :class:`SQLiteStore` (the embedded
default, several processes on one machine) and :class:`SQLAlchemyStore`
(PostgreSQL and other servers; needs the ``qbo-sync[postgres]`` or
``qbo-sync[sqlalchemy]`` extra and is imported lazily, so this package
imports without SQLAlchemy installed).

:class:`RedisLockProvider` (``qbo-sync[redis]``) holds the run and refresh
locks in Redis instead of the store, for workers whose store cannot lock
across processes (``SyncEngine(locks=...)``, ``OAuthManager(locks=...)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sync.storage._crypto import ENCRYPTION_KEY_ENV, TokenCipher
from qbo_sync.storage._memory import MemoryStore
from qbo_sync.storage._protocol import (
    ConnectionStore,
    CursorStore,
    LinkStore,
    LockProvider,
    OAuthStateStore,
    RunStore,
    SettingsStore,
    Store,
    TokenStore,
)
from qbo_sync.storage._records import (
    Connection,
    ConnectionStatus,
    Cursor,
    EntityCounts,
    EntityLink,
    EntitySettings,
    LinkCounts,
    LinkStatus,
    OAuthState,
    RecordFailure,
    RunDirection,
    RunKind,
    RunRecord,
    RunStatus,
    Settings,
    SyncDirection,
    TokenSet,
)
from qbo_sync.storage._redis_lock import RedisLockProvider
from qbo_sync.storage._sqlite import SQLiteStore

if TYPE_CHECKING:
    from qbo_sync.storage._sqlalchemy import SQLAlchemyStore

__all__ = [
    "ENCRYPTION_KEY_ENV",
    "Connection",
    "ConnectionStatus",
    "ConnectionStore",
    "Cursor",
    "CursorStore",
    "EntityCounts",
    "EntityLink",
    "EntitySettings",
    "LinkCounts",
    "LinkStatus",
    "LinkStore",
    "LockProvider",
    "MemoryStore",
    "OAuthState",
    "OAuthStateStore",
    "RecordFailure",
    "RedisLockProvider",
    "RunDirection",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "SQLAlchemyStore",
    "SQLiteStore",
    "Settings",
    "SettingsStore",
    "Store",
    "SyncDirection",
    "TokenCipher",
    "TokenSet",
    "TokenStore",
]


def __getattr__(name: str) -> Any:
    # SQLAlchemy is an optional extra: import its backend only when asked for.
    if name == "SQLAlchemyStore":
        try:
            from qbo_sync.storage._sqlalchemy import SQLAlchemyStore  # noqa: PLC0415
        except ImportError as exc:
            raise ImportError(
                "SQLAlchemyStore needs SQLAlchemy: pip install 'qbo-sync[postgres]' "
                "(or 'qbo-sync[sqlalchemy]' plus a database driver)"
            ) from exc
        return SQLAlchemyStore
    raise AttributeError(f"module 'qbo_sync.storage' has no attribute {name!r}")
