"""The link states a push moves through: pending before sending, then synced or failed."""

from __future__ import annotations

import datetime as dt

from qbo_sync.storage import EntityLink, LinkStatus
from qbo_sync.sync._plan import PlannedWrite

__all__ = ["failed_link", "pending_link", "synced_link"]


def pending_link(
    realm_id: str, write: PlannedWrite, old: EntityLink | None, pending: str, now: dt.datetime
) -> EntityLink:
    """The link saved *before* the write is sent (what recovery reads after a crash)."""
    return EntityLink(
        realm_id=realm_id,
        entity_type=write.entity,
        local_id=write.local_id,
        qbo_id=write.qbo_id,
        sync_token=write.sync_token,
        fingerprint=old.fingerprint if old is not None else None,
        last_synced_at=old.last_synced_at if old is not None else None,
        pending_request_id=pending,
        pending_fingerprint=write.fingerprint,
        status=LinkStatus.PENDING,
        updated_at=now,
    )


def synced_link(
    realm_id: str,
    entity: str,
    local_id: str,
    *,
    qbo_id: str | None,
    sync_token: str | None,
    fingerprint: str | None,
    now: dt.datetime,
) -> EntityLink:
    """The link after QBO confirmed a write (or a match)."""
    return EntityLink(
        realm_id=realm_id,
        entity_type=entity,
        local_id=local_id,
        qbo_id=qbo_id,
        sync_token=sync_token,
        fingerprint=fingerprint,
        last_synced_at=now,
        status=LinkStatus.SYNCED,
        updated_at=now,
    )


def failed_link(
    realm_id: str,
    entity: str,
    local_id: str,
    old: EntityLink | None,
    *,
    code: str,
    message: str,
    now: dt.datetime,
) -> EntityLink:
    """The link after a failure: what QBO held before is kept, the error is recorded."""
    return EntityLink(
        realm_id=realm_id,
        entity_type=entity,
        local_id=local_id,
        qbo_id=old.qbo_id if old is not None else None,
        sync_token=old.sync_token if old is not None else None,
        fingerprint=old.fingerprint if old is not None else None,
        last_synced_at=old.last_synced_at if old is not None else None,
        status=LinkStatus.FAILED,
        last_error_code=code,
        last_error=message[:500],
        updated_at=now,
    )
