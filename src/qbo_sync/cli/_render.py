"""Text for the demo's lines: money, plurals, the health badge, the dashboard table."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from qbo_sync.health import Dashboard, HealthReport
from qbo_sync.storage import EntityCounts

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
    "step",
    "wrap",
]

STEPS = 7
#: Continuation lines start under the text of the step lines.
MORE = " " * 15


def step(n: int, name: str) -> str:
    """The head of a step line: ``"[2/7] write    "``."""
    return f"[{n}/{STEPS}] {name:<8} "


def label(name: str) -> str:
    """The head of a line outside the steps, aligned with them: ``"database       "``."""
    return f"{name:<14} "


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


def health_lines(report: HealthReport) -> list[str]:
    """The health badge, then one line per reason with its points and action."""
    lines = [
        step(7, "health") + f"{report.score}/100 {report.tier.label} {dots(report.dots)} "
        f"({report.color})"
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
