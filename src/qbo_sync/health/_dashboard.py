"""Figures for an integration page: per-entity counts and recent activity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

import attrs

from qbo_sync.health._realm import COMPLETED, completed_at
from qbo_sync.storage import (
    ConnectionStatus,
    ConnectionStore,
    CursorStore,
    LinkCounts,
    LinkStore,
    RunStatus,
    RunStore,
    SettingsStore,
)

__all__ = [
    "Dashboard",
    "DashboardSource",
    "EntityFigures",
    "RecentActivity",
    "dashboard_for_realm",
]


@runtime_checkable
class DashboardSource(ConnectionStore, LinkStore, RunStore, CursorStore, SettingsStore, Protocol):
    """The part of :class:`qbo_sync.storage.Store` the dashboard reads."""


@attrs.frozen(kw_only=True)
class EntityFigures:
    """One entity type's row on the integration page.

    Attributes:
        entity: QBO entity name (``"Invoice"``).
        synced: Linked records whose last write was confirmed.
        pending: Records with a write in flight or of unknown outcome.
        failed: Records whose last write failed.
        last_synced_at: When a completed run (or an inbound read) last
            touched this entity type; ``None`` if never.
    """

    entity: str
    synced: int = 0
    pending: int = 0
    failed: int = 0
    last_synced_at: datetime | None = None

    @property
    def total(self) -> int:
        """All linked records of the entity type."""
        return self.synced + self.pending + self.failed


@attrs.frozen(kw_only=True)
class RecentActivity:
    """Quick stats over a recent window (24 hours by default).

    Attributes:
        since: Start of the window.
        runs: Runs started in the window.
        failed_runs: Of those, how many failed as a whole.
        records: Records created or updated by those runs.
        failures: Records those runs failed to sync.
        skipped: Records they skipped (nothing to do).
    """

    since: datetime
    runs: int = 0
    failed_runs: int = 0
    records: int = 0
    failures: int = 0
    skipped: int = 0


@attrs.frozen(kw_only=True)
class Dashboard:
    """What an integration page shows for one realm.

    Attributes:
        realm_id: The QBO company.
        company_name: The company name QBO reported, if stored.
        connection_status: The stored connection status (``None``: unknown realm).
        entities: One row per entity type, by name.
        recent: Activity in the recent window.
        last_run_at: When the newest run started, if any.
        last_run_status: Its status.
        computed_at: The ``now`` the figures were read for.
    """

    realm_id: str
    company_name: str | None
    connection_status: ConnectionStatus | None
    entities: tuple[EntityFigures, ...]
    recent: RecentActivity
    last_run_at: datetime | None
    last_run_status: RunStatus | None
    computed_at: datetime

    def entity(self, name: str) -> EntityFigures:
        """The row of one entity type (zeros when nothing is known of it)."""
        for row in self.entities:
            if row.entity == name:
                return row
        return EntityFigures(entity=name)


def dashboard_for_realm(
    store: DashboardSource,
    realm_id: str,
    *,
    now: datetime | None = None,
    window: timedelta = timedelta(hours=24),
    entities: Iterable[str] = (),
    history_runs: int = 200,
) -> Dashboard:
    """Read the integration-page figures of one realm from storage.

    Entity rows cover every entity type that has links, appears in a recent
    run, has a cursor, is enabled in the realm's settings, or is named in
    ``entities``, so a page can show zero rows for what it syncs.

    Args:
        store: Any store (only read).
        realm_id: The QBO company.
        now: The current time (aware; default: now, UTC).
        window: Length of the recent-activity window (24 hours).
        entities: Entity types to always show.
        history_runs: How many newest runs are searched for each entity's
            last sync time.

    Returns:
        The figures.

    Raises:
        StorageError: The store failed.
    """
    now = now if now is not None else datetime.now(timezone.utc)
    connection = store.get_connection(realm_id)
    counts = store.link_counts(realm_id)
    history = store.list_runs(realm_id=realm_id, limit=history_runs, include_failures=False)
    seen_in_runs = {name for run in history for name in run.counts}
    touched = [
        (name, completed_at(run))
        for run in history
        if run.status in COMPLETED
        for name in run.counts
    ]
    touched += [
        (cursor.entity_type, cursor.updated_at)
        for cursor in store.list_cursors(realm_id)
        if cursor.updated_at is not None
    ]
    last_synced: dict[str, datetime] = {}
    for name, at in touched:
        last_synced[name] = max(at, last_synced.get(name, at))
    settings = store.get_settings(realm_id)
    enabled = [n for n, s in settings.entities.items() if s.enabled] if settings else []
    names = sorted({*counts, *seen_in_runs, *last_synced, *enabled, *entities})
    rows = tuple(_row(name, counts.get(name), last_synced.get(name)) for name in names)
    return Dashboard(
        realm_id=realm_id,
        company_name=connection.company_name if connection else None,
        connection_status=connection.status if connection else None,
        entities=rows,
        recent=_recent(store, realm_id, now - window),
        last_run_at=history[0].started_at if history else None,
        last_run_status=history[0].status if history else None,
        computed_at=now,
    )


def _row(name: str, counts: LinkCounts | None, last: datetime | None) -> EntityFigures:
    counts = counts or LinkCounts()
    return EntityFigures(
        entity=name,
        synced=counts.synced,
        pending=counts.pending,
        failed=counts.failed,
        last_synced_at=last,
    )


def _recent(store: RunStore, realm_id: str, since: datetime) -> RecentActivity:
    # The window is short; 10 000 runs a day per realm is far beyond pacing limits.
    runs = store.list_runs(realm_id=realm_id, since=since, limit=10_000, include_failures=False)
    records = failures = skipped = 0
    for run in runs:
        for c in run.counts.values():
            records += c.created + c.updated
            failures += c.failed
            skipped += c.skipped
    return RecentActivity(
        since=since,
        runs=len(runs),
        failed_runs=sum(1 for run in runs if run.status is RunStatus.FAILED),
        records=records,
        failures=failures,
        skipped=skipped,
    )
