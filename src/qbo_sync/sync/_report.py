"""What a sync run did: an outcome per record, counts per entity, the run's status.

:class:`SyncReport` is what :class:`~qbo_sync.SyncEngine` returns and what it
saves (as a :class:`~qbo_sync.storage.RunRecord`) in run history. Counting
rules:

- ``created``: a new QBO object (push) or a new product record (pull);
- ``updated``: a sparse update, void, delete or inactivation (push), or a
  change, void or deletion handed to the product (pull);
- ``matched``: linked to an object that already existed, nothing created;
- ``skipped``: nothing to do (unchanged, our own echo, not in QBO);
- ``failed``: see the outcome's ``reason``.

Status: ``success`` when nothing failed, ``failed`` when something failed and
nothing else happened (or the run itself stopped), else ``partial``.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Callable, Iterable

import attrs

from qbo_sync.storage import (
    EntityCounts,
    RecordFailure,
    RunDirection,
    RunKind,
    RunRecord,
    RunStatus,
)

__all__ = ["Action", "RecordOutcome", "ReportBuilder", "SyncReport"]


class Action(str, enum.Enum):
    """What happened (or, in a dry run, would happen) to one record."""

    CREATE = "create"
    UPDATE = "update"
    MATCH = "match"
    VOID = "void"
    DELETE = "delete"
    INACTIVATE = "inactivate"
    SKIP = "skip"
    FAIL = "fail"

    @property
    def counted_as(self) -> str:
        """The :class:`~qbo_sync.storage.EntityCounts` field this action adds to."""
        return _COUNTED_AS[self]


_COUNTED_AS = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.VOID: "updated",
    Action.DELETE: "updated",
    Action.INACTIVATE: "updated",
    Action.MATCH: "matched",
    Action.SKIP: "skipped",
    Action.FAIL: "failed",
}


@attrs.frozen(kw_only=True)
class RecordOutcome:
    """The outcome of one record in one run.

    Attributes:
        entity: The QBO entity name (``"Invoice"``).
        local_id: The product's id (``None`` for a QBO object the product
            does not have yet, on pull).
        action: What happened.
        reason: A machine-readable reason: ``unchanged``, ``echo``,
            ``mapping_missing``, ``dependency_missing``, ``ambiguous_match``,
            ``duplicate_name``, ``conflict``, ``write_unconfirmed``,
            ``not_in_qbo``, ``sink_failed``, or QBO's fault code.
        message: What a person reads (never contains secrets).
        qbo_id: The QBO ``Id``, when known.
        intuit_tid: Intuit's transaction id of the response, when there was one.
        direction: ``push`` or ``pull``.
    """

    entity: str
    local_id: str | None
    action: Action
    reason: str | None = None
    message: str | None = None
    qbo_id: str | None = None
    intuit_tid: str | None = None
    direction: RunDirection = RunDirection.PUSH


@attrs.frozen(kw_only=True)
class SyncReport:
    """A sync run, record by record.

    Attributes:
        run_id: The run's id in run history.
        realm_id: The QBO company.
        direction: Push, pull or both.
        kind: What started it.
        status: Success, partial or failed.
        started_at: When it started.
        finished_at: When it ended.
        counts: Per entity created / updated / failed / skipped / matched.
        outcomes: One per record, in the order they were decided.
        requests: HTTP requests sent to QBO (retries included).
        write_requests: Of those, batch write requests.
        throttled: Answers that were a throttle (429).
        dry_run: Nothing was written (:meth:`SyncEngine.plan`).
        message: Why the run stopped, when it stopped early.
        stop_reason: Why the run stopped early, for code to act on:
            ``needs_reauthorization`` (QBO refused the credentials: the user
            must reconnect) or ``unavailable`` (QBO, or the store, failed a
            read the run needed: try later). ``None`` when it ran to the end.
        outcomes_dropped: Outcomes (never failures) left out of ``outcomes``
            because the engine's ``outcome_limit`` was reached; the counts
            still include them, and ``on_outcome`` saw them.
    """

    run_id: str
    realm_id: str
    direction: RunDirection
    kind: RunKind
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime
    counts: dict[str, EntityCounts]
    outcomes: tuple[RecordOutcome, ...]
    requests: int = 0
    write_requests: int = 0
    throttled: int = 0
    dry_run: bool = False
    message: str | None = None
    stop_reason: str | None = None
    outcomes_dropped: int = 0

    @property
    def duration(self) -> dt.timedelta:
        """How long the run took (on the engine's clock)."""
        return self.finished_at - self.started_at

    @property
    def failures(self) -> tuple[RecordOutcome, ...]:
        """The failed outcomes."""
        return tuple(o for o in self.outcomes if o.action is Action.FAIL)

    def total(self, field: str) -> int:
        """One count summed over entities (``report.total("created")``)."""
        return sum(getattr(c, field) for c in self.counts.values())

    def outcome(self, entity: str, local_id: str) -> RecordOutcome | None:
        """The last outcome of one record, or ``None``."""
        found = None
        for item in self.outcomes:
            if item.entity == entity and item.local_id == local_id:
                found = item
        return found

    def to_run_record(self) -> RunRecord:
        """The run-history entry of this report."""
        failures = [
            RecordFailure(
                entity_type=o.entity,
                reason_code=o.reason or "failed",
                message=o.message or "",
                local_id=o.local_id,
                qbo_id=o.qbo_id,
                intuit_tid=o.intuit_tid,
            )
            for o in self.failures
        ]
        return RunRecord(
            run_id=self.run_id,
            realm_id=self.realm_id,
            kind=self.kind,
            direction=self.direction,
            started_at=self.started_at,
            finished_at=self.finished_at,
            status=self.status,
            counts=self.counts,
            failures=failures,
            requests=self.requests,
            throttled_requests=self.throttled,
            message=self.message,
        )


class ReportBuilder:
    """Collects outcomes while a run goes (thread-safe).

    Args:
        limit: Keep at most this many outcomes that are not failures (failures
            are always kept, counts are always exact); ``None``: keep all.
        listener: Called with every outcome as it is recorded.
    """

    def __init__(
        self, *, limit: int | None = None,
        listener: Callable[[RecordOutcome], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._outcomes: list[RecordOutcome] = []
        self._counts: dict[str, dict[str, int]] = {}
        self._limit = limit
        self._kept = 0
        self.dropped = 0
        self._listener = listener

    def add(self, outcome: RecordOutcome) -> None:
        """Record one outcome."""
        if self._listener is not None:
            self._listener(outcome)
        with self._lock:
            if outcome.action is Action.FAIL or self._limit is None or self._kept < self._limit:
                self._outcomes.append(outcome)
                self._kept += outcome.action is not Action.FAIL
            else:
                self.dropped += 1
            row = self._counts.setdefault(outcome.entity, {})
            field = outcome.action.counted_as
            row[field] = row.get(field, 0) + 1

    def extend(self, outcomes: Iterable[RecordOutcome]) -> None:
        """Record several outcomes."""
        for outcome in outcomes:
            self.add(outcome)

    def touch(self, entity: str) -> None:
        """Make ``entity`` appear in the counts even if nothing happened to it."""
        with self._lock:
            self._counts.setdefault(entity, {})

    @property
    def outcomes(self) -> list[RecordOutcome]:
        """A copy of the outcomes so far."""
        with self._lock:
            return list(self._outcomes)

    def status(self, *, stopped: bool) -> RunStatus:
        """The run's status from what was recorded."""
        with self._lock:
            failed = sum(c.get("failed", 0) for c in self._counts.values())
            done = sum(
                v for c in self._counts.values() for k, v in c.items() if k not in ("failed",)
            )
        if stopped and not done:
            return RunStatus.FAILED
        if failed == 0 and not stopped:
            return RunStatus.SUCCESS
        return RunStatus.FAILED if done == 0 else RunStatus.PARTIAL

    def counts(self) -> dict[str, EntityCounts]:
        """Per-entity counts."""
        with self._lock:
            return {name: EntityCounts(**row) for name, row in sorted(self._counts.items())}
