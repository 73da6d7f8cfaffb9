"""Small records the client returns besides entities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from qbo_sync._time import parse_timestamp
from qbo_sync.errors import PayloadError

__all__ = ["Deletion", "RequestStats", "ResponseInfo", "parse_qbo_datetime"]


def parse_qbo_datetime(value: object, *, where: str = "time") -> dt.datetime | None:
    """Read a QBO timestamp (``2015-10-07T11:43:20-07:00``, ``...Z``, ``.783``).

    Returns:
        An aware datetime, or ``None`` for ``None``/empty.

    Raises:
        PayloadError: For text that is not an ISO-8601 timestamp.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected an ISO-8601 timestamp, got {value!r}", path=where)
    try:
        # A bare time (no offset) is read as UTC, never in this process's zone.
        return parse_timestamp(value)
    except ValueError:
        raise PayloadError(
            f"{where}: expected an ISO-8601 timestamp, got {value!r}", path=where
        ) from None


@attrs.frozen
class Deletion:
    """An object QBO reports as deleted (CDC, or the answer to a delete).

    Attributes:
        entity: The entity name as QBO spells it (``"Invoice"``).
        id: The deleted object's ``Id``.
        last_updated: ``MetaData.LastUpdatedTime`` (when it was deleted), if sent.
        intuit_tid: Intuit's transaction id of the response that reported it.
    """

    entity: str
    id: str
    last_updated: dt.datetime | None = None
    intuit_tid: str | None = attrs.field(default=None, eq=False)

    @classmethod
    def from_wire(
        cls, entity: str, data: Mapping[str, Any], *, intuit_tid: str | None = None
    ) -> Deletion:
        """Build one from ``{"status": "Deleted", "Id": ..., "MetaData": {...}}``.

        Raises:
            PayloadError: When ``Id`` is missing.
        """
        raw_id = data.get("Id")
        if raw_id is None or raw_id == "":
            raise PayloadError(f"{entity}: deleted object without an Id", entity=entity, path="Id")
        meta = data.get("MetaData")
        last = None
        if isinstance(meta, Mapping):
            last = parse_qbo_datetime(
                meta.get("LastUpdatedTime"), where=f"{entity}.MetaData.LastUpdatedTime"
            )
        return cls(entity=entity, id=str(raw_id), last_updated=last, intuit_tid=intuit_tid)


def is_deleted(data: Mapping[str, Any]) -> bool:
    """Whether a wire object is QBO's deletion marker (``"status": "Deleted"``)."""
    status = data.get("status")
    return isinstance(status, str) and status.lower() == "deleted"


@attrs.frozen
class ResponseInfo:
    """Facts about the last response a client received (see ``QBOClient.last_response``).

    Attributes:
        intuit_tid: Intuit's transaction id (quote it to Intuit support).
        status: The HTTP status.
        method: ``GET`` / ``POST``.
        path: The resource path after ``/v3/company/{realmId}/``.
        request_id: The ``requestid`` sent, for writes.
        attempts: How many attempts the request took (retries + 1).
    """

    intuit_tid: str | None
    status: int
    method: str
    path: str
    request_id: str | None = None
    attempts: int = 1


@attrs.frozen
class RequestStats:
    """What a client has sent so far; subtract two snapshots for one run's share.

    Attributes:
        requests: HTTP requests sent, retries included.
        batch_requests: Of those, ``POST batch`` requests.
        throttled: Of those, answers that were a throttle (429 / fault 3001).
    """

    requests: int = 0
    batch_requests: int = 0
    throttled: int = 0

    def __sub__(self, other: RequestStats) -> RequestStats:
        return RequestStats(
            requests=self.requests - other.requests,
            batch_requests=self.batch_requests - other.batch_requests,
            throttled=self.throttled - other.throttled,
        )
