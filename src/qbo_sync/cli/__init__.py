"""The ``qbo-sync`` command line.

``qbo-sync demo`` runs the library end to end (OAuth, client, batch, CDC,
storage, webhooks, token refresh, health) on the embedded default
(:class:`~qbo_sync.storage.SQLiteStore`) against the bundled fake QBO,
offline; ``qbo-sync fake-server`` serves the fake over HTTP. See
``docs/cli.md``.
"""

from __future__ import annotations

from qbo_sync.cli._main import main

__all__ = ["main"]
