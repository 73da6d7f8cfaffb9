"""Text for the demo's lines: money, plurals, the health badge, the dashboard table."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from qbo_sync.health import Dashboard, HealthReport
from qbo_sync.storage import EntityCounts, RunRecord

__all__ = [
    "MORE",
    "attempted",
    "counts_lines",
    "dashboard_lines",
    "dots",
    "health_lines",
    "label",
    "money",
    "plural",
    "runs_lines",
    "step",
    "wrap",
]

STEPS = 10
#: Continuation lines start under the text of the step lines.
MORE = " " * 17


def step(n: int, name: str) -> str:
    """The head of a step line: ``"[2/10]  book     "``."""
    return f"{f'[{n}/{STEPS}]':<7} {name:<8} "


def label(name: str) -> str:
    """The head of a line outside the steps, aligned with them: ``"database         "``."""
    return f"{name:<16} "


def money(amount: Decimal | None) -> str:
    """``1234.5`` -> ``"1,234.50"`` (``None`` reads as zero)."""
    return f"{amount if amount is not None else Decimal(0):,.2f}"


def plural(n: int, noun: str) -> str:
    """``plural(1, "request")`` -> ``"1 request"``; ``plural(2, ...)`` -> ``"2 requests"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def wrap(parts: list[str], *, width: int = 80) -> list[str]:
    """Join ``parts`` with ``"; "`` into lines of at most ``width`` (a longer part stays whole)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "; " + part
        else:
            lines.append(part)
    return lines


def attempted(counts: EntityCounts) -> int:
    """Records attempted for one entity type: the sum of every outcome."""
    return counts.created + counts.updated + counts.matched + counts.failed + counts.skipped


def counts_lines(counts: Mapping[str, EntityCounts]) -> list[str]:
    """The run's outcomes: one row per entity type, every outcome shown (zeros too)."""
    width = max([len("entity")] + [len(entity) for entity in counts])
    lines = [f"{MORE}{'entity':<{width}}  attempted  created  updated  matched  failed  skipped"]
    lines += [
        f"{MORE}{entity:<{width}}  {attempted(c):>9}  {c.created:>7}  {c.updated:>7}"
        f"  {c.matched:>7}  {c.failed:>6}  {c.skipped:>7}"
        for entity, c in counts.items()
    ]
    return lines


def dots(filled: int) -> str:
    """The five-dot badge: ``dots(4)`` -> ``"●●●●○"``."""
    return "●" * filled + "○" * (5 - filled)


def runs_lines(runs: list[RunRecord]) -> list[str]:
    """Run history, newest first: one row per run with its summed counts."""
    lines = [
        f"{MORE}{'run':<14}  {'status':<7}  created  updated  matched  failed  skipped  requests"
    ]
    for run in runs:
        total = EntityCounts()
        for c in run.counts.values():
            total = EntityCounts(
                created=total.created + c.created, updated=total.updated + c.updated,
                matched=total.matched + c.matched, failed=total.failed + c.failed,
                skipped=total.skipped + c.skipped,
            )
        name = f"{run.direction.value} {run.kind.value}"
        lines.append(
            f"{MORE}{name:<14}  {run.status.value:<7}  {total.created:>7}  {total.updated:>7}"
            f"  {total.matched:>7}  {total.failed:>6}  {total.skipped:>7}  {run.requests:>8}"
        )
    return lines


def health_lines(report: HealthReport, head: str) -> list[str]:
    """The health badge after ``head``, then one line per reason with its points and action."""
    lines = [
        head + f"{report.score}/100 {report.tier.label} {dots(report.dots)} ({report.color})"
    ]
    lines += [
        f"{MORE}-{reason.points} {reason.message} -> {reason.action}" for reason in report.reasons
    ]
    if not report.reasons:
        lines.append(f"{MORE}nothing to fix")
    return lines


def dashboard_lines(board: Dashboard) -> list[str]:
    """The dashboard: one row per entity type, then the last 24 hours."""
    width = max([len("dashboard")] + [len(row.entity) for row in board.entities])
    lines = [f"{MORE}{'dashboard':<{width}}  synced  pending  failed"]
    lines += [
        f"{MORE}{row.entity:<{width}}  {row.synced:>6}  {row.pending:>7}  {row.failed:>6}"
        for row in board.entities
    ]
    recent = board.recent
    lines.append(
        f"{MORE}last 24 h: {plural(recent.runs, 'run')} ({recent.failed_runs} failed), "
        f"{recent.records} records written, {recent.failures} failed, {recent.skipped} skipped"
    )
    return lines
