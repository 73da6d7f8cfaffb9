"""The pure health calculator: facts in, score, tier and actions out."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from qbo_sync.health._policy import ConnectionState, HealthPolicy, HealthTier

__all__ = ["FailureGroup", "HealthInputs", "HealthReason", "HealthReport", "compute_health"]

_DAY = timedelta(days=1)


def _connection_state(value: Any) -> ConnectionState:
    # Accepts qbo_sync.storage.ConnectionStatus (same values) and plain strings.
    return ConnectionState(getattr(value, "value", value))


def _share(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"HealthInputs.{attribute.name} must be within 0..1, got {value!r}")


def _count(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be >= 0, got {value}")


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"HealthInputs.{attribute.name} must be timezone-aware")


@attrs.frozen(kw_only=True)
class FailureGroup:
    """Records of one entity type currently failing for one reason.

    Attributes:
        entity: QBO entity name (``"Invoice"``).
        count: How many records.
        reason: What is wrong, as a user would read it
            (``"missing income account"``).
        code: The QBO fault code or qbo_sync reason code, when known.
    """

    entity: str
    count: int = attrs.field(validator=_count)
    reason: str
    code: str | None = None


def _groups(value: Iterable[FailureGroup]) -> tuple[FailureGroup, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class HealthInputs:
    """The facts the score is computed from.

    Attributes:
        connection: State of the connection (a storage ``ConnectionStatus``
            or a string converts).
        refresh_expires_in_days: Days until the rolling refresh token lapses
            (``None``: unknown). At or below 0 the connection is Disconnected.
        hard_expires_in_days: Days until the 5-year hard expiry (``None``:
            unknown, Intuit only reports it on request). At or below 0:
            Disconnected.
        last_success_at: When the last successful (or partial) sync finished;
            ``None`` when none is known.
        error_rate: Share (0..1) of records that failed over recent runs.
        consecutive_failures: Runs in a row, newest first, that failed.
        throttled_share: Share (0..1) of requests QBO throttled recently.
        webhook_lag: How late webhook events arrive (``None``: not measured).
        failures: Records currently failing, grouped by entity and reason;
            each group becomes an action.
    """

    connection: ConnectionState = attrs.field(
        default=ConnectionState.CONNECTED, converter=_connection_state
    )
    refresh_expires_in_days: float | None = None
    hard_expires_in_days: float | None = None
    last_success_at: datetime | None = attrs.field(default=None, validator=_aware)
    error_rate: float = attrs.field(default=0.0, validator=_share)
    consecutive_failures: int = attrs.field(default=0, validator=_count)
    throttled_share: float = attrs.field(default=0.0, validator=_share)
    webhook_lag: timedelta | None = None
    failures: tuple[FailureGroup, ...] = attrs.field(default=(), converter=_groups)


@attrs.frozen(kw_only=True)
class HealthReason:
    """One thing that lowered the score.

    Attributes:
        code: Stable machine name (``"stale"``, ``"error_rate"`` ...).
        message: What is wrong, for the user.
        points: Points it took off the score.
        action: What to do about it.
    """

    code: str
    message: str
    points: int
    action: str


@attrs.frozen(kw_only=True)
class HealthReport:
    """The score of one connection and why it is not 100.

    Attributes:
        score: 0..100, 100 being perfect.
        tier: The tier the score (and hard caps) put it in.
        reasons: What lowered the score, most points first.
        computed_at: The ``now`` the report was computed for.
    """

    score: int
    tier: HealthTier
    reasons: tuple[HealthReason, ...]
    computed_at: datetime

    @property
    def dots(self) -> int:
        """Filled dots out of five."""
        return self.tier.dots

    @property
    def color(self) -> str:
        """Colour name of the tier."""
        return self.tier.color

    @property
    def actions(self) -> list[str]:
        """The distinct actions to take, most important first."""
        return list(dict.fromkeys(reason.action for reason in self.reasons))


def compute_health(
    inputs: HealthInputs,
    *,
    now: datetime | None = None,
    policy: HealthPolicy | None = None,
) -> HealthReport:
    """Score a connection's health.

    Pure and deterministic: equal inputs, ``now`` and policy give an equal
    report. More errors never raise the score; a connection needing
    reauthorisation is at most Critical; an expired or disconnected one is
    Disconnected with score 0.

    Args:
        inputs: The facts.
        now: The current time (aware; default: the system clock, UTC). Only
            staleness depends on it.
        policy: Weights and thresholds; :class:`HealthPolicy` defaults if omitted.

    Returns:
        The score, tier and the reasons that lowered it, each with an action.

    Raises:
        ValueError: If ``now`` is naive.
    """
    policy = policy if policy is not None else HealthPolicy()
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.utcoffset() is None:
        raise ValueError("compute_health(now=...) must be timezone-aware")
    reasons: list[HealthReason] = []
    disconnected = _connection_reasons(inputs, policy, reasons)
    _sync_reasons(inputs, policy, now, reasons)
    # Failing-record groups stay listed past the points cap, so each keeps its action.
    reasons = [r for r in reasons if r.points > 0 or r.code == "failed_records"]
    reasons.sort(key=lambda r: -r.points)
    score = max(0, 100 - sum(r.points for r in reasons))
    if disconnected:
        return HealthReport(
            score=0, tier=HealthTier.DISCONNECTED, reasons=tuple(reasons), computed_at=now
        )
    capped = inputs.connection is ConnectionState.NEEDS_REAUTHORIZATION or (
        inputs.consecutive_failures >= policy.critical_consecutive_failures
    )
    if capped:
        score = min(score, policy.warning_min - 1)
    return HealthReport(
        score=score, tier=_tier(score, policy), reasons=tuple(reasons), computed_at=now
    )


def _tier(score: int, policy: HealthPolicy) -> HealthTier:
    if score >= policy.excellent_min:
        return HealthTier.EXCELLENT
    if score >= policy.good_min:
        return HealthTier.GOOD
    if score >= policy.warning_min:
        return HealthTier.WARNING
    return HealthTier.CRITICAL


def _ramp(value: float, free: float, full: float, max_points: float) -> int:
    """Points growing linearly from 0 at ``free`` to ``max_points`` at ``full``.

    Rounded half up, which keeps the result monotonic in ``value``.
    """
    if value <= free:
        return 0
    share = min(1.0, (value - free) / (full - free))
    return math.floor(share * max_points + 0.5)


def _days(value: float) -> str:
    whole = max(0, math.ceil(value))
    return "1 day" if whole == 1 else f"{whole} days"


def _ago(delta: timedelta) -> str:
    if delta >= _DAY:
        return _days(delta / _DAY)
    hours = delta / timedelta(hours=1)
    if hours >= 1:
        return f"{math.floor(hours)} hour{'s' if hours >= 2 else ''}"
    return f"{math.floor(delta / timedelta(minutes=1))} minutes"


def _connection_reasons(
    inputs: HealthInputs, policy: HealthPolicy, reasons: list[HealthReason]
) -> bool:
    """Add the connection's reasons; return whether it counts as disconnected."""
    reconnect = "Reconnect QuickBooks"
    refresh = inputs.refresh_expires_in_days
    hard = inputs.hard_expires_in_days
    if inputs.connection is ConnectionState.DISCONNECTED:
        reasons.append(
            HealthReason(
                code="disconnected",
                message="QuickBooks is disconnected",
                points=100,
                action=reconnect,
            )
        )
        return True
    if (refresh is not None and refresh <= 0) or (hard is not None and hard <= 0):
        which = "5-year limit" if hard is not None and hard <= 0 else "authorisation"
        reasons.append(
            HealthReason(
                code="token_expired",
                message=f"The QuickBooks {which} has expired",
                points=100,
                action=reconnect,
            )
        )
        return True
    if inputs.connection is ConnectionState.NEEDS_REAUTHORIZATION:
        reasons.append(
            HealthReason(
                code="needs_reauthorization",
                message="QuickBooks refused the stored authorisation",
                points=math.floor(policy.needs_reauthorization_points + 0.5),
                action=reconnect,
            )
        )
    expiring_points = 0
    if refresh is not None:
        expiring_points = _ramp(
            policy.refresh_warn_days - refresh,
            0.0,
            policy.refresh_warn_days,
            policy.refresh_max_points,
        )
        if expiring_points:
            reasons.append(
                HealthReason(
                    code="refresh_expiring",
                    message=(
                        f"The QuickBooks authorisation lapses in {_days(refresh)} unless renewed"
                    ),
                    points=expiring_points,
                    action="Run a sync to renew the QuickBooks authorisation",
                )
            )
    elif inputs.connection is ConnectionState.EXPIRING_SOON:
        reasons.append(
            HealthReason(
                code="refresh_expiring",
                message="The QuickBooks authorisation expires soon",
                points=math.floor(policy.expiring_soon_points + 0.5),
                action="Run a sync to renew the QuickBooks authorisation",
            )
        )
    if hard is not None:
        points = _ramp(
            policy.hard_warn_days - hard, 0.0, policy.hard_warn_days, policy.hard_max_points
        )
        if points:
            reasons.append(
                HealthReason(
                    code="hard_expiry",
                    message=f"The QuickBooks connection reaches its 5-year limit in {_days(hard)}",
                    points=points,
                    action="Reconnect QuickBooks before the connection expires",
                )
            )
    return False


def _sync_reasons(
    inputs: HealthInputs, policy: HealthPolicy, now: datetime, reasons: list[HealthReason]
) -> None:
    if inputs.last_success_at is None:
        reasons.append(
            HealthReason(
                code="never_synced",
                message="No successful sync yet",
                points=math.floor(policy.never_synced_points + 0.5),
                action="Run a first sync",
            )
        )
    else:
        age = max(timedelta(0), now - inputs.last_success_at)
        points = _ramp(
            age / _DAY,
            policy.stale_after / _DAY,
            policy.stale_max_after / _DAY,
            policy.stale_max_points,
        )
        reasons.append(
            HealthReason(
                code="stale",
                message=f"The last successful sync was {_ago(age)} ago",
                points=points,
                action="Run a sync and check why scheduled syncs are not succeeding",
            )
        )
    reasons.append(
        HealthReason(
            code="error_rate",
            message=f"{inputs.error_rate:.0%} of records failed in recent runs",
            points=_ramp(
                inputs.error_rate,
                policy.error_rate_free,
                policy.error_rate_max,
                policy.error_rate_max_points,
            ),
            action="Review the failed records in the latest sync report",
        )
    )
    failures = inputs.consecutive_failures
    reasons.append(
        HealthReason(
            code="consecutive_failures",
            message="The last sync run failed"
            if failures == 1
            else f"The last {failures} sync runs failed",
            points=math.floor(
                min(
                    failures * policy.consecutive_failure_points,
                    policy.consecutive_failures_max_points,
                )
                + 0.5
            ),
            action="Check the latest run's error, fix it and sync again",
        )
    )
    reasons.append(
        HealthReason(
            code="throttled",
            message=f"{inputs.throttled_share:.0%} of requests to QuickBooks were throttled",
            points=_ramp(
                inputs.throttled_share,
                policy.throttle_free,
                policy.throttle_max,
                policy.throttle_max_points,
            ),
            action="Spread syncs out over time or lower their concurrency",
        )
    )
    if inputs.webhook_lag is not None:
        reasons.append(
            HealthReason(
                code="webhook_lag",
                message=f"Webhook events are handled {_ago(inputs.webhook_lag)} late",
                points=_ramp(
                    inputs.webhook_lag / timedelta(minutes=1),
                    policy.webhook_lag_free / timedelta(minutes=1),
                    policy.webhook_lag_max / timedelta(minutes=1),
                    policy.webhook_lag_max_points,
                ),
                action="Check the webhook endpoint and the queue behind it",
            )
        )
    _failure_reasons(inputs.failures, policy, reasons)


def _failure_reasons(
    groups: tuple[FailureGroup, ...], policy: HealthPolicy, reasons: list[HealthReason]
) -> None:
    budget = policy.failed_records_max_points
    for group in sorted(groups, key=lambda g: (-g.count, g.entity, g.reason)):
        if group.count == 0:
            continue
        points = min(budget, group.count * policy.failed_record_points)
        budget -= points
        what = f"{group.count} {_noun(group.entity, group.count)}"
        reasons.append(
            HealthReason(
                code="failed_records",
                message=f"{what} failed: {group.reason}",
                points=math.floor(points + 0.5),
                action=f"Fix {what} that failed: {group.reason}",
            )
        )


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def _noun(entity: str, count: int) -> str:
    """``("CreditMemo", 2)`` -> ``"credit memos"``; ``("Class", 1)`` -> ``"class"``."""
    words = [w.lower() for w in _WORD.findall(entity)] or [entity]
    if count != 1:
        last = words[-1]
        if last.endswith(("s", "x", "ch", "sh")):
            last += "es"
        elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
            last = last[:-1] + "ies"
        else:
            last += "s"
        words[-1] = last
    return " ".join(words)
