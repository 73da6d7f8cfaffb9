"""The demo's ``--json`` summary parts, and the per-entity tally behind its run record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qbo_sync.health import Dashboard, HealthReport
from qbo_sync.storage import EntityCounts, LinkCounts, RunRecord

__all__ = ["Tally", "dashboard", "health", "links", "run"]


class Tally:
    """Created / updated / failed / skipped per entity type, for the run record."""

    def __init__(self) -> None:
        self._counts: dict[str, EntityCounts] = {}

    def add(self, entity: str, outcome: str, n: int = 1) -> None:
        counts = self._counts.get(entity, EntityCounts())
        self._counts[entity] = attrs.evolve(counts, **{outcome: getattr(counts, outcome) + n})

    def records(self) -> dict[str, EntityCounts]:
        return dict(self._counts)


def run(saved: RunRecord, tally: Tally) -> dict[str, Any]:
    """The run record as read back from storage (counts in the order they happened)."""
    return {
        "run_id": saved.run_id,
        "status": saved.status.value,
        "requests": saved.requests,
        "throttled_requests": saved.throttled_requests,
        "counts": {entity: attrs.asdict(c) for entity, c in tally.records().items()},
        "failures": [
            {
                "entity_type": f.entity_type,
                "local_id": f.local_id,
                "reason_code": f.reason_code,
                "message": f.message,
                "intuit_tid": f.intuit_tid,
            }
            for f in saved.failures
        ],
    }


def links(written: int, counts: Mapping[str, LinkCounts]) -> dict[str, Any]:
    """Links written, and the store's counts per entity type."""
    return {
        "written": written,
        "by_entity": {entity: attrs.asdict(c) for entity, c in sorted(counts.items())},
    }


def health(report: HealthReport) -> dict[str, Any]:
    """Score, tier, dots, colour and every reason with its action."""
    return {
        "score": report.score,
        "tier": report.tier.value,
        "dots": report.dots,
        "color": report.color,
        "reasons": [
            {"code": r.code, "points": r.points, "message": r.message, "action": r.action}
            for r in report.reasons
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
