"""Tiers and the one table of weights and thresholds.

:class:`ConnectionState` is defined once, in storage, and shared with
:mod:`qbo_sync.auth`; it is re-exported here for the health API.
"""

from __future__ import annotations

import enum
from datetime import timedelta

import attrs

from qbo_sync.errors import ConfigurationError
from qbo_sync.storage._state import HARD_WARNING, ROLLING_WARNING, ConnectionState

_DAY = timedelta(days=1)

__all__ = ["ConnectionState", "HealthPolicy", "HealthTier"]


class HealthTier(str, enum.Enum):
    """The five health tiers, best first, each with its dots and colour."""

    EXCELLENT = "excellent"
    GOOD = "good"
    WARNING = "warning"
    CRITICAL = "critical"
    DISCONNECTED = "disconnected"

    @property
    def dots(self) -> int:
        """Filled dots out of five: 5 for Excellent down to 1 for Disconnected."""
        return _DOTS[self]

    @property
    def color(self) -> str:
        """Colour name for the badge: green, blue, yellow, red or grey."""
        return _COLORS[self]

    @property
    def label(self) -> str:
        """Display label (``"Excellent"``)."""
        return self.value.capitalize()


_DOTS = {
    HealthTier.EXCELLENT: 5,
    HealthTier.GOOD: 4,
    HealthTier.WARNING: 3,
    HealthTier.CRITICAL: 2,
    HealthTier.DISCONNECTED: 1,
}
_COLORS = {
    HealthTier.EXCELLENT: "green",
    HealthTier.GOOD: "blue",
    HealthTier.WARNING: "yellow",
    HealthTier.CRITICAL: "red",
    HealthTier.DISCONNECTED: "grey",
}


@attrs.frozen(kw_only=True)
class HealthPolicy:
    """Every weight and threshold of the health score, in one table.

    The score starts at 100; each signal takes off points, growing linearly
    from 0 at its *free* threshold to its maximum at its *max* threshold.
    Pass a custom instance (``attrs.evolve(HealthPolicy(), ...)``) to
    :func:`compute_health` to change any of them.

    Attributes:
        excellent_min: Lowest score that is Excellent (90).
        good_min: Lowest score that is Good (75).
        warning_min: Lowest score that is Warning (50); below is Critical.
        expiring_soon_points: Points for a connection stated as
            ``EXPIRING_SOON`` when no expiry days are known (10).
        refresh_warn_days: Days left on the rolling refresh token below which
            points are taken (14); also the window in which
            :func:`health_inputs_for_realm` states ``EXPIRING_SOON``, as
            ``OAuthManager(rolling_warning=...)`` does.
        refresh_max_points: Points at 0 days left (30); at or below 0 the
            connection is Disconnected whatever the score.
        hard_warn_days: Days left before the 5-year hard expiry below which
            points are taken (60); likewise ``hard_warning``.
        hard_max_points: Points at 0 days left (30).
        needs_reauthorization_points: Points when the user must reconnect
            (60); the tier is also capped at Critical.
        stale_after: Time since the last successful sync that costs nothing (24 h).
        stale_max_after: Time at which staleness costs its maximum (7 days).
        stale_max_points: That maximum (30).
        never_synced_points: Points when no successful sync is known (15).
        error_rate_free: Share of failed records that costs nothing (1%).
        error_rate_max: Share at which the error rate costs its maximum (50%).
        error_rate_max_points: That maximum (35).
        consecutive_failure_points: Points per failed run in a row (10).
        consecutive_failures_max_points: Cap on those points (40).
        critical_consecutive_failures: Failed runs in a row from which the
            tier is at most Critical (5).
        throttle_free: Share of throttled requests that costs nothing (2%).
        throttle_max: Share at which throttling costs its maximum (25%).
        throttle_max_points: That maximum (15).
        webhook_lag_free: Webhook lag that costs nothing (10 min; production
            webhooks are batched for up to 5 minutes).
        webhook_lag_max: Lag at which it costs its maximum (2 h).
        webhook_lag_max_points: That maximum (10).
        failed_record_points: Points per record currently failing (1).
        failed_records_max_points: Cap on those points (20).
    """

    excellent_min: int = 90
    good_min: int = 75
    warning_min: int = 50

    expiring_soon_points: float = 10.0
    refresh_warn_days: float = ROLLING_WARNING / _DAY
    refresh_max_points: float = 30.0
    hard_warn_days: float = HARD_WARNING / _DAY
    hard_max_points: float = 30.0
    needs_reauthorization_points: float = 60.0

    stale_after: timedelta = timedelta(hours=24)
    stale_max_after: timedelta = timedelta(days=7)
    stale_max_points: float = 30.0
    never_synced_points: float = 15.0

    error_rate_free: float = 0.01
    error_rate_max: float = 0.5
    error_rate_max_points: float = 35.0

    consecutive_failure_points: float = 10.0
    consecutive_failures_max_points: float = 40.0
    critical_consecutive_failures: int = 5

    throttle_free: float = 0.02
    throttle_max: float = 0.25
    throttle_max_points: float = 15.0

    webhook_lag_free: timedelta = timedelta(minutes=10)
    webhook_lag_max: timedelta = timedelta(hours=2)
    webhook_lag_max_points: float = 10.0

    failed_record_points: float = 1.0
    failed_records_max_points: float = 20.0

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        if not 100 >= self.excellent_min > self.good_min > self.warning_min > 0:
            problems.append(
                "tier thresholds must satisfy 100 >= excellent_min > good_min > warning_min > 0"
            )
        pairs = [
            ("error_rate_free", self.error_rate_free, "error_rate_max", self.error_rate_max),
            ("throttle_free", self.throttle_free, "throttle_max", self.throttle_max),
            ("stale_after", self.stale_after, "stale_max_after", self.stale_max_after),
            (
                "webhook_lag_free",
                self.webhook_lag_free,
                "webhook_lag_max",
                self.webhook_lag_max,
            ),
        ]
        for low_name, low, high_name, high in pairs:
            if not low < high:  # type: ignore[operator]
                problems.append(f"{low_name} must be below {high_name}")
        for field in attrs.fields(HealthPolicy):
            value = getattr(self, field.name)
            if isinstance(value, (int, float)) and value < 0:
                problems.append(f"{field.name} must not be negative")
        if self.refresh_warn_days <= 0 or self.hard_warn_days <= 0:
            problems.append("refresh_warn_days and hard_warn_days must be positive")
        if self.critical_consecutive_failures < 1:
            problems.append("critical_consecutive_failures must be at least 1")
        if problems:
            raise ConfigurationError(
                "invalid HealthPolicy: " + "; ".join(problems), problems=problems
            )
