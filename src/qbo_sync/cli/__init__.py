"""The ``qbo-sync`` command line.

``qbo-sync demo`` runs the flows a product builds through
:class:`~qbo_sync.SyncEngine` (OAuth connect, push with progress, an invoice
paid from a QuickBooks payment and its webhook, a void, a pull, run history,
health) on the embedded default (:class:`~qbo_sync.storage.SQLiteStore`)
against the bundled fake QBO, offline; ``qbo-sync fake-server`` serves the fake over HTTP.
``connect``, ``status``, ``test-connection``, ``map-accounts``, ``configure``, ``sync``,
``retry-failed``, ``history``, ``health`` and ``disconnect`` work on a real
company (or on the fake served over HTTP). See ``docs/cli.md``.
"""

from __future__ import annotations

from qbo_sync.cli._main import main

__all__ = ["main"]
