"""The demo's ``--json`` summary parts: plain data from reports, runs, health and dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from qbo_sync.health import Dashboard, HealthReport
from qbo_sync.storage import RunRecord
from qbo_sync.sync import RecordOutcome, SyncReport

T = TypeVar("T")

__all__ = ["dashboard", "health", "in_push_order", "outcome", "report", "run"]

_PUSH_ORDER = {"Item": 0, "Customer": 1, "Vendor": 2, "Invoice": 3, "CreditMemo": 4,
               "Payment": 5, "Purchase": 6, "Bill": 7}


def in_push_order(counts: Mapping[str, T]) -> dict[str, T]:
    """Per-entity values in push order (name lists, sales, then purchases and bills)."""
    return dict(sorted(counts.items(), key=lambda kv: (_PUSH_ORDER.get(kv[0], 99), kv[0])))


def outcome(item: RecordOutcome) -> dict[str, Any]:
    """One record's outcome."""
    return {
        "entity": item.entity,
        "local_id": item.local_id,
        "action": item.action.value,
        "reason": item.reason,
        "message": item.message,
        "qbo_id": item.qbo_id,
        "intuit_tid": item.intuit_tid,
    }


def report(item: SyncReport) -> dict[str, Any]:
    """A run's report: status, counts per entity (in the order run), requests."""
    return {
        "run_id": item.run_id,
        "status": item.status.value,
        "counts": {entity: attrs.asdict(c) for entity, c in in_push_order(item.counts).items()},
        "totals": {
            name: item.total(name)
            for name in ("created", "updated", "matched", "failed", "skipped")
        },
        "requests": item.requests,
        "write_requests": item.write_requests,
        "throttled": item.throttled,
    }


def run(saved: RunRecord) -> dict[str, Any]:
    """A run as run history holds it."""
    return {
        "run_id": saved.run_id,
        "kind": saved.kind.value,
        "direction": saved.direction.value,
        "status": saved.status.value,
        "started_at": saved.started_at.isoformat(),
        "requests": saved.requests,
        "counts": {entity: attrs.asdict(c) for entity, c in in_push_order(saved.counts).items()},
    }


def health(item: HealthReport) -> dict[str, Any]:
    """Score, tier, dots, colour and every reason with its action."""
    return {
        "score": item.score,
        "tier": item.tier.value,
        "dots": item.dots,
        "color": item.color,
        "reasons": [
            {"code": r.code, "points": r.points, "message": r.message, "action": r.action}
            for r in item.reasons
        ],
    }


def dashboard(board: Dashboard) -> dict[str, Any]:
    """Per entity synced / pending / failed, and the last 24 hours."""
    return {
        "entities": {
            row.entity: {"synced": row.synced, "pending": row.pending, "failed": row.failed}
            for row in board.entities
        },
        "recent": {
            "runs": board.recent.runs,
            "failed_runs": board.recent.failed_runs,
            "records": board.recent.records,
            "failures": board.recent.failures,
            "skipped": board.recent.skipped,
        },
        "last_run_status": board.last_run_status.value if board.last_run_status else None,
    }
