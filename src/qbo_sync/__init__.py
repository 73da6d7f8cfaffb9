"""qbo_sync: typed, reliable QuickBooks Online sync for Python products.

The names most code needs are re-exported here; the subpackages
(``qbo_sync.models``, ``qbo_sync.errors``, ``qbo_sync.http``,
``qbo_sync.storage``, ``qbo_sync.mapping``, ``qbo_sync.sync``, ``qbo_sync.auth``,
``qbo_sync.health``, ``qbo_sync.webhooks``, ``qbo_sync.testing``) hold the rest.

``SQLAlchemyStore`` is imported lazily, so ``import qbo_sync`` works without
SQLAlchemy installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sync._environment import Environment
from qbo_sync._version import __version__
from qbo_sync.auth import OAuthConfig, OAuthManager
from qbo_sync.client import AsyncQBOClient, QBOClient, Query
from qbo_sync.errors import QBOError
from qbo_sync.storage import MemoryStore, SQLiteStore
from qbo_sync.sync import SyncEngine, SyncReport

if TYPE_CHECKING:
    from qbo_sync.storage import SQLAlchemyStore

__all__ = [
    "AsyncQBOClient",
    "Environment",
    "MemoryStore",
    "OAuthConfig",
    "OAuthManager",
    "QBOClient",
    "QBOError",
    "Query",
    "SQLAlchemyStore",
    "SQLiteStore",
    "SyncEngine",
    "SyncReport",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "SQLAlchemyStore":
        from qbo_sync.storage import SQLAlchemyStore  # noqa: PLC0415 - optional extra

        return SQLAlchemyStore
    raise AttributeError(f"module 'qbo_sync' has no attribute {name!r}")
